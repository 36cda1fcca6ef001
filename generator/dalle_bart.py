"""DalleBart: the DALL·E Mini / Mega text-to-image-token transformer, in Flax Linen.

The computation follows dalle-mini's `modeling.py` with the published settings
(`ln_positions="normformer"`, GLU feed-forward, no biases; see
`shared/reference/dalle-mini.md` §1.2):

    encoder layer:  h = h + LN_1(Attn(LN†_0(h)));  h = h + GLU(h)
    decoder layer:  h = h + LN_1(SelfAttn(LN†_0(h)));  h = h + LN_3(CrossAttn(LN†_2(h), enc));
                    h = h + GLU(h)
    GLU:            x = LN†(x);  x = gelu(x W0) * (x W1);  x = LN†(x);  out = x W2

LN† is bias-only (`use_scale=False`) unless the checkpoint carries a scale (`force_ln_scale`).
Embeddings are token + position (no BART offset of 2) followed by `layernorm_embedding`; the
encoder and decoder outputs go through a bias-only `final_ln`; `lm_head` is untied.

Why Flax Linen: its auto-named submodules (`LayerNorm_0`, `GLU_0/Dense_1`,
`FlaxBartAttention_1`, ...) and `nn.scan` give a parameter tree identical to the published
`flax_model.msgpack` (layers stacked on a leading axis under `.../layers/FlaxBartEncoderLayers`),
and `jax.eval_shape(module.init, ...)` gives every shape without allocating memory.

Besides the full forward (`DalleBart.logits`) this module provides the incremental decoder the
sampler runs: `encode_for_decoding` (encoder output and every layer's cross-attention keys and
values, computed once) and `decode_step` (one position for all rows, against a preallocated
self-attention cache).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from pathlib import Path
from typing import Any, cast

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp
import numpy as np

from generator import checkpoint
from generator.attention import attend, key_bias, split_heads

# DalleBartConfig fields with the values this implementation supports; a config.json that sets
# another value is refused rather than silently computed differently.
_FIXED_VARIANTS: dict[str, Any] = {
    "ln_type": "layernorm",
    "ln_positions": "normformer",
    "activation_function": "gelu",
    "use_head_scale": False,
    "use_cosine_attention": False,
    "use_swin_position_embeddings": False,
    "use_deepnet_scaling": False,
    "use_alibi": False,
    "use_absolute_position_embeddings": True,
    "sinkhorn_iters": 1,
    "tie_word_embeddings": False,
}
_LN_EPSILON = 1e-5


# --- configuration ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DalleBartConfig:
    """The model fields of a DalleBart `config.json`; other keys are kept in `extra`.

    Defaults are dalle-mini's `DalleBartConfig` defaults; special token ids left as None
    default to `image_vocab_size`, as there.
    """

    d_model: int = 1024
    encoder_layers: int = 12
    decoder_layers: int = 12
    encoder_attention_heads: int = 16
    decoder_attention_heads: int = 16
    encoder_ffn_dim: int = 4096
    decoder_ffn_dim: int = 4096
    encoder_vocab_size: int = 50264
    image_vocab_size: int = 16384
    max_text_length: int = 64
    image_length: int = 256
    decoder_start_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    pad_token_id: int | None = None
    force_ln_scale: bool = False
    use_glu: bool = True
    use_bias: bool = False
    use_final_ln_encoder: bool = True
    use_final_ln_decoder: bool = True
    scale_embedding: bool = False
    init_std: float = 0.02
    normalize_text: bool = False
    # Every other config.json key (architectures, min_length, dropout, ...), written back on
    # save. Not part of equality or hashing: it never changes the computation.
    extra: dict[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in ("decoder_start_token_id", "bos_token_id", "eos_token_id", "pad_token_id"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.image_vocab_size)
        self._validate()

    def _validate(self) -> None:
        for name, value in _FIXED_VARIANTS.items():
            if name in self.extra and self.extra[name] != value:
                raise ValueError(
                    f"DalleBart config sets {name}={self.extra[name]!r}; only {value!r} is "
                    "supported (the published DALL·E Mini/Mega setting)"
                )
        for name in (
            "d_model",
            "encoder_layers",
            "decoder_layers",
            "encoder_ffn_dim",
            "decoder_ffn_dim",
            "encoder_vocab_size",
            "image_vocab_size",
            "max_text_length",
            "image_length",
        ):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(f"DalleBart config: {name} must be a positive integer")
        for heads in ("encoder_attention_heads", "decoder_attention_heads"):
            count = getattr(self, heads)
            if not isinstance(count, int) or count <= 0 or self.d_model % count:
                raise ValueError(
                    f"DalleBart config: {heads}={count!r} must be a positive divisor of "
                    f"d_model={self.d_model}"
                )

    @property
    def start_token(self) -> int:
        """The decoder's start token (`decoder_start_token_id`, set by __post_init__)."""
        assert self.decoder_start_token_id is not None
        return self.decoder_start_token_id

    @property
    def image_codes(self) -> int:
        """How many image tokens are VQGAN codes (the tokens the sampler may draw).

        Mega pads its image vocabulary to 16415 rows for sharding, but its codebook has 16384
        codes and the start token is 16384, so codes are the ids below both.
        """
        return min(self.image_vocab_size, self.start_token)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DalleBartConfig:
        """Build from `config.json` contents; unknown keys go to `extra`."""
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in values.items() if k in names}
        extra = {k: v for k, v in values.items() if k not in names}
        try:
            return cls(**known, extra=extra)
        except TypeError as error:
            raise ValueError(f"DalleBart config: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        """`config.json` contents: the model fields plus every kept unknown key."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del values["extra"]
        return {**self.extra, **values}

    @classmethod
    def mini(cls) -> DalleBartConfig:
        """The published DALL·E Mini checkpoint (`dalle-mini/dalle-mini`, mini-1:v0)."""
        return cls(
            d_model=1024,
            encoder_layers=12,
            decoder_layers=12,
            encoder_attention_heads=16,
            decoder_attention_heads=16,
            encoder_ffn_dim=2730,
            decoder_ffn_dim=2730,
            encoder_vocab_size=50264,
            image_vocab_size=16384,
            decoder_start_token_id=16384,
            bos_token_id=16385,
            eos_token_id=16385,
            pad_token_id=16385,
            init_std=0.02,
            normalize_text=True,
        )

    @classmethod
    def mega(cls) -> DalleBartConfig:
        """The published DALL·E Mega checkpoint (`dalle-mini/dalle-mega`, mega-1:v16)."""
        return cls(
            d_model=2048,
            encoder_layers=24,
            decoder_layers=24,
            encoder_attention_heads=32,
            decoder_attention_heads=32,
            encoder_ffn_dim=4096,
            decoder_ffn_dim=4096,
            encoder_vocab_size=50272,
            image_vocab_size=16415,
            decoder_start_token_id=16384,
            bos_token_id=16385,
            eos_token_id=16385,
            pad_token_id=16385,
            init_std=0.01,
            normalize_text=True,
        )


# --- modules ---------------------------------------------------------------------------------
# Class names and explicit `name=`s below are part of the checkpoint format: they become the
# parameter paths of the published msgpack files.


def _layer_norm(scaled: bool, dtype: Any, name: str | None = None) -> nn.LayerNorm:
    return nn.LayerNorm(epsilon=_LN_EPSILON, use_scale=scaled, dtype=dtype, name=name)


def _dense(config: DalleBartConfig, features: int, dtype: Any, **kwargs: Any) -> nn.Dense:
    return nn.Dense(
        features,
        use_bias=config.use_bias,
        dtype=dtype,
        kernel_init=nn.initializers.normal(config.init_std),
        **kwargs,
    )


class FlaxBartAttention(nn.Module):
    """Multi-head attention with separate key/value projection, so keys can be cached."""

    config: DalleBartConfig
    num_heads: int
    dtype: Any = jnp.float32

    def setup(self) -> None:
        d_model = self.config.d_model
        self.q_proj = _dense(self.config, d_model, self.dtype)
        self.k_proj = _dense(self.config, d_model, self.dtype)
        self.v_proj = _dense(self.config, d_model, self.dtype)
        self.out_proj = _dense(self.config, d_model, self.dtype)

    def keys_values(self, source: jax.Array) -> tuple[jax.Array, jax.Array]:
        """source [B, S, D] -> keys, values [B, H, S, Dh] (heads first, the layout of the
        decoding cache: attention over a cached layer needs no transpose at every step)."""
        heads = self.num_heads
        return split_heads(self.k_proj(source), heads), split_heads(self.v_proj(source), heads)

    def __call__(
        self, x: jax.Array, keys: jax.Array, values: jax.Array, bias: jax.Array
    ) -> jax.Array:
        """x [B, T, D] attends to keys/values [B, H, S, Dh]; bias broadcasts to [B, H, T, S]."""
        query = split_heads(self.q_proj(x), self.num_heads)
        return self.out_proj(attend(query, keys, values, bias, self.dtype))


class GLU(nn.Module):
    """x = LN†(x); x = gelu(x W0) * (x W1); x = LN†(x); return x W2."""

    config: DalleBartConfig
    ffn_dim: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        scaled = self.config.force_ln_scale
        x = _layer_norm(scaled, self.dtype)(x)  # LayerNorm_0
        gate = nn.gelu(_dense(self.config, self.ffn_dim, self.dtype)(x), approximate=False)
        x = gate * _dense(self.config, self.ffn_dim, self.dtype)(x)  # Dense_0, Dense_1
        x = _layer_norm(scaled, self.dtype)(x)  # LayerNorm_1
        return _dense(self.config, self.config.d_model, self.dtype)(x)  # Dense_2


class FFN(nn.Module):
    """The non-GLU feed-forward of dalle-mini (`use_glu=False`)."""

    config: DalleBartConfig
    ffn_dim: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        scaled = self.config.force_ln_scale
        x = _layer_norm(scaled, self.dtype)(x)
        x = nn.gelu(_dense(self.config, self.ffn_dim, self.dtype)(x), approximate=False)
        x = _layer_norm(scaled, self.dtype)(x)
        return _dense(self.config, self.config.d_model, self.dtype)(x)


def _feed_forward(config: DalleBartConfig, ffn_dim: int, dtype: Any) -> nn.Module:
    if config.use_glu:
        return GLU(config, ffn_dim, dtype, name="GLU_0")
    return FFN(config, ffn_dim, dtype, name="FFN_0")


class FlaxBartEncoderLayer(nn.Module):
    config: DalleBartConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        config = self.config
        self.attn_in_norm = _layer_norm(config.force_ln_scale, self.dtype, "LayerNorm_0")
        self.attention = FlaxBartAttention(
            config, config.encoder_attention_heads, self.dtype, name="FlaxBartAttention_0"
        )
        self.attn_out_norm = _layer_norm(True, self.dtype, "LayerNorm_1")
        self.feed_forward = _feed_forward(config, config.encoder_ffn_dim, self.dtype)

    def __call__(self, h: jax.Array, bias: jax.Array) -> tuple[jax.Array, None]:
        x = self.attn_in_norm(h)
        keys, values = self.attention.keys_values(x)
        h = h + self.attn_out_norm(self.attention(x, keys, values, bias))
        h = h + self.feed_forward(h)
        return h, None  # (carry, per-layer output) as nn.scan expects


class FlaxBartDecoderLayer(nn.Module):
    config: DalleBartConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        config = self.config
        heads = config.decoder_attention_heads
        scaled = config.force_ln_scale
        self.self_in_norm = _layer_norm(scaled, self.dtype, "LayerNorm_0")
        self.self_attention = FlaxBartAttention(
            config, heads, self.dtype, name="FlaxBartAttention_0"
        )
        self.self_out_norm = _layer_norm(True, self.dtype, "LayerNorm_1")
        self.cross_in_norm = _layer_norm(scaled, self.dtype, "LayerNorm_2")
        self.cross_attention = FlaxBartAttention(
            config, heads, self.dtype, name="FlaxBartAttention_1"
        )
        self.cross_out_norm = _layer_norm(True, self.dtype, "LayerNorm_3")
        self.feed_forward = _feed_forward(config, config.decoder_ffn_dim, self.dtype)

    def __call__(
        self, h: jax.Array, self_bias: jax.Array, encoded: jax.Array, encoder_bias: jax.Array
    ) -> tuple[jax.Array, None]:
        """Full sequence: h [B, T, D], self_bias causal [1, 1, T, T]."""
        x, keys, values = self.self_attention_inputs(h)
        cross_keys, cross_values = self.cross_keys_values(encoded)
        h = self.attend(h, x, keys, values, self_bias, cross_keys, cross_values, encoder_bias)
        return h, None

    def cross_keys_values(self, encoded: jax.Array) -> tuple[jax.Array, jax.Array]:
        return self.cross_attention.keys_values(encoded)

    def self_attention_inputs(self, h: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """The normed input and the self-attention keys/values [B, H, T, Dh] of h's positions."""
        x = self.self_in_norm(h)
        return x, *self.self_attention.keys_values(x)

    def attend(
        self,
        h: jax.Array,
        x: jax.Array,
        keys: jax.Array,
        values: jax.Array,
        self_bias: jax.Array,
        cross_keys: jax.Array,
        cross_values: jax.Array,
        encoder_bias: jax.Array,
    ) -> jax.Array:
        """The rest of the layer, once the self-attention keys/values are known (or cached)."""
        h = h + self.self_out_norm(self.self_attention(x, keys, values, self_bias))
        x = self.cross_in_norm(h)
        h = h + self.cross_out_norm(self.cross_attention(x, cross_keys, cross_values, encoder_bias))
        return h + self.feed_forward(h)


class ScannedLayers(nn.Module):
    """`count` copies of `layer`, parameters stacked on axis 0 under the name `stack_name`."""

    config: DalleBartConfig
    layer: type[nn.Module]
    count: int
    stack_name: str
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, h: jax.Array, *shared: jax.Array) -> jax.Array:
        scan = nn.scan(
            self.layer,
            variable_axes={"params": 0},
            split_rngs={"params": True},
            in_axes=(nn.broadcast,) * len(shared),
            length=self.count,
        )
        h, _ = scan(self.config, self.dtype, name=self.stack_name)(h, *shared)
        return h


class FlaxBartEncoder(nn.Module):
    config: DalleBartConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        config = self.config
        init = nn.initializers.normal(config.init_std)
        self.embed_tokens = nn.Embed(
            config.encoder_vocab_size, config.d_model, embedding_init=init, dtype=self.dtype
        )
        self.embed_positions = nn.Embed(
            config.max_text_length, config.d_model, embedding_init=init, dtype=self.dtype
        )
        self.layernorm_embedding = _layer_norm(True, self.dtype)
        self.layers = ScannedLayers(
            config,
            FlaxBartEncoderLayer,
            config.encoder_layers,
            "FlaxBartEncoderLayers",
            self.dtype,
        )
        if config.use_final_ln_encoder:
            self.final_ln = _layer_norm(config.force_ln_scale, self.dtype)

    def __call__(self, input_ids: jax.Array, attention_mask: jax.Array) -> jax.Array:
        scale = math.sqrt(self.config.d_model) if self.config.scale_embedding else 1.0
        positions = jnp.arange(input_ids.shape[1])[None, :]
        h = self.embed_tokens(input_ids) * scale + self.embed_positions(positions)
        h = self.layernorm_embedding(h)
        h = self.layers(h, key_bias(attention_mask[:, None, None, :] > 0))
        return self.final_ln(h) if self.config.use_final_ln_encoder else h


class FlaxBartDecoder(nn.Module):
    config: DalleBartConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        config = self.config
        init = nn.initializers.normal(config.init_std)
        # One extra row for the start token, which is image_vocab_size in dalle-mini.
        self.embed_tokens = nn.Embed(
            config.image_vocab_size + 1, config.d_model, embedding_init=init, dtype=self.dtype
        )
        self.embed_positions = nn.Embed(
            config.image_length, config.d_model, embedding_init=init, dtype=self.dtype
        )
        self.layernorm_embedding = _layer_norm(True, self.dtype)
        self.layers = ScannedLayers(
            config,
            FlaxBartDecoderLayer,
            config.decoder_layers,
            "FlaxBartDecoderLayers",
            self.dtype,
        )
        if config.use_final_ln_decoder:
            self.final_ln = _layer_norm(config.force_ln_scale, self.dtype)

    def embed(self, ids: jax.Array, positions: jax.Array) -> jax.Array:
        scale = math.sqrt(self.config.d_model) if self.config.scale_embedding else 1.0
        h = self.embed_tokens(ids) * scale + self.embed_positions(positions)
        return self.layernorm_embedding(h)

    def finish(self, h: jax.Array) -> jax.Array:
        return self.final_ln(h) if self.config.use_final_ln_decoder else h

    def __call__(self, ids: jax.Array, encoded: jax.Array, encoder_bias: jax.Array) -> jax.Array:
        length = ids.shape[1]
        h = self.embed(ids, jnp.arange(length)[None, :])
        causal = jnp.tril(jnp.ones((length, length), dtype=bool))[None, None]
        return self.finish(self.layers(h, key_bias(causal), encoded, encoder_bias))


class FlaxBartModule(nn.Module):
    config: DalleBartConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        self.encoder = FlaxBartEncoder(self.config, self.dtype)
        self.decoder = FlaxBartDecoder(self.config, self.dtype)


class DalleBartModule(nn.Module):
    """The whole network; parameters are `{"model": {...}, "lm_head": {...}}`."""

    config: DalleBartConfig
    dtype: Any = jnp.float32

    def setup(self) -> None:
        self.model = FlaxBartModule(self.config, self.dtype)
        # Logits are computed in float32 whatever the model dtype: a half-precision final
        # matmul visibly changes super-conditioned samples (min-dalle #95).
        self.lm_head = nn.Dense(
            self.config.image_vocab_size + 1,
            use_bias=False,
            dtype=jnp.float32,
            kernel_init=nn.initializers.normal(self.config.init_std),
        )

    def __call__(
        self, input_ids: jax.Array, attention_mask: jax.Array, decoder_input_ids: jax.Array
    ) -> jax.Array:
        encoded = self.encode(input_ids, attention_mask)
        bias = key_bias(attention_mask[:, None, None, :] > 0)
        return self.lm_head(self.model.decoder(decoder_input_ids, encoded, bias))

    def encode(self, input_ids: jax.Array, attention_mask: jax.Array) -> jax.Array:
        return self.model.encoder(input_ids, attention_mask)

    def embed_decoder(self, ids: jax.Array, positions: jax.Array) -> jax.Array:
        return self.model.decoder.embed(ids, positions)

    def head(self, h: jax.Array) -> jax.Array:
        return self.lm_head(self.model.decoder.finish(h))


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


# --- incremental decoding (used by the sampler) ----------------------------------------------


@flax.struct.dataclass
class EncoderContext:
    """What every decoding step needs from the text, computed once before the loop."""

    cross_keys: jax.Array  # [layers, batch, heads, text_length, head_dim]
    cross_values: jax.Array  # [layers, batch, heads, text_length, head_dim]
    bias: jax.Array  # [batch, 1, 1, text_length] float32, 0 where a text token is visible


@flax.struct.dataclass
class DecoderCache:
    """Self-attention keys and values of every layer for every decoded position."""

    keys: jax.Array  # [layers, batch, heads, image_length, head_dim]
    values: jax.Array  # [layers, batch, heads, image_length, head_dim]


def init_decoder_cache(config: DalleBartConfig, batch: int, dtype: Any) -> DecoderCache:
    heads = config.decoder_attention_heads
    shape = (config.decoder_layers, batch, heads, config.image_length, config.d_model // heads)
    return DecoderCache(keys=jnp.zeros(shape, dtype), values=jnp.zeros(shape, dtype))


def _decoder_layer_params(params: dict) -> dict:
    return params["model"]["decoder"]["layers"]["FlaxBartDecoderLayers"]


def encode_for_decoding(
    module: DalleBartModule, params: dict, input_ids: jax.Array, attention_mask: jax.Array
) -> EncoderContext:
    """Run the encoder and every decoder layer's cross-attention key/value projection once."""
    encoded = cast(
        jax.Array, module.apply({"params": params}, input_ids, attention_mask, method="encode")
    )
    layer = FlaxBartDecoderLayer(module.config, module.dtype)

    def project(layer_params: dict) -> tuple[jax.Array, jax.Array]:
        return cast(
            tuple[jax.Array, jax.Array],
            layer.apply({"params": layer_params}, encoded, method="cross_keys_values"),
        )

    keys, values = jax.lax.map(project, _decoder_layer_params(params))
    bias = key_bias(attention_mask[:, None, None, :] > 0)
    return EncoderContext(cross_keys=keys, cross_values=values, bias=bias)


def decode_step(
    module: DalleBartModule,
    params: dict,
    tokens: jax.Array,
    position: jax.Array,
    cache: DecoderCache,
    context: EncoderContext,
) -> tuple[jax.Array, DecoderCache]:
    """Feed `tokens` [B] at `position`; return float32 logits [B, vocab] and the updated cache.

    Positions after `position` in the cache are masked, so they may hold anything.
    """
    config = module.config
    h = module.apply(
        {"params": params}, tokens[:, None], jnp.full((1, 1), position), method="embed_decoder"
    )
    visible = jnp.arange(config.image_length) <= position
    self_bias = key_bias(visible)[None, None, None, :]
    layer = FlaxBartDecoderLayer(config, module.dtype)

    def one_layer(carry: tuple, inputs: tuple) -> tuple[tuple, None]:
        h, all_keys, all_values = carry
        index, layer_params, cross_keys, cross_values = inputs
        variables = {"params": layer_params}
        x, keys, values = cast(
            tuple[jax.Array, ...], layer.apply(variables, h, method="self_attention_inputs")
        )
        # Write this position into the cache first and read the layer back afterwards: with
        # the write before the read, XLA updates the loop-carried cache in place instead of
        # copying all of it at every layer.
        at = (index, 0, 0, position, 0)
        all_keys = jax.lax.dynamic_update_slice(all_keys, keys[None], at)
        all_values = jax.lax.dynamic_update_slice(all_values, values[None], at)
        h = layer.apply(
            variables,
            h,
            x,
            all_keys[index],
            all_values[index],
            self_bias,
            cross_keys,
            cross_values,
            context.bias,
            method="attend",
        )
        return (h, all_keys, all_values), None

    layers = (
        jnp.arange(config.decoder_layers),
        _decoder_layer_params(params),
        context.cross_keys,
        context.cross_values,
    )
    (h, keys, values), _ = jax.lax.scan(one_layer, (h, cache.keys, cache.values), layers)
    logits = cast(jax.Array, module.apply({"params": params}, h, method="head"))
    return logits[:, 0], DecoderCache(keys=keys, values=values)


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
    directory = checkpoint.resolve_model_dir(model_dir)
    raw_config = checkpoint.read_config(directory)
    try:
        config = DalleBartConfig.from_dict(raw_config)
    except ValueError as error:
        raise checkpoint.CheckpointError(f"{directory / checkpoint.CONFIG_NAME}: {error}") from None
    tree = checkpoint.read_params(directory / checkpoint.PARAMS_NAME)
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
    # Check before writing anything, so a bad model leaves an existing directory untouched.
    checkpoint.check_params(model.params, expected_params(model.config), "DalleBart")
    directory = Path(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    params = jax.tree_util.tree_map(np.asarray, model.params)
    checkpoint.write_params(directory / checkpoint.PARAMS_NAME, params)
    checkpoint.write_config(directory, model.config.to_dict())
    return directory
