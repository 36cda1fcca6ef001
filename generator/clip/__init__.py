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

from generator.clip.config import CLIP_MEAN, CLIP_STD, CLIPConfig, CLIPTextConfig, CLIPVisionConfig
from generator.clip.images import ImageSettings
from generator.clip.model import CLIP, count_params, init_clip, load_clip, param_shapes, save_clip
from generator.clip.network import CLIPModule

__all__ = [
    "CLIP",
    "CLIP_MEAN",
    "CLIP_STD",
    "CLIPConfig",
    "CLIPModule",
    "CLIPTextConfig",
    "CLIPVisionConfig",
    "ImageSettings",
    "count_params",
    "init_clip",
    "load_clip",
    "param_shapes",
    "save_clip",
]
