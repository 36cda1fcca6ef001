"""Drawing a scene description as a small picture.

Layout: a single phrase may use the whole canvas; with a relation the two groups get opposite
halves (left/right or top/bottom), and vertical relations share a column so that "above" reads
as above. Ground objects stand on the setting's ground band unless they are the upper group of
"above"/"below". Sizes are fractions of the canvas, so "big", normal and "small" differ by about
1.4× at every resolution. Everything random comes from the numpy Generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from generator.training.backgrounds import draw_background
from generator.training.captions import SETTINGS, Phrase, SceneSpec, check_spec
from generator.training.glyphs import glyph
from generator.training.objects import SceneObject, default_objects, objects_by_noun

# Longest side of one object as a fraction of the canvas: [one phrase?][several?][size].
_SIZE_FRACTIONS = {
    (True, False): {"small": 0.30, "normal": 0.44, "big": 0.62},
    (True, True): {"small": 0.24, "normal": 0.32},
    (False, False): {"small": 0.24, "normal": 0.32, "big": 0.44},
    (False, True): {"small": 0.19, "normal": 0.25},
}
_VERTICAL = ("above", "below")
READABILITY_SIZE = 64


@dataclass(frozen=True)
class Region:
    """A box in canvas fractions: x0, y0, x1, y1."""

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Placement:
    emoji: str
    x: int  # top-left corner in pixels
    y: int
    side: int  # longest side in pixels


def object_side(phrase: Phrase, single_phrase: bool, canvas: int, rng: np.random.Generator) -> int:
    fraction = _SIZE_FRACTIONS[(single_phrase, phrase.count > 1)][phrase.size]
    return max(4, round(canvas * fraction * rng.uniform(0.92, 1.08)))


def _regions(spec: SceneSpec, rng: np.random.Generator) -> tuple[Region, ...]:
    whole = Region(0.0, 0.0, 1.0, 1.0)
    if spec.relation is None:
        return (whole,)
    left, right = Region(0.0, 0.0, 0.5, 1.0), Region(0.5, 0.0, 1.0, 1.0)
    if spec.relation in _VERTICAL:
        centre = rng.uniform(0.35, 0.65)  # one shared column, so that "above" looks above
        top, bottom = (
            Region(centre - 0.3, 0.0, centre + 0.3, 0.5),
            Region(centre - 0.3, 0.5, centre + 0.3, 1.0),
        )
        return (top, bottom) if spec.relation == "above" else (bottom, top)
    if spec.relation == "to the left of" or (spec.relation == "next to" and rng.random() < 0.5):
        return (left, right)
    return (right, left)


def _group_offsets(
    count: int, side: int, rng: np.random.Generator, max_width: int, on_ground: bool
) -> list[tuple[int, int]]:
    """Offsets of `count` objects in a loose row, or two rows where one row is too wide.

    On the ground the second row stands a little lower (nearer the viewer) instead of above,
    so that every object keeps its feet on the ground band.
    """
    step = round(side * 1.05)
    row_step = round(side * 0.4) if on_ground else step
    per_row = count if count * step + side // 4 <= max_width else 2  # room for the jitter
    offsets = []
    for index in range(count):
        row, column = divmod(index, per_row)
        jitter_x, jitter_y = rng.integers(-side // 8, side // 8 + 1, 2)
        offsets.append(
            (column * step + row * step // 2 + int(jitter_x), row * row_step + int(jitter_y))
        )
    # Shift so that the group's box starts at (0, 0): jitter must not push objects off the canvas.
    min_x, min_y = min(dx for dx, _ in offsets), min(dy for _, dy in offsets)
    return [(dx - min_x, dy - min_y) for dx, dy in offsets]


def _place_group(
    phrase: Phrase,
    region: Region,
    on_ground: bool,
    ground_top: float | None,
    single_phrase: bool,
    canvas: int,
    rng: np.random.Generator,
) -> list[Placement]:
    item = objects_by_noun()[phrase.noun]
    side = object_side(phrase, single_phrase, canvas, rng)
    x0, x1 = round(region.x0 * canvas), round(region.x1 * canvas)
    y0, y1 = round(region.y0 * canvas), round(region.y1 * canvas)
    on_ground = on_ground and ground_top is not None
    offsets = _group_offsets(phrase.count, side, rng, x1 - x0, on_ground)
    width = max(dx for dx, _ in offsets) + side
    height = max(dy for _, dy in offsets) + side
    if on_ground and ground_top is not None:
        # Every object's bottom edge lands on the ground band, below the horizon.
        low = max(round(ground_top * canvas) + side // 3 + height - side, height)
        bottom = int(rng.integers(min(low, canvas), canvas + 1))
        y0, y1 = bottom - height, bottom
    left = _uniform_start(x0, x1, width, canvas, rng)
    top = _uniform_start(y0, y1, height, canvas, rng)
    return [Placement(item.emoji, left + dx, top + dy, side) for dx, dy in offsets]


def _uniform_start(low: int, high: int, extent: int, canvas: int, rng: np.random.Generator) -> int:
    """A start so that [start, start+extent) lies in [low, high) if it fits, else is centred."""
    low, high = max(low, 0), min(high, canvas)
    if high - low <= extent:
        return max(0, min(canvas - extent, (low + high - extent) // 2))
    return int(rng.integers(low, high - extent + 1))


def layout(
    spec: SceneSpec, canvas: int, ground_top: float | None, rng: np.random.Generator
) -> list[Placement]:
    """Where each emoji goes, drawn back (higher up) to front (lower down)."""
    regions = _regions(spec, rng)
    single = spec.second is None
    placements: list[Placement] = []
    for phrase, region in zip(spec.phrases, regions, strict=True):
        item = objects_by_noun()[phrase.noun]
        upper_of_vertical = spec.relation in _VERTICAL and region.y0 == 0.0 and not single
        on_ground = item.ground and not upper_of_vertical
        placements += _place_group(phrase, region, on_ground, ground_top, single, canvas, rng)
    return sorted(placements, key=lambda p: p.y + p.side)


def _composite(canvas: np.ndarray, placement: Placement) -> None:
    image = glyph(placement.emoji, placement.side)
    size = canvas.shape[0]
    h, w = image.shape[:2]
    # Centre the glyph in its square cell so that tall and wide emoji line up.
    top, left = placement.y + (placement.side - h) // 2, placement.x + (placement.side - w) // 2
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, size), min(left + w, size)
    if y1 <= y0 or x1 <= x0:
        return
    patch = image[y0 - top : y1 - top, x0 - left : x1 - left]
    alpha = patch[..., 3:4]
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - alpha) + patch[..., :3] * alpha


def render_scene(spec: SceneSpec, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """The scene as uint8 [size, size, 3]."""
    check_spec(spec)
    background = draw_background(spec.setting, size, rng)
    canvas = background.pixels.copy()
    for placement in layout(spec, size, background.ground_top, rng):
        _composite(canvas, placement)
    return np.round(np.clip(canvas, 0.0, 1.0) * 255).astype(np.uint8)


def contrast(item: SceneObject, setting: str) -> float:
    """Share of the object's opaque pixels that stand out from the background it stands on."""
    background = draw_background(setting, READABILITY_SIZE, np.random.default_rng(0))
    rows = background.pixels
    if background.ground_top is not None:
        split = round(background.ground_top * READABILITY_SIZE)
        rows = rows[split:] if item.ground else rows[:split]
    mean = rows.reshape(-1, 3).mean(axis=0)
    image = glyph(item.emoji, 24)
    opaque = image[..., 3] > 0.5
    distance = np.linalg.norm(image[..., :3][opaque] - mean, axis=-1)
    return float((distance > 0.25).mean())


MIN_CONTRAST = 0.4


@cache
def readable_objects(setting: str) -> tuple[str, ...]:
    """Nouns that stand out enough in a setting (no snowman in the snow, no ghost on white)."""
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}")
    return tuple(item.noun for item in default_objects() if contrast(item, setting) >= MIN_CONTRAST)
