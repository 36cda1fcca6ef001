"""CLIP in Flax Linen, as transformers v4's Flax CLIP: text and image features, and the reranker.

dalle-mini ranks its candidates by CLIP's ``logits_per_image``: exp(logit_scale) times the cosine
of the projected text and image features (100 x cosine for the trained weights). This module
computes exactly what HF ``FlaxCLIPModel`` computes, from the same published files:

- text tower: token + position embeddings, pre-LN encoder layers (quick_gelu MLP) under a causal
  mask combined with the padding mask, ``final_layer_norm``, pooled at ``argmax(input_ids)``
  (the legacy rule the published configs select with ``eos_token_id: 2``: the end-of-text token
  has the highest id), then ``text_projection`` (no bias);
- vision tower: a bias-free patch convolution, a class token, position embeddings,
  ``pre_layrnorm`` (sic, the published name), the encoder, ``post_layernorm`` on the class token,
  then ``visual_projection`` (no bias);
- a scalar ``logit_scale`` parameter.

Pixel layout: ``image_features`` takes what HF takes, float32 NCHW ``[B, 3, S, S]`` already
normalised with the CLIP mean/std (``preprocess`` makes it); like HF it transposes to NHWC
before the patch convolution, whose kernel is stored ``(p, p, 3, width)``.

Why Flax Linen: its auto-named submodules give a parameter tree identical to the published
``flax_model.msgpack`` (``text_model/encoder/layers/0/self_attn/q_proj/kernel`` ...), and
``jax.eval_shape(module.init, ...)`` gives every shape and the parameter count without
allocating.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import pathlib
import shutil
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from generator.attention import attend, key_bias, split_heads
from generator.checkpoint import (
    CheckpointError,
    match_params,
    read_config,
    read_params,
    resolve_model_dir,
    write_config,
    write_params,
)
from generator.tokenizers import Tokenizer, encode_texts, load_clip_tokenizer

PARAMS_FILE = "flax_model.msgpack"
PREPROCESSOR_FILE = "preprocessor_config.json"
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# eos_token_id 2 in a published config means "pool at argmax(input_ids)" (HF keeps that rule).
LEGACY_EOS_TOKEN_ID = 2

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "quick_gelu": lambda x: x * jax.nn.sigmoid(1.702 * x),
    "gelu": functools.partial(nn.gelu, approximate=False),
    "gelu_new": functools.partial(nn.gelu, approximate=True),
    "gelu_pytorch_tanh": functools.partial(nn.gelu, approximate=True),
    "relu": nn.relu,
    "silu": nn.swish,
    "swish": nn.swish,
}

Params = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _split_known(cls: type, data: Mapping[str, Any], what: str) -> tuple[dict, dict]:
    if not isinstance(data, Mapping):
        raise ValueError(f"CLIP {what} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    values = {key: value for key, value in data.items() if key in known}
    extra = {key: value for key, value in data.items() if key not in known}
    return values, extra


def _plain_fields(config: Any) -> dict[str, Any]:
    data = dict(config.extra)
    for field in dataclasses.fields(config):
        if field.name != "extra":
            data[field.name] = getattr(config, field.name)
    return data


def _check_tower(config: Any, what: str, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"CLIP {what}: {name} must be a positive integer, got {value!r}")
    if config.hidden_size % config.num_attention_heads:
        raise ValueError(
            f"CLIP {what}: hidden_size {config.hidden_size} is not divisible by "
            f"num_attention_heads {config.num_attention_heads}"
        )
    if config.hidden_act not in ACTIVATIONS:
        raise ValueError(
            f"CLIP {what}: hidden_act {config.hidden_act!r} is not one of {sorted(ACTIVATIONS)}"
        )


_EXTRA: Any = dataclasses.field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclasses.dataclass(frozen=True)
class CLIPTextConfig:
    """The ``text_config`` block (defaults: ViT-B/32's text tower)."""

    vocab_size: int = 49408
    hidden_size: int = 512
    intermediate_size: int = 2048
    num_hidden_layers: int = 12
    num_attention_heads: int = 8
    max_position_embeddings: int = 77
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    eos_token_id: int = LEGACY_EOS_TOKEN_ID
    extra: Mapping[str, Any] = _EXTRA

    def __post_init__(self) -> None:
        _check_tower(
            self,
            "text_config",
            (
                "vocab_size",
                "hidden_size",
                "intermediate_size",
                "num_hidden_layers",
                "num_attention_heads",
                "max_position_embeddings",
            ),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CLIPTextConfig:
        values, extra = _split_known(cls, data, "text_config")
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        return _plain_fields(self)


@dataclasses.dataclass(frozen=True)
class CLIPVisionConfig:
    """The ``vision_config`` block (defaults: ViT-B/32)."""

    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    image_size: int = 224
    patch_size: int = 32
    num_channels: int = 3
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    extra: Mapping[str, Any] = _EXTRA

    def __post_init__(self) -> None:
        _check_tower(
            self,
            "vision_config",
            (
                "hidden_size",
                "intermediate_size",
                "num_hidden_layers",
                "num_attention_heads",
                "image_size",
                "patch_size",
                "num_channels",
            ),
        )
        if self.image_size % self.patch_size:
            raise ValueError(
                f"CLIP vision_config: image_size {self.image_size} is not divisible by "
                f"patch_size {self.patch_size}"
            )

    @property
    def num_positions(self) -> int:
        return (self.image_size // self.patch_size) ** 2 + 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CLIPVisionConfig:
        values, extra = _split_known(cls, data, "vision_config")
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        return _plain_fields(self)


@dataclasses.dataclass(frozen=True)
class CLIPConfig:
    """``config.json`` of an HF CLIP model; unknown keys (at any level) are kept in ``extra``."""

    text_config: CLIPTextConfig = dataclasses.field(default_factory=CLIPTextConfig)
    vision_config: CLIPVisionConfig = dataclasses.field(default_factory=CLIPVisionConfig)
    projection_dim: int = 512
    logit_scale_init_value: float = 2.6592
    extra: Mapping[str, Any] = _EXTRA

    def __post_init__(self) -> None:
        if not isinstance(self.projection_dim, int) or self.projection_dim <= 0:
            raise ValueError(
                f"CLIP config: projection_dim must be a positive integer, got "
                f"{self.projection_dim!r}"
            )

    @classmethod
    def vit_b32(cls) -> CLIPConfig:
        """``openai/clip-vit-base-patch32``, the reranker dalle-mini switched to in May 2022."""
        return cls()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CLIPConfig:
        values, extra = _split_known(cls, data, "config")
        towers: dict[str, Any] = {}
        for name, tower in (("text_config", CLIPTextConfig), ("vision_config", CLIPVisionConfig)):
            block = dict(values.pop(name, None) or {})
            # Older HF files may carry the real values in "<name>_dict"; HF lets those win.
            override = data.get(f"{name}_dict")
            if isinstance(override, Mapping):
                block.update(override)
            towers[name] = tower.from_dict(block)
        return cls(**towers, **values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        data = _plain_fields(self)
        data["text_config"] = self.text_config.to_dict()
        data["vision_config"] = self.vision_config.to_dict()
        return data


# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------


class Attention(nn.Module):
    """Multi-head self-attention (generator.attention); ``bias`` from ``key_bias``."""

    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array | None) -> jax.Array:
        heads = self.config.num_attention_heads
        width = self.config.hidden_size
        dense = functools.partial(
            nn.Dense, width, dtype=self.dtype, kernel_init=jax.nn.initializers.normal(0.01)
        )
        q, k, v = (
            split_heads(dense(name=name)(x), heads) for name in ("q_proj", "k_proj", "v_proj")
        )
        return dense(name="out_proj")(attend(q, k, v, bias, self.dtype))


class EncoderLayer(nn.Module):
    """Pre-LN transformer block: x + attn(LN(x)), then x + MLP(LN(x))."""

    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array | None) -> jax.Array:
        c = self.config
        norm = functools.partial(nn.LayerNorm, epsilon=c.layer_norm_eps, dtype=self.dtype)
        x = x + Attention(c, self.dtype, name="self_attn")(norm(name="layer_norm1")(x), bias)
        return x + Mlp(c, self.dtype, name="mlp")(norm(name="layer_norm2")(x))


class Mlp(nn.Module):
    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        init = jax.nn.initializers.normal(0.01)
        x = nn.Dense(self.config.intermediate_size, dtype=self.dtype, kernel_init=init, name="fc1")(
            x
        )
        x = ACTIVATIONS[self.config.hidden_act](x)
        return nn.Dense(self.config.hidden_size, dtype=self.dtype, kernel_init=init, name="fc2")(x)


class Encoder(nn.Module):
    """``encoder/layers/{i}``: the published files nest the numbered layers one level down."""

    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array | None) -> jax.Array:
        return LayerStack(self.config, self.dtype, name="layers")(x, bias)


class LayerStack(nn.Module):
    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array | None) -> jax.Array:
        for i in range(self.config.num_hidden_layers):
            x = EncoderLayer(self.config, self.dtype, name=str(i))(x, bias)
        return x


class TextEmbeddings(nn.Module):
    config: CLIPTextConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, input_ids: jax.Array) -> jax.Array:
        c = self.config
        init = jax.nn.initializers.normal()
        tokens = nn.Embed(c.vocab_size, c.hidden_size, embedding_init=init, name="token_embedding")(
            input_ids
        )
        positions = nn.Embed(
            c.max_position_embeddings, c.hidden_size, embedding_init=init, name="position_embedding"
        )(jnp.arange(input_ids.shape[1])[None])
        return (tokens + positions).astype(self.dtype)


class TextTransformer(nn.Module):
    config: CLIPTextConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, input_ids: jax.Array, attention_mask: jax.Array) -> jax.Array:
        """Pooled (end-of-text) hidden state [B, width] after ``final_layer_norm``."""
        c = self.config
        length = input_ids.shape[1]
        causal = jnp.tril(jnp.ones((length, length), dtype=bool))
        allowed = causal[None, None] & (attention_mask[:, None, None, :] > 0)
        bias = key_bias(allowed)
        h = TextEmbeddings(c, self.dtype, name="embeddings")(input_ids)
        h = Encoder(c, self.dtype, name="encoder")(h, bias)
        h = nn.LayerNorm(epsilon=c.layer_norm_eps, dtype=self.dtype, name="final_layer_norm")(h)
        if c.eos_token_id == LEGACY_EOS_TOKEN_ID:
            position = jnp.argmax(input_ids, axis=-1)
        else:
            position = jnp.argmax(input_ids == c.eos_token_id, axis=-1)
        return h[jnp.arange(h.shape[0]), position]


class VisionEmbeddings(nn.Module):
    config: CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, pixels_nhwc: jax.Array) -> jax.Array:
        c = self.config
        class_embedding = self.param(
            "class_embedding", jax.nn.initializers.normal(0.02), (c.hidden_size,)
        )
        patches = nn.Conv(
            c.hidden_size,
            (c.patch_size, c.patch_size),
            strides=(c.patch_size, c.patch_size),
            padding="VALID",
            use_bias=False,
            dtype=self.dtype,
            kernel_init=jax.nn.initializers.normal(),
            name="patch_embedding",
        )(pixels_nhwc)
        batch = patches.shape[0]
        patches = patches.reshape(batch, -1, c.hidden_size)
        cls = jnp.broadcast_to(class_embedding.astype(patches.dtype), (batch, 1, c.hidden_size))
        positions = nn.Embed(
            c.num_positions,
            c.hidden_size,
            embedding_init=jax.nn.initializers.normal(),
            name="position_embedding",
        )(jnp.arange(c.num_positions)[None])
        return jnp.concatenate([cls, patches], axis=1) + positions


class VisionTransformer(nn.Module):
    config: CLIPVisionConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, pixels_nhwc: jax.Array) -> jax.Array:
        """Pooled (class token) hidden state [B, width] after ``post_layernorm``."""
        c = self.config
        norm = functools.partial(nn.LayerNorm, epsilon=c.layer_norm_eps, dtype=self.dtype)
        h = VisionEmbeddings(c, self.dtype, name="embeddings")(pixels_nhwc)
        h = norm(name="pre_layrnorm")(h)
        h = Encoder(c, self.dtype, name="encoder")(h, None)
        return norm(name="post_layernorm")(h[:, 0, :])


class CLIPModule(nn.Module):
    config: CLIPConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        c = self.config
        self.text_model = TextTransformer(c.text_config, self.dtype)
        self.vision_model = VisionTransformer(c.vision_config, self.dtype)
        init = jax.nn.initializers.normal(0.02)
        self.visual_projection = nn.Dense(
            c.projection_dim, use_bias=False, dtype=self.dtype, kernel_init=init
        )
        self.text_projection = nn.Dense(
            c.projection_dim, use_bias=False, dtype=self.dtype, kernel_init=init
        )
        self.logit_scale = self.param(
            "logit_scale", lambda _, shape: jnp.full(shape, c.logit_scale_init_value), ()
        )

    def text_features(self, input_ids: jax.Array, attention_mask: jax.Array) -> jax.Array:
        return self.text_projection(self.text_model(input_ids, attention_mask))

    def image_features(self, pixel_values_nchw: jax.Array) -> jax.Array:
        pixels = jnp.transpose(pixel_values_nchw, (0, 2, 3, 1))  # as HF: NCHW in, NHWC conv
        return self.visual_projection(self.vision_model(pixels))

    def __call__(
        self, input_ids: jax.Array, attention_mask: jax.Array, pixel_values: jax.Array
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Both towers and the scale; touching every parameter, it is what ``init`` runs."""
        return (
            self.text_features(input_ids, attention_mask),
            self.image_features(pixel_values),
            self.logit_scale,
        )


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
    extra: Mapping[str, Any] = _EXTRA

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


# --------------------------------------------------------------------------------------------
# Loaded model
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _compiled(config: CLIPConfig, dtype: str, method: str) -> Callable[..., jax.Array]:
    """One jitted function per (config, dtype, method); params are an argument, so the compiled
    program is shared by every model with this config."""
    module = CLIPModule(config, jnp.dtype(dtype))
    bound = getattr(CLIPModule, method)

    def run(params: Params, *inputs: jax.Array) -> jax.Array:
        out = module.apply({"params": params}, *inputs, method=bound)
        return cast(jax.Array, out).astype(jnp.float32)

    return jax.jit(run)


class CLIP:
    """CLIP with weights, tokenizer and image settings: features and dalle-mini's ranking score."""

    def __init__(
        self,
        config: CLIPConfig,
        params: Params,
        tokenizer: Tokenizer | None = None,
        image_settings: ImageSettings | None = None,
        dtype: Any = jnp.float32,
        tokenizer_dir: pathlib.Path | None = None,
    ) -> None:
        self.config = config
        self.params = params
        self.tokenizer = tokenizer
        self.tokenizer_dir = tokenizer_dir
        self.image_settings = image_settings or ImageSettings.defaults_for(
            config.vision_config.image_size
        )
        self.dtype = jnp.dtype(dtype)
        if tokenizer is not None:
            _check_tokenizer_fits(tokenizer, config)

    def _run(self, method: str, *inputs: jax.Array) -> np.ndarray:
        return np.asarray(_compiled(self.config, self.dtype.name, method)(self.params, *inputs))

    def text_features(self, input_ids: Any, attention_mask: Any = None) -> np.ndarray:
        """Token ids int [B, L] (L <= max_position_embeddings) and mask -> float32
        [B, projection_dim], projected but not normalised (HF ``get_text_features``)."""
        ids, mask = _check_text(input_ids, attention_mask, self.config.text_config)
        return self._run("text_features", ids, mask)

    def image_features(self, pixel_values: Any) -> np.ndarray:
        """Float32 NCHW [B, 3, S, S] normalised pixels (``preprocess``) -> float32
        [B, projection_dim], projected but not normalised (HF ``get_image_features``)."""
        return self._run("image_features", _check_pixels(pixel_values, self.config))

    def preprocess(self, images: Sequence[Image.Image] | np.ndarray) -> np.ndarray:
        """PIL images or a uint8 array [B, H, W, 3] -> float32 pixel values [B, 3, S, S]."""
        if isinstance(images, np.ndarray):
            if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
                raise ValueError(
                    f"CLIP.preprocess takes uint8 images [batch, height, width, 3], got "
                    f"{images.dtype} {images.shape}"
                )
            images = [Image.fromarray(image) for image in images]
        images = list(images)
        if not images or not all(isinstance(image, Image.Image) for image in images):
            raise ValueError(
                "CLIP.preprocess takes a non-empty list of PIL images or a uint8 array"
            )
        return np.stack([self.image_settings.apply(image) for image in images])

    def score(self, texts: Sequence[str], images: Sequence[Image.Image] | np.ndarray) -> np.ndarray:
        """exp(logit_scale) x cosine(image, text): float32 [n_images, n_texts], as dalle-mini's
        ``logits_per_image`` (100 x cosine for the trained weights)."""
        if self.tokenizer is None:
            raise ValueError(
                "this CLIP has no tokenizer (its directory has no tokenizer files); "
                "it cannot score texts"
            )
        if isinstance(texts, str) or not texts:
            raise ValueError("CLIP.score takes a non-empty list of texts")
        max_length = self.config.text_config.max_position_embeddings
        ids, mask = encode_texts(self.tokenizer, list(texts), max_length)
        text = self.text_features(ids, mask)
        image = self.image_features(self.preprocess(images))
        text = text / np.linalg.norm(text, axis=-1, keepdims=True)
        image = image / np.linalg.norm(image, axis=-1, keepdims=True)
        scale = np.exp(np.asarray(self.params["logit_scale"], dtype=np.float32))
        return (image @ text.T) * scale


def _check_tokenizer_fits(tokenizer: Tokenizer, config: CLIPConfig) -> None:
    highest = max(tokenizer.get_vocab().values())
    if highest >= config.text_config.vocab_size:
        raise ValueError(
            f"CLIP tokenizer has ids up to {highest} but the text tower has only "
            f"{config.text_config.vocab_size} token embeddings"
        )


def _check_text(
    input_ids: Any, attention_mask: Any, config: CLIPTextConfig
) -> tuple[jax.Array, jax.Array]:
    ids = np.asarray(input_ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer) or 0 in ids.shape:
        raise ValueError(
            f"CLIP input_ids must be integers [batch, length], got {ids.dtype} {ids.shape}"
        )
    if ids.shape[1] > config.max_position_embeddings:
        raise ValueError(
            f"CLIP input_ids have {ids.shape[1]} tokens; the model takes at most "
            f"{config.max_position_embeddings}"
        )
    if ids.min() < 0 or ids.max() >= config.vocab_size:
        raise ValueError(f"CLIP input_ids must lie in [0, {config.vocab_size})")
    mask = np.ones_like(ids) if attention_mask is None else np.asarray(attention_mask)
    if mask.shape != ids.shape:
        raise ValueError(f"CLIP attention_mask {mask.shape} does not match input_ids {ids.shape}")
    return jnp.asarray(ids, jnp.int32), jnp.asarray(mask, jnp.int32)


def _check_pixels(pixel_values: Any, config: CLIPConfig) -> jax.Array:
    pixels = np.asarray(pixel_values)
    vision = config.vision_config
    size = vision.image_size
    expected = (vision.num_channels, size, size)
    if pixels.ndim != 4 or pixels.shape[1:] != expected or pixels.dtype == np.uint8:
        raise ValueError(
            f"CLIP pixel_values must be normalised floats NCHW [batch, {expected[0]}, {size}, "
            f"{size}] (see CLIP.preprocess), got {pixels.dtype} {pixels.shape}"
        )
    return jnp.asarray(pixels, jnp.float32)


# --------------------------------------------------------------------------------------------
# Creation, loading, saving, counting
# --------------------------------------------------------------------------------------------


def _init_inputs(config: CLIPConfig) -> tuple[jax.ShapeDtypeStruct, ...]:
    size = config.vision_config.image_size
    ids = jax.ShapeDtypeStruct((1, 1), jnp.int32)
    pixels = jax.ShapeDtypeStruct((1, config.vision_config.num_channels, size, size), jnp.float32)
    return ids, ids, pixels


def param_shapes(config: CLIPConfig) -> Params:
    """The parameter tree as ``jax.ShapeDtypeStruct`` leaves, computed without allocating."""
    key = jax.ShapeDtypeStruct((2,), jnp.uint32)
    variables = jax.eval_shape(CLIPModule(config).init, key, *_init_inputs(config))
    return _plain_dict(variables["params"])


def count_params(config: CLIPConfig) -> int:
    """Number of parameters of both towers, projections and logit_scale (nothing allocated)."""
    return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(param_shapes(config)))


def init_clip(
    config: CLIPConfig,
    key: jax.Array,
    tokenizer_dir: str | os.PathLike[str] | None = None,
) -> CLIP:
    """A CLIP with random weights; the tokenizer (optional) is loaded from ``tokenizer_dir``."""
    inputs = [jnp.zeros(spec.shape, spec.dtype) for spec in _init_inputs(config)]
    variables = _compiled_init(config)(key, *inputs)
    tokenizer, directory = None, None
    if tokenizer_dir is not None:
        directory = resolve_model_dir(tokenizer_dir)
        tokenizer = load_clip_tokenizer(directory)
    return CLIP(config, _plain_dict(variables["params"]), tokenizer, tokenizer_dir=directory)


@functools.lru_cache(maxsize=4)
def _compiled_init(config: CLIPConfig) -> Callable[..., Any]:
    # Compiling the initialisers takes seconds; keep it for the next model with this config.
    return jax.jit(CLIPModule(config).init)


def load_clip(model_dir: str | os.PathLike[str], dtype: Any = jnp.float32) -> CLIP:
    """Load a CLIP directory in the published HF layout: ``config.json``,
    ``flax_model.msgpack``, tokenizer files and (optionally) ``preprocessor_config.json``.

    Every parameter is checked against the config's shapes and cast to ``dtype``.
    """
    directory = resolve_model_dir(model_dir)
    raw_config = read_config(directory)
    try:
        config = CLIPConfig.from_dict(raw_config)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{directory / 'config.json'}: {error}") from None
    raw = read_params(directory / PARAMS_FILE)
    params = match_params(raw, param_shapes(config), "CLIP", dtype)
    settings = _read_image_settings(directory, config.vision_config.image_size)
    has_tokenizer = any((directory / name).is_file() for name in ("tokenizer.json", "vocab.json"))
    tokenizer = load_clip_tokenizer(directory) if has_tokenizer else None
    return CLIP(
        config,
        params,
        tokenizer,
        settings,
        dtype,
        tokenizer_dir=directory if has_tokenizer else None,
    )


def _read_image_settings(directory: pathlib.Path, image_size: int) -> ImageSettings:
    path = directory / PREPROCESSOR_FILE
    if not path.is_file():
        return ImageSettings.defaults_for(image_size)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        settings = ImageSettings.from_dict(data, image_size)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path}: {error}") from None
    crop = (settings.crop_height, settings.crop_width)
    if settings.do_center_crop and crop != (image_size, image_size):
        raise CheckpointError(
            f"{path}: crop_size {crop[0]}x{crop[1]} does not match the vision tower's "
            f"image_size {image_size}"
        )
    return settings


def save_clip(model: CLIP, model_dir: str | os.PathLike[str]) -> None:
    """Write ``config.json``, ``flax_model.msgpack`` (float32), ``preprocessor_config.json``
    and the tokenizer files the model was loaded with."""
    # Check before writing anything, so a bad model leaves an existing directory untouched.
    params = match_params(model.params, param_shapes(model.config), "CLIP", jnp.float32)
    directory = pathlib.Path(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    write_params(directory / PARAMS_FILE, jax.tree_util.tree_map(np.asarray, params))
    write_config(directory, model.config.to_dict())
    text = json.dumps(model.image_settings.to_dict(), indent=2, sort_keys=True) + "\n"
    (directory / PREPROCESSOR_FILE).write_text(text, encoding="utf-8")
    source = model.tokenizer_dir
    if source is not None and source.resolve() != directory.resolve():
        for name in TOKENIZER_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, directory / name)


def _plain_dict(tree: Any) -> Any:
    """Flax may hand back FrozenDicts; the project's trees are plain nested dicts."""
    if isinstance(tree, Mapping):
        return {key: _plain_dict(value) for key, value in tree.items()}
    return tree
