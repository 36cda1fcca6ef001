"""Small generated pictures are stored enlarged with sharp pixels, so the game shows no blur."""

import numpy as np
from PIL import Image

from puzzles.generation import STORED_MIN_SIDE, enlarge_for_display


def _checkerboard(side: int) -> Image.Image:
    cells = (np.indices((side, side)).sum(axis=0) % 2 * 255).astype(np.uint8)
    return Image.fromarray(np.stack([cells] * 3, axis=-1))


def test_a_64_pixel_picture_is_stored_four_times_larger_with_every_pixel_a_sharp_square():
    small = _checkerboard(64)
    stored = enlarge_for_display(small)
    assert stored.size == (256, 256)
    pixels = np.asarray(stored)
    # Every stored pixel equals the drawn pixel it came from: no blended (grey) values.
    expected = np.asarray(small).repeat(4, axis=0).repeat(4, axis=1)
    assert np.array_equal(pixels, expected)


def test_an_odd_size_is_enlarged_by_a_whole_factor_to_at_least_the_minimum():
    stored = enlarge_for_display(_checkerboard(100))
    assert stored.size == (300, 300)
    assert min(stored.size) >= STORED_MIN_SIDE


def test_a_picture_already_large_enough_is_stored_as_drawn():
    large = _checkerboard(256)
    assert enlarge_for_display(large) is large
