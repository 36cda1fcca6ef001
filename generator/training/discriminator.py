"""A patch discriminator that reads the prompt: the adversarial term of the decoder stage.

A regression loss on an ambiguous input draws the mean of what it may be, which is the blur a
player sees; VQGAN's own recipe (taming-transformers) adds a patch discriminator for exactly
this. Ours also reads the prompt (a projection discriminator: each patch's features meet a
linear map of CLIP's pooled text state), and it is shown real scenes under another scene's
caption as fakes too, so the decoder is rewarded for drawing the object the prompt names, not
only a sharp one. Hinge losses; GroupNorm instead of BatchNorm, so nothing but parameters is
carried between steps.
"""

from __future__ import annotations

from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp


class Discriminator(nn.Module):
    """Images [B, S, S, 3] in [0, 1] and pooled prompt states [B, W] -> a logit per patch
    [B, S/2^n, S/2^n] (n = len(widths)): above 0 reads as a real scene of that prompt."""

    widths: tuple[int, ...]

    @nn.compact
    def __call__(self, images: jax.Array, pooled: jax.Array) -> jax.Array:
        h = images * 2.0 - 1.0
        for index, width in enumerate(self.widths):
            h = nn.Conv(
                width, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)), name=f"conv_{index}"
            )(h)
            if index:  # the first layer sees raw pixels; normalising them would lose colour
                h = nn.GroupNorm(num_groups=min(32, width // 4), name=f"norm_{index}")(h)
            h = nn.leaky_relu(h, 0.2)
        logits = nn.Conv(1, (3, 3), padding=((1, 1), (1, 1)), name="logits")(h)[..., 0]
        text = nn.Dense(h.shape[-1], name="text")(pooled)
        match = jnp.einsum("bhwc,bc->bhw", h, text) / jnp.sqrt(h.shape[-1])
        return cast(jax.Array, logits + match)


def init_discriminator(widths: tuple[int, ...], size: int, text_width: int, key: jax.Array) -> Any:
    images = jnp.zeros((1, size, size, 3), jnp.float32)
    pooled = jnp.zeros((1, text_width), jnp.float32)
    return Discriminator(widths).init(key, images, pooled)["params"]


def hinge_losses(
    real: jax.Array, fake: jax.Array, mismatched: jax.Array, mismatch_weight: float
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The discriminator's loss: real pairs above +1, decoded pictures and real scenes under
    another caption below -1 (the latter weighted by `mismatch_weight` within the fakes)."""
    real_term = jnp.mean(jax.nn.relu(1.0 - real))
    fake_term = jnp.mean(jax.nn.relu(1.0 + fake))
    mismatch_term = jnp.mean(jax.nn.relu(1.0 + mismatched))
    fakes = (fake_term + mismatch_weight * mismatch_term) / (1.0 + mismatch_weight)
    loss = real_term + fakes
    return loss, {
        "d_loss": loss,
        "d_real": jnp.mean(real),
        "d_fake": jnp.mean(fake),
        "d_mismatch": jnp.mean(mismatched),
    }
