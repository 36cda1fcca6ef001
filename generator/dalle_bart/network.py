"""DalleBart's network in Flax Linen; class names and explicit names are the checkpoint format."""

from __future__ import annotations

import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from generator.attention import attend, key_bias, split_heads
from generator.dalle_bart.config import LN_EPSILON, DalleBartConfig

# --- modules ---------------------------------------------------------------------------------
# Class names and explicit `name=`s below are part of the checkpoint format: they become the
# parameter paths of the published msgpack files.


def _layer_norm(scaled: bool, dtype: Any, name: str | None = None) -> nn.LayerNorm:
    return nn.LayerNorm(epsilon=LN_EPSILON, use_scale=scaled, dtype=dtype, name=name)


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


class FeedForward(nn.Module):
    """dalle-mini's feed-forward. GLU (`use_glu=True`, checkpoint name `GLU_0`):
    x = LN†(x); x = gelu(x W0) * (x W1); x = LN†(x); return x W2. Without the gate (`FFN_0`):
    x = LN†(x); x = gelu(x W0); x = LN†(x); return x W1. Flax numbers the layers in the
    order they are made, which gives both the checkpoint's names."""

    config: DalleBartConfig
    ffn_dim: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        scaled = self.config.force_ln_scale
        x = _layer_norm(scaled, self.dtype)(x)  # LayerNorm_0
        hidden = nn.gelu(_dense(self.config, self.ffn_dim, self.dtype)(x), approximate=False)
        if self.config.use_glu:
            hidden = hidden * _dense(self.config, self.ffn_dim, self.dtype)(x)  # Dense_1
        x = _layer_norm(scaled, self.dtype)(hidden)  # LayerNorm_1
        return _dense(self.config, self.config.d_model, self.dtype)(x)


def _feed_forward(config: DalleBartConfig, ffn_dim: int, dtype: Any) -> nn.Module:
    return FeedForward(config, ffn_dim, dtype, name="GLU_0" if config.use_glu else "FFN_0")


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


class _EmbeddedStack(nn.Module):
    """What the encoder and the decoder share: token and position embeddings and their norm,
    the scanned layers, an optional final norm. Attribute names are checkpoint names."""

    config: DalleBartConfig
    dtype: Any = jnp.float32

    def shape(self) -> tuple[int, int, type[nn.Module], int, str, bool]:
        """(vocabulary, positions, layer class, layers, stack name, final norm?)."""
        raise NotImplementedError

    def setup(self) -> None:
        config = self.config
        vocabulary, positions, layer, count, stack_name, final_norm = self.shape()
        init = nn.initializers.normal(config.init_std)
        self.embed_tokens = nn.Embed(
            vocabulary, config.d_model, embedding_init=init, dtype=self.dtype
        )
        self.embed_positions = nn.Embed(
            positions, config.d_model, embedding_init=init, dtype=self.dtype
        )
        self.layernorm_embedding = _layer_norm(True, self.dtype)
        self.layers = ScannedLayers(config, layer, count, stack_name, self.dtype)
        if final_norm:
            self.final_ln = _layer_norm(config.force_ln_scale, self.dtype)

    def embed(self, ids: jax.Array, positions: jax.Array) -> jax.Array:
        scale = math.sqrt(self.config.d_model) if self.config.scale_embedding else 1.0
        h = self.embed_tokens(ids) * scale + self.embed_positions(positions)
        return self.layernorm_embedding(h)

    def finish(self, h: jax.Array) -> jax.Array:
        return self.final_ln(h) if self.shape()[-1] else h


class FlaxBartEncoder(_EmbeddedStack):
    def shape(self) -> tuple[int, int, type[nn.Module], int, str, bool]:
        c = self.config
        return (
            c.encoder_vocab_size,
            c.max_text_length,
            FlaxBartEncoderLayer,
            c.encoder_layers,
            "FlaxBartEncoderLayers",
            c.use_final_ln_encoder,
        )

    def __call__(self, input_ids: jax.Array, attention_mask: jax.Array) -> jax.Array:
        h = self.embed(input_ids, jnp.arange(input_ids.shape[1])[None, :])
        return self.finish(self.layers(h, key_bias(attention_mask[:, None, None, :] > 0)))


class FlaxBartDecoder(_EmbeddedStack):
    def shape(self) -> tuple[int, int, type[nn.Module], int, str, bool]:
        c = self.config
        # One extra token row for the start token, which is image_vocab_size in dalle-mini.
        return (
            c.image_vocab_size + 1,
            c.image_length,
            FlaxBartDecoderLayer,
            c.decoder_layers,
            "FlaxBartDecoderLayers",
            c.use_final_ln_decoder,
        )

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
