"""Incremental decoding for the sampler: the encoder and the cross-attention keys once, then
one token a step."""

from __future__ import annotations

from typing import Any, cast

import flax.struct
import jax
import jax.numpy as jnp

from generator.attention import key_bias
from generator.dalle_bart.config import DalleBartConfig
from generator.dalle_bart.network import DalleBartModule, FlaxBartDecoderLayer

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
