"""CLIP's network in Flax Linen: the text and vision transformers and the projections."""

from __future__ import annotations

import functools
from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp

from generator.attention import attend, key_bias, split_heads
from generator.clip.config import (
    ACTIVATIONS,
    LEGACY_EOS_TOKEN_ID,
    CLIPConfig,
    CLIPTextConfig,
    CLIPVisionConfig,
)

# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------


def _embedding(count: int, width: int, name: str) -> nn.Embed:
    """A learned table of tokens or positions, initialised normal with std 0.01."""
    return nn.Embed(count, width, embedding_init=jax.nn.initializers.normal(), name=name)


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
    """``encoder/layers/{i}``: the published files nest the numbered layers one level down.

    Returns the last layer's output, or with ``every_layer`` a list of every layer's."""

    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32
    every_layer: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array | None) -> Any:
        return LayerStack(self.config, self.dtype, self.every_layer, name="layers")(x, bias)


class LayerStack(nn.Module):
    config: CLIPTextConfig | CLIPVisionConfig
    dtype: Any = jnp.float32
    every_layer: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, bias: jax.Array | None) -> Any:
        states = []
        for i in range(self.config.num_hidden_layers):
            x = EncoderLayer(self.config, self.dtype, name=str(i))(x, bias)
            states.append(x)
        return states if self.every_layer else x


class TextEmbeddings(nn.Module):
    config: CLIPTextConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, input_ids: jax.Array) -> jax.Array:
        c = self.config
        tokens = _embedding(c.vocab_size, c.hidden_size, "token_embedding")(input_ids)
        positions = _embedding(c.max_position_embeddings, c.hidden_size, "position_embedding")(
            jnp.arange(input_ids.shape[1])[None]
        )
        return (tokens + positions).astype(self.dtype)


class TextTransformer(nn.Module):
    config: CLIPTextConfig
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(
        self, input_ids: jax.Array, attention_mask: jax.Array, every_token: bool = False
    ) -> Any:
        """Pooled (end-of-text) hidden state [B, width] after ``final_layer_norm``; with
        ``every_token``, (every token's state [B, L, width], the pooled state)."""
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
        pooled = h[jnp.arange(h.shape[0]), position]
        return (h, pooled) if every_token else pooled


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
        positions = _embedding(c.num_positions, c.hidden_size, "position_embedding")(
            jnp.arange(c.num_positions)[None]
        )
        return jnp.concatenate([cls, patches], axis=1) + positions


class VisionTransformer(nn.Module):
    config: CLIPVisionConfig
    dtype: Any = jnp.float32
    # Return every layer's hidden states [B, 1 + patches, width] (the embeddings first)
    # instead of the pooled output: what a perceptual loss compares (generator.training).
    hidden_states: bool = False

    @nn.compact
    def __call__(self, pixels_nhwc: jax.Array) -> Any:
        """Pooled (class token) hidden state [B, width] after ``post_layernorm``, or the list
        of hidden states when ``hidden_states`` is set."""
        c = self.config
        norm = functools.partial(nn.LayerNorm, epsilon=c.layer_norm_eps, dtype=self.dtype)
        h = VisionEmbeddings(c, self.dtype, name="embeddings")(pixels_nhwc)
        h = norm(name="pre_layrnorm")(h)
        if self.hidden_states:
            return [h, *Encoder(c, self.dtype, every_layer=True, name="encoder")(h, None)]
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

    def text_states(
        self, input_ids: jax.Array, attention_mask: jax.Array
    ) -> tuple[jax.Array, jax.Array]:
        """Every token's final state [B, L, width] and the pooled one [B, width], unprojected:
        what a decoder that reads the prompt is given."""
        return cast(tuple[jax.Array, jax.Array], self.text_model(input_ids, attention_mask, True))

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
