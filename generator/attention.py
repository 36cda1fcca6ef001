"""The attention core DalleBart, CLIP and the VQGAN share: scaled dot-product attention over
heads-first tensors, and the additive bias that hides keys.

The projections around it stay in each model (their parameter names are the checkpoints'); what
happens between them is written once, with one rule for precision: the query is scaled by
1/sqrt(head size) in the compute dtype before the product (as dalle-mini does), the scores and
the softmax are float32 whatever the compute dtype, and the weights go back to the compute
dtype for the product with the values.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

# The bias of a hidden key: float32's most negative finite value rather than -inf, which gives
# the same softmax whenever a row sees one key, and no NaN for a row that sees none.
HIDDEN = float(np.finfo(np.float32).min)


def key_bias(visible: jax.Array) -> jax.Array:
    """float32 0 where a key is visible, HIDDEN where it is not (broadcasts onto the scores)."""
    return jnp.where(visible, 0.0, HIDDEN).astype(jnp.float32)


def split_heads(x: jax.Array, heads: int) -> jax.Array:
    """[B, T, H*D] -> [B, H, T, D]: heads first, the layout of DalleBart's decoding cache."""
    return x.reshape(*x.shape[:2], heads, -1).transpose(0, 2, 1, 3)


def attend(
    query: jax.Array,
    keys: jax.Array,
    values: jax.Array,
    bias: jax.Array | None = None,
    dtype: Any = jnp.float32,
) -> jax.Array:
    """query [B, H, T, D] attends to keys and values [B, H, S, D] -> [B, T, H*D].

    `bias` (float32, from `key_bias`) broadcasts onto the scores [B, H, T, S].
    """
    query = query / jnp.sqrt(query.shape[-1]).astype(dtype)
    scores = jnp.einsum("bhqd,bhkd->bhqk", query, keys).astype(jnp.float32)
    if bias is not None:
        scores = scores + bias
    weights = jax.nn.softmax(scores).astype(dtype)
    out = jnp.einsum("bhqk,bhkd->bqhd", weights, values)
    return out.reshape(*out.shape[:2], -1)
