"""A CLIP with weights: features, scores and the reranker; creating, counting, loading, saving."""

from __future__ import annotations

import functools
import json
import math
import os
import pathlib
import shutil
from collections.abc import Callable, Sequence
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from generator.checkpoint import (
    CheckpointError,
    load_model_files,
    match_params,
    plain_dict,
    resolve_model_dir,
    save_model_files,
)
from generator.clip.config import (
    PREPROCESSOR_FILE,
    CLIPConfig,
    CLIPTextConfig,
    Params,
)
from generator.clip.images import ImageSettings
from generator.clip.network import CLIPModule
from generator.tokenizers import TOKENIZER_FILES, Tokenizer, encode_texts, load_clip_tokenizer

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


@functools.lru_cache(maxsize=8)
def _compiled_states(config: CLIPConfig, dtype: str) -> Callable[..., tuple[jax.Array, ...]]:
    module = CLIPModule(config, jnp.dtype(dtype))

    def run(params: Params, ids: jax.Array, mask: jax.Array) -> tuple[jax.Array, ...]:
        states = module.apply({"params": params}, ids, mask, method=CLIPModule.text_states)
        tokens, pooled = cast(tuple[jax.Array, jax.Array], states)
        return tokens.astype(jnp.float32), pooled.astype(jnp.float32)

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

    def text_states(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Texts -> (every token's state float32 [B, L, width], the mask [B, L], the pooled
        state [B, width]): the text tower's output before the projection, L its length."""
        tokenizer = self._need_tokenizer()
        if isinstance(texts, str) or not texts:
            raise ValueError("CLIP.text_states takes a non-empty list of texts")
        length = self.config.text_config.max_position_embeddings
        encoded_ids, encoded_mask = encode_texts(tokenizer, list(texts), length)
        ids, mask = _check_text(encoded_ids, encoded_mask, self.config.text_config)
        run = _compiled_states(self.config, self.dtype.name)
        tokens, pooled = run(self.params, ids, mask)
        return np.asarray(tokens), np.asarray(mask), np.asarray(pooled)

    def _need_tokenizer(self) -> Tokenizer:
        if self.tokenizer is None:
            raise ValueError(
                "this CLIP has no tokenizer (its directory has no tokenizer files); "
                "it cannot read texts"
            )
        return self.tokenizer

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
        tokenizer = self._need_tokenizer()
        if isinstance(texts, str) or not texts:
            raise ValueError("CLIP.score takes a non-empty list of texts")
        max_length = self.config.text_config.max_position_embeddings
        ids, mask = encode_texts(tokenizer, list(texts), max_length)
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
    return plain_dict(variables["params"])


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
    return CLIP(config, plain_dict(variables["params"]), tokenizer, tokenizer_dir=directory)


@functools.lru_cache(maxsize=4)
def _compiled_init(config: CLIPConfig) -> Callable[..., Any]:
    # Compiling the initialisers takes seconds; keep it for the next model with this config.
    return jax.jit(CLIPModule(config).init)


def load_clip(model_dir: str | os.PathLike[str], dtype: Any = jnp.float32) -> CLIP:
    """Load a CLIP directory in the published HF layout: ``config.json``,
    ``flax_model.msgpack``, tokenizer files and (optionally) ``preprocessor_config.json``.

    Every parameter is checked against the config's shapes and cast to ``dtype``.
    """
    directory, config, raw = load_model_files(model_dir, CLIPConfig.from_dict)
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
    expected, config = param_shapes(model.config), model.config.to_dict()
    directory = save_model_files(model_dir, model.params, expected, "CLIP", config, jnp.float32)
    text = json.dumps(model.image_settings.to_dict(), indent=2, sort_keys=True) + "\n"
    (directory / PREPROCESSOR_FILE).write_text(text, encoding="utf-8")
    source = model.tokenizer_dir
    if source is not None and source.resolve() != directory.resolve():
        for name in TOKENIZER_FILES:
            if (source / name).is_file():
                shutil.copyfile(source / name, directory / name)
