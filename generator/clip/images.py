"""CLIP's image preprocessing, as HF CLIPImageProcessor does it: resize, centre crop, normalise."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image

from generator.clip.config import CLIP_MEAN, CLIP_STD, EXTRA_FIELD, PREPROCESSOR_FILE

# --------------------------------------------------------------------------------------------
# Image preprocessing (HF CLIPImageProcessor)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ImageSettings:
    """``preprocessor_config.json``: resize the shortest side, center-crop, rescale, normalise."""

    shortest_edge: int = 224
    crop_height: int = 224
    crop_width: int = 224
    resample: int = Image.Resampling.BICUBIC.value
    rescale_factor: float = 1 / 255
    image_mean: tuple[float, ...] = CLIP_MEAN
    image_std: tuple[float, ...] = CLIP_STD
    do_resize: bool = True
    do_center_crop: bool = True
    do_rescale: bool = True
    do_normalize: bool = True
    do_convert_rgb: bool = True
    extra: Mapping[str, Any] = EXTRA_FIELD

    @classmethod
    def defaults_for(cls, image_size: int) -> ImageSettings:
        return cls(shortest_edge=image_size, crop_height=image_size, crop_width=image_size)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], image_size: int) -> ImageSettings:
        """Read either the old (``size: 224``) or the new (``{"shortest_edge": 224}``) form."""
        data = dict(data)
        size, crop = data.pop("size", image_size), data.pop("crop_size", image_size)
        try:
            shortest = size if isinstance(size, int) else size["shortest_edge"]
            if isinstance(crop, int):
                crop_height = crop_width = crop
            else:
                crop_height, crop_width = crop["height"], crop["width"]
        except (KeyError, TypeError):
            raise ValueError(
                f"{PREPROCESSOR_FILE}: size {size!r} / crop_size {crop!r} not understood"
            ) from None
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {key: data.pop(key) for key in list(data) if key in names}
        for key in ("image_mean", "image_std"):
            if key in values:
                values[key] = tuple(float(v) for v in values[key])
        settings = cls(
            shortest_edge=shortest,
            crop_height=crop_height,
            crop_width=crop_width,
            **values,
            extra=data,
        )
        if len(settings.image_mean) != 3 or len(settings.image_std) != 3:
            raise ValueError(f"{PREPROCESSOR_FILE}: image_mean and image_std need 3 values")
        return settings

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.setdefault("image_processor_type", "CLIPImageProcessor")
        data.update(
            size={"shortest_edge": self.shortest_edge},
            crop_size={"height": self.crop_height, "width": self.crop_width},
            resample=self.resample,
            rescale_factor=self.rescale_factor,
            image_mean=list(self.image_mean),
            image_std=list(self.image_std),
            do_resize=self.do_resize,
            do_center_crop=self.do_center_crop,
            do_rescale=self.do_rescale,
            do_normalize=self.do_normalize,
            do_convert_rgb=self.do_convert_rgb,
        )
        return data

    def apply(self, image: Image.Image) -> np.ndarray:
        """One PIL image -> float32 CHW pixel values."""
        if self.do_convert_rgb and image.mode != "RGB":
            image = image.convert("RGB")
        if self.do_resize:
            image = image.resize(self._resized_size(image.size), resample=self.resample)
        pixels = np.asarray(image)
        if self.do_center_crop:
            pixels = _center_crop(pixels, self.crop_height, self.crop_width)
        values = pixels.astype(np.float32)
        if self.do_rescale:
            values = (pixels.astype(np.float64) * self.rescale_factor).astype(np.float32)
        if self.do_normalize:
            mean = np.asarray(self.image_mean, dtype=np.float32)
            std = np.asarray(self.image_std, dtype=np.float32)
            values = (values - mean) / std
        return values.transpose(2, 0, 1)

    def _resized_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """(width, height) with the shortest side = ``shortest_edge`` (HF rounds the other
        side down)."""
        width, height = size
        short, long = min(width, height), max(width, height)
        new_long = int(self.shortest_edge * long / short)
        if width <= height:
            return self.shortest_edge, new_long
        return new_long, self.shortest_edge


def _center_crop(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """HF's center crop: the top-left offset rounds down; a too-small image is zero-padded."""
    orig_h, orig_w = pixels.shape[:2]
    pad_h, pad_w = max(0, height - orig_h), max(0, width - orig_w)
    if pad_h or pad_w:
        top, left = math.ceil(pad_h / 2), math.ceil(pad_w / 2)
        pixels = np.pad(pixels, ((top, pad_h - top), (left, pad_w - left), (0, 0)))
    top = (pixels.shape[0] - height) // 2
    left = (pixels.shape[1] - width) // 2
    return pixels[top : top + height, left : left + width]
