"""Procedural backgrounds, one drawer per setting.

Each drawer returns a float32 [size, size, 3] image in [0, 1] and the row (a fraction of the
height) where the ground band starts, or None for settings without ground (sky, outer space,
flat colours). Colours are jittered a little per scene so that the models learn the setting, not
one exact colour. Everything random comes from the `rng` passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from generator.training.captions import COLOURS, SETTINGS

COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (214, 48, 49),
    "orange": (240, 140, 30),
    "yellow": (250, 220, 60),
    "green": (60, 170, 80),
    "blue": (50, 110, 220),
    "purple": (130, 70, 190),
    "pink": (245, 150, 200),
    "white": (245, 245, 245),
    "black": (20, 20, 24),
}


@dataclass(frozen=True)
class Background:
    pixels: np.ndarray  # float32 [size, size, 3] in [0, 1]
    ground_top: float | None  # fraction of the height where the ground band starts


def _rgb(values: tuple[float, float, float], rng: np.random.Generator, jitter: float) -> np.ndarray:
    colour = np.asarray(values, np.float32) / 255.0
    return np.clip(colour + rng.uniform(-jitter, jitter, 3).astype(np.float32), 0.0, 1.0)


def _vertical_gradient(top: np.ndarray, bottom: np.ndarray, size: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, size, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (size, size, 3)).copy()


def _wavy_edge(size: int, top: float, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Row index (float) of a wavy horizon per column."""
    x = np.arange(size, dtype=np.float32)
    phase, period = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.4) * size
    return top * size + amplitude * size * np.sin(2 * np.pi * x / period + phase)


def _fill_below(pixels: np.ndarray, edge: np.ndarray, colour: np.ndarray) -> None:
    rows = np.arange(pixels.shape[0], dtype=np.float32)[:, None]
    mask = rows >= edge[None, :]
    pixels[mask] = colour


def _stars(pixels: np.ndarray, rng: np.random.Generator, count: int, colourful: bool) -> None:
    size = pixels.shape[0]
    ys, xs = rng.integers(0, size, count), rng.integers(0, size, count)
    brightness = rng.uniform(0.6, 1.0, (count, 1)).astype(np.float32)
    tint = rng.uniform(0.7, 1.0, (count, 3)).astype(np.float32) if colourful else 1.0
    pixels[ys, xs] = np.clip(brightness * tint, 0.0, 1.0)


def _sky(size: int, rng: np.random.Generator) -> Background:
    pixels = _vertical_gradient(
        _rgb((70, 140, 230), rng, 0.05), _rgb((170, 215, 250), rng, 0.04), size
    )
    return Background(pixels, None)


def _night(size: int, rng: np.random.Generator) -> Background:
    pixels = _vertical_gradient(_rgb((8, 12, 40), rng, 0.03), _rgb((40, 50, 110), rng, 0.04), size)
    _stars(pixels, rng, count=size // 3, colourful=False)
    ground_top = 0.8
    _fill_below(pixels, _wavy_edge(size, ground_top, rng, 0.03), _rgb((12, 30, 28), rng, 0.02))
    return Background(pixels, ground_top)


def _beach(size: int, rng: np.random.Generator) -> Background:
    pixels = _vertical_gradient(
        _rgb((110, 180, 240), rng, 0.04), _rgb((190, 225, 250), rng, 0.03), size
    )
    sea_top, ground_top = 0.42, 0.62
    sea = _vertical_gradient(_rgb((30, 120, 190), rng, 0.04), _rgb((60, 170, 200), rng, 0.04), size)
    rows = np.arange(size)[:, None, None]
    pixels = np.where(rows >= int(sea_top * size), sea, pixels)
    _fill_below(pixels, _wavy_edge(size, ground_top, rng, 0.025), _rgb((235, 210, 150), rng, 0.03))
    return Background(pixels, ground_top)


def _ground_scene(
    sky_top: tuple[int, int, int],
    sky_bottom: tuple[int, int, int],
    ground: tuple[int, int, int],
    ground_top: float,
    amplitude: float,
) -> Callable[[int, np.random.Generator], Background]:
    def draw(size: int, rng: np.random.Generator) -> Background:
        pixels = _vertical_gradient(_rgb(sky_top, rng, 0.04), _rgb(sky_bottom, rng, 0.03), size)
        near, far = _rgb(ground, rng, 0.03), _rgb(ground, rng, 0.03) * 0.9
        _fill_below(pixels, _wavy_edge(size, ground_top, rng, amplitude), far)
        # A second, nearer ridge in a lighter shade gives the ground some depth without noise,
        # which the VQGAN would spend codes on.
        _fill_below(pixels, _wavy_edge(size, ground_top + 0.12, rng, amplitude), near)
        return Background(pixels, ground_top)

    return draw


def _underwater(size: int, rng: np.random.Generator) -> Background:
    pixels = _vertical_gradient(
        _rgb((40, 160, 200), rng, 0.04), _rgb((10, 50, 120), rng, 0.04), size
    )
    x = np.arange(size, dtype=np.float32)[None, :]
    y = np.arange(size, dtype=np.float32)[:, None]
    angle = rng.uniform(0.3, 0.6)
    rays = 0.06 * np.maximum(0.0, np.sin((x + angle * y) / size * 2 * np.pi * rng.uniform(2, 4)))
    pixels += (rays * (1 - y / size))[..., None]  # light rays fading with depth
    ground_top = 0.84
    _fill_below(pixels, _wavy_edge(size, ground_top, rng, 0.02), _rgb((200, 180, 120), rng, 0.03))
    return Background(np.clip(pixels, 0.0, 1.0), ground_top)


def _space(size: int, rng: np.random.Generator) -> Background:
    pixels = _vertical_gradient(_rgb((5, 5, 15), rng, 0.02), _rgb((25, 10, 40), rng, 0.03), size)
    _stars(pixels, rng, count=size // 2, colourful=True)
    return Background(pixels, None)


def _flat(colour: str) -> Callable[[int, np.random.Generator], Background]:
    def draw(size: int, rng: np.random.Generator) -> Background:
        base = _rgb(COLOUR_RGB[colour], rng, 0.04)
        return Background(_vertical_gradient(base, np.clip(base * 0.92, 0, 1), size), None)

    return draw


_DRAWERS: dict[str, Callable[[int, np.random.Generator], Background]] = {
    "sky": _sky,
    "night": _night,
    "beach": _beach,
    "snow": _ground_scene((190, 205, 225), (225, 232, 240), (250, 252, 255), 0.6, 0.03),
    "grass": _ground_scene((90, 160, 235), (180, 220, 250), (80, 170, 60), 0.6, 0.02),
    "desert": _ground_scene((245, 190, 120), (250, 225, 170), (215, 150, 70), 0.62, 0.04),
    "underwater": _underwater,
    "space": _space,
    **{colour: _flat(colour) for colour in COLOURS},
}


def draw_background(setting: str, size: int, rng: np.random.Generator) -> Background:
    """The background of a setting at size×size pixels."""
    drawer = _DRAWERS.get(setting)
    if drawer is None:
        raise ValueError(f"unknown setting {setting!r}; expected one of {SETTINGS}")
    return drawer(size, rng)
