"""Sampling image tokens from DalleBart: one compiled loop over a preallocated cache.

Per image, 256 strictly sequential decoder steps dominate generation time, and each step reads
every decoder weight. So the whole loop is one `jax.lax.fori_loop` inside `jax.jit` (no Python
dispatch per step), the self-attention keys and values live in a preallocated cache, the
conditional and unconditional rows of all images go through the decoder together (2N rows),
and the cross-attention keys and values are computed once from the encoder output.

Each step: guided = uncond + s * (cond - uncond) ("super conditioning"), restricted to the
VQGAN codes, then temperature -> top-k -> top-p (the order of the Hugging Face warpers dalle-mini
uses), then one categorical draw per row. Logits stay float32 throughout.

Row i draws with `fold_in(key(seeds[i]), step)`, so a seed gives the same tokens alone and
inside any batch (dalle-mini's single split key made results depend on the batch, issue #273).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np

from generator.dalle_bart import (
    DalleBart,
    DalleBartConfig,
    DalleBartModule,
    DecoderCache,
    EncoderContext,
    check_text_inputs,
    decode_step,
    encode_for_decoding,
    init_decoder_cache,
)


@dataclasses.dataclass(frozen=True)
class SamplingConfig:
    """How tokens are drawn. Defaults are dalle-mini's notebook settings."""

    condition_scale: float = 10.0  # 1.0 = conditional only (the unconditional pass is skipped)
    temperature: float = 1.0
    top_k: int = 50  # 0 = no top-k filter
    top_p: float = 1.0  # 1.0 = no nucleus filter

    def __post_init__(self) -> None:
        if not math.isfinite(self.condition_scale):
            raise ValueError(f"condition_scale must be a finite number, got {self.condition_scale}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a positive number, got {self.temperature}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top_k must be an integer >= 0 (0 disables it), got {self.top_k!r}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")


@flax.struct.dataclass
class SamplingState:
    """What the decode loop carries from one step to the next."""

    tokens: jax.Array  # [N, image_length + 1] int32: start token, then the sampled tokens
    cache: DecoderCache  # keys/values [layers, rows, image_length, heads, head_dim]


@dataclasses.dataclass(frozen=True)
class _LoopShape:
    """Everything that changes the compiled program (other than array shapes)."""

    config: DalleBartConfig
    dtype: np.dtype
    guided: bool  # whether unconditional rows run at all (condition_scale != 1)
    top_k: int  # 0 = off (also when it would keep every image code)
    nucleus: bool  # whether the top-p filter runs (top_p < 1)


def sample_image_tokens(
    model: DalleBart,
    input_ids: Any,
    attention_mask: Any,
    uncond_input_ids: Any,
    uncond_attention_mask: Any,
    seeds: Sequence[int],
    config: SamplingConfig | None = None,
) -> np.ndarray:
    """Draw `len(seeds)` images' tokens: int32 [N, image_length], all < the number of codes.

    Text inputs are [1, S] (one prompt for every seed) or [N, S]. The unconditional inputs
    (the empty prompt) may be None when `condition_scale` is 1.
    """
    config = config or SamplingConfig()
    seed_array = _seed_array(seeds)
    count = len(seed_array)
    guided = config.condition_scale != 1.0
    texts = [_rows(model.config, input_ids, attention_mask, count, "input_ids")]
    if guided:
        if uncond_input_ids is None:
            raise ValueError("condition_scale != 1 needs the unconditional (empty prompt) inputs")
        texts.append(
            _rows(model.config, uncond_input_ids, uncond_attention_mask, count, "uncond_input_ids")
        )
    ids, mask = _stack_padded(texts)
    shape = _LoopShape(
        config=model.config,
        dtype=model.dtype,
        guided=guided,
        top_k=config.top_k if config.top_k < model.config.image_codes else 0,
        nucleus=config.top_p < 1.0,
    )
    tokens = _compiled_loop(shape)(
        model.params,
        ids,
        mask,
        seed_array,
        np.float32(config.condition_scale),
        np.float32(config.temperature),
        np.float32(config.top_p),
    )
    return np.asarray(tokens, dtype=np.int32)


def _seed_array(seeds: Sequence[int]) -> np.ndarray:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("at least one seed is needed")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ValueError(f"seeds must be integers, got {seed!r}")
        if not 0 <= seed < 2**32:
            raise ValueError(f"seeds must be in 0..2**32-1, got {seed}")
    return np.asarray(seeds, dtype=np.uint32)


def _rows(
    config: DalleBartConfig, ids: Any, mask: Any, count: int, what: str
) -> tuple[np.ndarray, np.ndarray]:
    ids, mask = check_text_inputs(config, ids, mask)
    if ids.shape[0] not in (1, count):
        raise ValueError(f"{what} must have 1 or {count} rows (one per seed), got {ids.shape[0]}")
    shape = (count, ids.shape[1])
    return np.broadcast_to(ids, shape), np.broadcast_to(mask, shape)


def _stack_padded(texts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Stack conditional then unconditional rows, padding to one length (padding is masked)."""
    length = max(ids.shape[1] for ids, _ in texts)

    def pad(array: np.ndarray) -> np.ndarray:
        return np.pad(array, ((0, 0), (0, length - array.shape[1])))

    return (
        np.concatenate([pad(ids) for ids, _ in texts]),
        np.concatenate([pad(mask) for _, mask in texts]),
    )


@functools.lru_cache(maxsize=16)
def _compiled_loop(shape: _LoopShape) -> Any:
    """The jitted sampler for one model and filter setup; jit adds one program per batch shape."""
    module = DalleBartModule(shape.config, shape.dtype)
    image_length = shape.config.image_length
    start = shape.config.start_token

    def run(
        params: dict,
        input_ids: jax.Array,  # [rows, S]: N conditional rows, then N unconditional if guided
        attention_mask: jax.Array,  # [rows, S]
        seeds: jax.Array,  # [N] uint32
        condition_scale: jax.Array,
        temperature: jax.Array,
        top_p: jax.Array,
    ) -> jax.Array:
        context = encode_for_decoding(module, params, input_ids, attention_mask)
        row_keys = jax.vmap(jax.random.key)(seeds)
        count = seeds.shape[0]
        state = SamplingState(
            tokens=jnp.full((count, image_length + 1), start, jnp.int32),
            cache=init_decoder_cache(shape.config, input_ids.shape[0], shape.dtype),
        )

        def body(step: jax.Array, state: SamplingState) -> SamplingState:
            logits, cache = _step_logits(module, params, context, state, step, shape.guided)
            logits = _guide(logits, shape, condition_scale)
            logits = _warp(logits / temperature, shape, top_p)
            keys = jax.vmap(jax.random.fold_in, in_axes=(0, None))(row_keys, step)
            drawn = jax.vmap(jax.random.categorical)(keys, logits).astype(jnp.int32)
            tokens = state.tokens.at[:, step + 1].set(drawn)
            return SamplingState(tokens=tokens, cache=cache)

        state = jax.lax.fori_loop(0, image_length, body, state)
        return state.tokens[:, 1:]

    return jax.jit(run)


def _step_logits(
    module: DalleBartModule,
    params: dict,
    context: EncoderContext,
    state: SamplingState,
    step: jax.Array,
    guided: bool,
) -> tuple[jax.Array, DecoderCache]:
    """Feed each image's last token (twice when guided: cond and uncond rows) -> [rows, V]."""
    last = state.tokens[:, step]
    rows = jnp.concatenate([last, last]) if guided else last
    return decode_step(module, params, rows, step, state.cache, context)


def _guide(logits: jax.Array, shape: _LoopShape, condition_scale: jax.Array) -> jax.Array:
    """[rows, V] -> [N, codes]: super-conditioned logits over the VQGAN codes only."""
    logits = logits[:, : shape.config.image_codes]
    if not shape.guided:
        return logits
    cond, uncond = jnp.split(logits, 2)
    return uncond + condition_scale * (cond - uncond)


def _warp(logits: jax.Array, shape: _LoopShape, top_p: jax.Array) -> jax.Array:
    if shape.top_k:
        logits = keep_top_k(logits, shape.top_k)
    if shape.nucleus:
        logits = keep_top_p(logits, top_p)
    return logits


def keep_top_k(logits: jax.Array, k: int) -> jax.Array:
    """Keep exactly the k largest logits of each row [N, V] (ties: lowest index); -inf the rest."""
    values, indices = jax.lax.top_k(logits, k)
    rows = jnp.arange(logits.shape[0])[:, None]
    return jnp.full_like(logits, -jnp.inf).at[rows, indices].set(values)


def keep_top_p(logits: jax.Array, top_p: jax.Array) -> jax.Array:
    """Keep the most likely tokens whose probabilities first reach `top_p` (at least one)."""
    ordered = jnp.sort(logits, axis=-1)[:, ::-1]
    probs = jax.nn.softmax(ordered, axis=-1)
    mass_before = jnp.cumsum(probs, axis=-1) - probs
    kept = mass_before < top_p
    threshold = jnp.min(jnp.where(kept, ordered, jnp.inf), axis=-1, keepdims=True)
    return jnp.where(logits >= threshold, logits, -jnp.inf)
