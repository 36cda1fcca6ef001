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

from generator.dalle_bart.config import DalleBartConfig
from generator.dalle_bart.decoding import (
    DecoderCache,
    EncoderContext,
    decode_step,
    encode_for_decoding,
    init_decoder_cache,
)
from generator.dalle_bart.model import (
    DalleBart,
    check_text_inputs,
    count_params,
    expected_params,
    init_dalle_bart,
    load_dalle_bart,
    save_dalle_bart,
)
from generator.dalle_bart.network import DalleBartModule

__all__ = [
    "DalleBart",
    "DalleBartConfig",
    "DalleBartModule",
    "DecoderCache",
    "EncoderContext",
    "check_text_inputs",
    "count_params",
    "decode_step",
    "encode_for_decoding",
    "expected_params",
    "init_dalle_bart",
    "init_decoder_cache",
    "load_dalle_bart",
    "save_dalle_bart",
]
