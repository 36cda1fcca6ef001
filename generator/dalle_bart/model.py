"""A DalleBart with weights: logits for a text and image tokens; creating, counting, loading
and saving one."""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from generator import checkpoint
from generator.dalle_bart.config import DalleBartConfig
from generator.dalle_bart.network import DalleBartModule

# --- the loaded model ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DalleBart:
    """A DalleBart network with its parameters (the published tree, no "params" wrapper)."""

    config: DalleBartConfig
    params: dict
    dtype: Any = jnp.float32

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", jnp.dtype(self.dtype))

    @property
    def module(self) -> DalleBartModule:
        return DalleBartModule(self.config, self.dtype)

    def logits(self, input_ids: Any, attention_mask: Any, decoder_input_ids: Any) -> jax.Array:
        """Full (non-cached) forward: float32 logits [B, T, image_vocab_size + 1].

        input_ids, attention_mask: [B, S] text tokens (S <= max_text_length);
        decoder_input_ids: [B, T] image tokens starting with the start token (T <= image_length).
        """
        input_ids, attention_mask = check_text_inputs(self.config, input_ids, attention_mask)
        decoder_input_ids = np.asarray(decoder_input_ids)
        if decoder_input_ids.ndim != 2 or decoder_input_ids.shape[0] != input_ids.shape[0]:
            raise ValueError(
                f"decoder_input_ids must be [batch={input_ids.shape[0]}, length], "
                f"got shape {decoder_input_ids.shape}"
            )
        if not 1 <= decoder_input_ids.shape[1] <= self.config.image_length:
            raise ValueError(
                f"decoder_input_ids length {decoder_input_ids.shape[1]} must be within "
                f"1..image_length={self.config.image_length}"
            )
        _check_token_range(decoder_input_ids, self.config.image_vocab_size + 1, "decoder_input_ids")
        forward = _compiled_forward(self.config, self.dtype)
        return forward(self.params, input_ids, attention_mask, decoder_input_ids.astype(np.int32))


def check_text_inputs(
    config: DalleBartConfig, input_ids: Any, attention_mask: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Validate text token ids and mask ([B, S] each; no mask = every token visible)."""
    input_ids = np.asarray(input_ids)
    attention_mask = (
        np.ones_like(input_ids) if attention_mask is None else np.asarray(attention_mask)
    )
    if input_ids.ndim != 2 or attention_mask.shape != input_ids.shape:
        raise ValueError(
            "input_ids and attention_mask must both be [batch, length]; got shapes "
            f"{input_ids.shape} and {attention_mask.shape}"
        )
    if not 1 <= input_ids.shape[1] <= config.max_text_length:
        raise ValueError(
            f"text length {input_ids.shape[1]} must be within 1..max_text_length="
            f"{config.max_text_length}"
        )
    _check_token_range(input_ids, config.encoder_vocab_size, "input_ids")
    return input_ids.astype(np.int32), attention_mask.astype(np.int32)


def _check_token_range(ids: np.ndarray, vocab: int, what: str) -> None:
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{what} must be integer token ids, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab):
        raise ValueError(f"{what} must lie in 0..{vocab - 1}; found {ids.min()}..{ids.max()}")


@functools.lru_cache(maxsize=16)
def _compiled_forward(config: DalleBartConfig, dtype: np.dtype) -> Any:
    module = DalleBartModule(config, dtype)
    return jax.jit(lambda params, *inputs: module.apply({"params": params}, *inputs))


# --- creating, counting, loading and saving ----------------------------------------------------


def _init_params(config: DalleBartConfig, key: jax.Array) -> dict:
    ids = jnp.zeros((1, 1), jnp.int32)
    variables = DalleBartModule(config).init(key, ids, jnp.ones((1, 1), jnp.int32), ids)
    return variables["params"]


def expected_params(config: DalleBartConfig) -> dict:
    """The parameter tree as `jax.ShapeDtypeStruct`s, without allocating it."""
    return jax.eval_shape(functools.partial(_init_params, config), jax.random.key(0))


def count_params(config: DalleBartConfig) -> int:
    """Number of parameters of a model with this config (nothing is allocated)."""
    leaves = jax.tree_util.tree_leaves(expected_params(config))
    return sum(math.prod(leaf.shape) for leaf in leaves)


def init_dalle_bart(config: DalleBartConfig, key: jax.Array, dtype: Any = jnp.float32) -> DalleBart:
    """A randomly initialised model (weights drawn as dalle-mini draws them, N(0, init_std))."""
    params = jax.jit(_init_params, static_argnums=0)(config, key)
    params = jax.tree_util.tree_map(lambda p: p.astype(dtype), params)
    return DalleBart(config, params, dtype)


def load_dalle_bart(model_dir: str | os.PathLike[str], dtype: Any = jnp.float32) -> DalleBart:
    """Load `config.json` + `flax_model.msgpack` (scanned or per-layer, float16/32 on disk)."""
    _, config, tree = checkpoint.load_model_files(model_dir, DalleBartConfig.from_dict)
    tree = checkpoint.stack_layers(tree, "FlaxBartEncoderLayer_", "FlaxBartEncoderLayers")
    tree = checkpoint.stack_layers(tree, "FlaxBartDecoderLayer_", "FlaxBartDecoderLayers")
    config = dataclasses.replace(config, force_ln_scale=_has_ln_scale(tree, config.force_ln_scale))
    params = checkpoint.match_params(tree, expected_params(config), "DalleBart", dtype)
    return DalleBart(config, params, dtype)


def _has_ln_scale(tree: dict, default: bool) -> bool:
    """Whether the norms that feed a dense layer carry a scale, read from the checkpoint keys.

    dalle-mini leaves the scale out of those norms unless `force_ln_scale` was set; the keys
    (`.../LayerNorm_0/scale` next to `.../LayerNorm_0/bias`) tell which way a file was saved.
    """
    leaves = [
        path.rsplit("/", 1)[1]
        for path in checkpoint.flatten_params(tree)
        if "/layers/" in path and path.rsplit("/", 2)[-2] == "LayerNorm_0"
    ]
    return "scale" in leaves if leaves else default


def save_dalle_bart(model: DalleBart, model_dir: str | os.PathLike[str]) -> Path:
    """Write `config.json` and `flax_model.msgpack` (the caller copies tokenizer files)."""
    expected, config = expected_params(model.config), model.config.to_dict()
    return checkpoint.save_model_files(model_dir, model.params, expected, "DalleBart", config)
