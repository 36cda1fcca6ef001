"""VQGAN (taming-transformers "f16" layout) in Flax Linen: image tokens <-> pixels.

The decoder turns a row-major grid of codebook indices into an RGB image in [0, 1]; the encoder
does the reverse. Behaviour follows vqgan-jax (the port dalle-mini uses) op for op, including its
quantizer distance formula, so codes and pixels agree with it within float32 rounding:

- images are NHWC floats in [0, 1] on both sides (dalle-mini encodes [0, 1] images as they are,
  with no mapping to [-1, 1]; the decoder's output is read as [0, 1] and clipped);
- a level with attention runs ``attn_j`` right after ``block_j`` (the taming order; vqgan-jax
  before its 2022-07-09 fix ran every attention layer after every resnet block);
- decoder levels are stored ``up_0`` (full resolution) ... ``up_{n-1}`` (lowest) and executed from
  ``up_{n-1}`` down to ``up_0``.

Why Flax Linen: its auto-named submodules give a parameter tree identical to the published
``flax_model.msgpack`` (``decoder/up_4/attn_0/q/kernel`` ...), and ``jax.eval_shape(module.init,
...)`` gives every shape and the parameter count without allocating a single weight.

The VQGAN always computes in float32: min-dalle found half precision visibly damages the images.
"""

from __future__ import annotations

from generator.vqgan.config import VQGANConfig
from generator.vqgan.model import (
    VQGAN,
    count_params,
    init_vqgan,
    load_vqgan,
    param_shapes,
    save_vqgan,
)
from generator.vqgan.network import PromptStates, VQGANModule, decoder_head

__all__ = [
    "VQGAN",
    "PromptStates",
    "VQGANConfig",
    "VQGANModule",
    "count_params",
    "decoder_head",
    "init_vqgan",
    "load_vqgan",
    "param_shapes",
    "save_vqgan",
]
