"""A VQGAN with weights: encode and decode (float32, jitted); creating, counting, loading and
saving one."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from generator.checkpoint import (
    load_model_files,
    match_params,
    plain_dict,
    save_model_files,
)
from generator.vqgan.config import DECODE_PATH, Params, VQGANConfig
from generator.vqgan.network import PromptStates, VQGANModule

# --------------------------------------------------------------------------------------------
# Loaded model
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _compiled(config: VQGANConfig, method: str) -> Callable[..., jax.Array]:
    """One jitted function per (config, method), shared by every model with that config.

    Params are an argument (not a closed-over constant) so the compiled program stays small and
    is reused after a reload; jax.jit caches the executable per input shape.
    """
    module = VQGANModule(config)
    if method == "decode_code":

        def decode(params: Params, codes: jax.Array, prompt: PromptStates | None) -> jax.Array:
            pixels = module.apply({"params": params}, codes, prompt, method=VQGANModule.decode_code)
            return jnp.clip(cast(jax.Array, pixels), 0.0, 1.0)

        return jax.jit(decode)

    def encode(params: Params, images: jax.Array) -> jax.Array:
        codes = module.apply({"params": params}, images, method=VQGANModule.encode)
        return cast(jax.Array, codes).astype(jnp.int32)

    return jax.jit(encode)


class VQGAN:
    """A VQGAN with weights: ``decode_code`` and ``encode`` (float32, jitted)."""

    def __init__(self, config: VQGANConfig, params: Params) -> None:
        self.config = config
        self.params = params

    @property
    def reads_prompt(self) -> bool:
        """Whether `decode_code` needs the prompt's text states (the built-in model's decoder)."""
        return self.config.reads_prompt

    def decode_code(self, codes: Any, prompt: PromptStates | None = None) -> np.ndarray:
        """Codes int [B, s*s] (row-major grid) -> float32 images [B, H, W, out_ch] in [0, 1].

        A decoder that reads the prompt needs its text states (`CLIP.prompt_states`), one row
        per picture or one row for all; a plain decoder takes none."""
        codes = _check_codes(codes, self.config)
        prompt = _check_prompt(prompt, self.config, codes.shape[0])
        return np.asarray(_compiled(self.config, "decode_code")(self.params, codes, prompt))

    def encode(self, images: Any) -> np.ndarray:
        """Float images [B, H, W, in_channels] in [0, 1] -> int32 codes [B, (H/f)*(W/f)]."""
        images = _check_images(images, self.config)
        return np.asarray(_compiled(self.config, "encode")(self.params, images))


def _check_codes(codes: Any, config: VQGANConfig) -> jax.Array:
    array = np.asarray(codes)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"VQGAN codes must be an integer array [batch, tokens], got {array.dtype} {array.shape}"
        )
    side = math.isqrt(array.shape[1])
    if array.shape[1] == 0 or side * side != array.shape[1]:
        raise ValueError(f"VQGAN codes: {array.shape[1]} tokens do not form a square grid")
    if array.size and (array.min() < 0 or array.max() >= config.n_embed):
        raise ValueError(
            f"VQGAN codes must lie in [0, {config.n_embed}), got min {array.min()} "
            f"max {array.max()}"
        )
    return jnp.asarray(array, dtype=jnp.int32)


def _check_prompt(
    prompt: PromptStates | None, config: VQGANConfig, batch: int
) -> PromptStates | None:
    if not config.reads_prompt:
        if prompt is not None:
            raise ValueError("this VQGAN's decoder does not read a prompt; pass none")
        return None
    if prompt is None:
        raise ValueError(
            "this VQGAN's decoder reads the prompt: pass its text states (CLIP.prompt_states)"
        )
    tokens = np.asarray(prompt.tokens, np.float32)
    if tokens.ndim != 3 or tokens.shape[-1] != config.text_width:
        raise ValueError(
            f"the prompt's token states must be [batch, length, {config.text_width}], "
            f"got {tokens.shape}"
        )
    if tokens.shape[0] not in (1, batch):
        raise ValueError(f"the prompt's states have {tokens.shape[0]} rows for {batch} pictures")

    def rows(array: np.ndarray) -> jax.Array:
        return jnp.asarray(np.broadcast_to(array, (batch, *array.shape[1:])))

    return PromptStates(
        tokens=rows(tokens),
        mask=rows(np.asarray(prompt.mask, np.int32)),
        pooled=rows(np.asarray(prompt.pooled, np.float32)),
    )


def _check_images(images: Any, config: VQGANConfig) -> jax.Array:
    array = np.asarray(images)
    if array.dtype == np.uint8:
        raise ValueError("VQGAN.encode takes float images in [0, 1]; divide uint8 images by 255")
    if array.ndim != 4 or array.shape[-1] != config.in_channels:
        raise ValueError(
            f"VQGAN images must be [batch, height, width, {config.in_channels}], got {array.shape}"
        )
    factor = config.downsample_factor
    if array.shape[1] % factor or array.shape[2] % factor or 0 in array.shape:
        raise ValueError(
            f"VQGAN image sides must be positive multiples of {factor}, got "
            f"{array.shape[1]}x{array.shape[2]}"
        )
    array = array.astype(np.float32)
    if array.size and not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
        raise ValueError("VQGAN images must hold finite values in [0, 1]")
    return jnp.asarray(array)


# --------------------------------------------------------------------------------------------
# Creation, loading, saving, counting
# --------------------------------------------------------------------------------------------


def _init_input(config: VQGANConfig) -> jax.ShapeDtypeStruct:
    # The smallest image the encoder accepts: weights do not depend on the spatial size.
    side = config.downsample_factor
    return jax.ShapeDtypeStruct((1, side, side, config.in_channels), jnp.float32)


def _init_prompt(config: VQGANConfig) -> PromptStates | None:
    """A one-token prompt for `init` (weights do not depend on its length), or None."""
    if not config.reads_prompt:
        return None
    width = config.text_width
    return PromptStates(
        tokens=jnp.zeros((1, 1, width), jnp.float32),
        mask=jnp.ones((1, 1), jnp.int32),
        pooled=jnp.zeros((1, width), jnp.float32),
    )


def param_shapes(config: VQGANConfig) -> Params:
    """The parameter tree as ``jax.ShapeDtypeStruct`` leaves, computed without allocating."""
    module = VQGANModule(config)
    key = jax.ShapeDtypeStruct((2,), jnp.uint32)
    variables = jax.eval_shape(module.init, key, _init_input(config), _init_prompt(config))
    return plain_dict(variables["params"])


def init_vqgan(config: VQGANConfig, key: jax.Array) -> VQGAN:
    """A VQGAN with random weights (Flax default initialisers), float32."""
    dummy = jnp.zeros(_init_input(config).shape, jnp.float32)
    variables = _compiled_init(config)(key, dummy, _init_prompt(config))
    return VQGAN(config, plain_dict(variables["params"]))


@functools.lru_cache(maxsize=4)
def _compiled_init(config: VQGANConfig) -> Callable[..., Any]:
    # Compiling the initialisers takes seconds; keep it for the next model with this config.
    return jax.jit(VQGANModule(config).init)


def count_params(config: VQGANConfig, *, decode_only: bool = False) -> int:
    """Number of parameters; ``decode_only`` counts what ``decode_code`` uses (codebook,
    post_quant_conv, decoder). Nothing is allocated."""
    shapes = param_shapes(config)
    if decode_only:
        shapes = {name: shapes[name] for name in DECODE_PATH}
    return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes))


def load_vqgan(model_dir: str | os.PathLike[str]) -> VQGAN:
    """Load ``config.json`` + ``flax_model.msgpack`` (the published layout) from a local dir.

    Every parameter is checked against the config's shapes; weights are cast to float32.
    """
    _, config, raw = load_model_files(model_dir, VQGANConfig.from_dict)
    params = match_params(raw, param_shapes(config), "VQGAN", jnp.float32)
    return VQGAN(config, params)


def save_vqgan(model: VQGAN, model_dir: str | os.PathLike[str]) -> None:
    """Write ``config.json`` and ``flax_model.msgpack`` in the published layout."""
    expected = param_shapes(model.config)
    config = model.config.to_dict()
    save_model_files(model_dir, model.params, expected, "VQGAN", config, jnp.float32)
