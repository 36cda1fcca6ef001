"""Emoji glyphs from Noto Color Emoji as small RGBA arrays.

The font is a CBDT bitmap font with a single 109-ppem strike (any other size raises
`OSError: invalid pixel size`), so every glyph is drawn at 109 px, cropped to its bounding box and
downscaled with LANCZOS. Variation selectors are dropped before drawing: the font only has colour
glyphs, and without RAQM the BASIC layout engine would draw the selector as a second glyph.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

EMOJI_FONT_PATH = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
FONT_PIXEL_SIZE = 109  # the font's only bitmap strike
VARIATION_SELECTOR = "\ufe0f"


class GlyphError(RuntimeError):
    """The emoji font is missing or draws nothing for an emoji."""


@cache
def _font() -> ImageFont.FreeTypeFont:
    if not EMOJI_FONT_PATH.exists():
        raise GlyphError(
            f"emoji font not found at {EMOJI_FONT_PATH}; install the Debian package "
            "fonts-noto-color-emoji"
        )
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(EMOJI_FONT_PATH), FONT_PIXEL_SIZE, layout_engine=layout)


@cache
def full_glyph(emoji: str) -> Image.Image:
    """The emoji at the font's native size, cropped to its visible pixels (RGBA)."""
    text = emoji.replace(VARIATION_SELECTOR, "")
    font = _font()
    box = font.getbbox(text)
    canvas = Image.new("RGBA", (int(box[2]) + 8, int(box[3]) + 8), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((0, 0), text, font=font, embedded_color=True)
    visible = canvas.getchannel("A").point(lambda alpha: 255 if alpha > 8 else 0).getbbox()
    if visible is None:
        raise GlyphError(f"the emoji font draws nothing for {emoji!r}")
    return canvas.crop(visible)


@lru_cache(maxsize=4096)  # about 40 MB at the sizes scenes use
def glyph(emoji: str, longest_side: int) -> np.ndarray:
    """float32 [h, w, 4] in [0, 1], straight (not premultiplied) alpha, longest side given."""
    if longest_side < 2:
        raise ValueError(f"glyph size must be at least 2 px, got {longest_side}")
    image = full_glyph(emoji)
    scale = longest_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    array = np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0
    array.setflags(write=False)  # shared by the cache
    return array
