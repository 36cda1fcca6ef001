"""The VQGAN network in Flax Linen (NHWC): encoder, quantizer, decoder; module names are the
checkpoint's."""

from __future__ import annotations

import math
from typing import Any, cast

import flax.linen as nn
import flax.struct
import jax
import jax.numpy as jnp

from generator.attention import attend, key_bias, split_heads
from generator.vqgan.config import GROUP_NORM_EPS, GROUP_NORM_GROUPS, VQGANConfig


@flax.struct.dataclass
class PromptStates:
    """What a decoder that reads the prompt is given, from the model's CLIP text tower: every
    token's state [B, L, W], which tokens are real [B, L], and the whole prompt's state [B, W]."""

    tokens: jax.Array
    mask: jax.Array
    pooled: jax.Array


# --------------------------------------------------------------------------------------------
# Modules (NHWC)
# --------------------------------------------------------------------------------------------


def _conv3x3(features: int, name: str, stride: int = 1) -> nn.Conv:
    padding: Any = ((1, 1), (1, 1)) if stride == 1 else "VALID"
    return nn.Conv(features, (3, 3), strides=(stride, stride), padding=padding, name=name)


def _conv1x1(features: int, name: str) -> nn.Conv:
    return nn.Conv(features, (1, 1), padding="VALID", name=name)


def _group_norm(name: str) -> nn.GroupNorm:
    return nn.GroupNorm(num_groups=GROUP_NORM_GROUPS, epsilon=GROUP_NORM_EPS, name=name)


class ResnetBlock(nn.Module):
    """GN -> swish -> conv3x3 -> GN -> swish -> conv3x3, plus a 1x1 shortcut if width changes.

    Given the prompt, the second norm's output is scaled and shifted per channel by a linear map
    of the prompt's pooled state (FiLM). That map starts at zero, so a decoder that learns to
    read the prompt starts as the plain decoder it was."""

    out_channels: int

    @nn.compact
    def __call__(self, x: jax.Array, prompt: PromptStates | None = None) -> jax.Array:
        h = _conv3x3(self.out_channels, "conv1")(nn.swish(_group_norm("norm1")(x)))
        # Dropout would sit here; it is an identity at inference and the published rate is 0.
        h = _group_norm("norm2")(h)
        if prompt is not None:
            film = nn.Dense(
                2 * self.out_channels, kernel_init=nn.initializers.zeros, name="text_film"
            )
            scale, shift = jnp.split(film(prompt.pooled)[:, None, None, :], 2, axis=-1)
            h = h * (1.0 + scale) + shift
        h = _conv3x3(self.out_channels, "conv2")(nn.swish(h))
        if x.shape[-1] != self.out_channels:
            x = _conv1x1(self.out_channels, "nin_shortcut")(x)
        return x + h


class AttnBlock(nn.Module):
    """Single-head self-attention over all pixels (generator.attention), 1x1 convs for
    q/k/v/proj_out."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        batch, height, width, channels = x.shape
        h = _group_norm("norm")(x)
        q, k, v = (
            _conv1x1(channels, name)(h).reshape(batch, 1, height * width, channels)
            for name in ("q", "k", "v")
        )
        h = attend(q, k, v).reshape(batch, height, width, channels)
        return x + _conv1x1(channels, "proj_out")(h)


class PromptAttention(nn.Module):
    """Every pixel attends to the prompt's tokens (multi-head cross-attention): where the codes
    say a thing is, the prompt says which thing. The output projection starts at zero."""

    heads: int

    @nn.compact
    def __call__(self, x: jax.Array, prompt: PromptStates) -> jax.Array:
        batch, height, width, channels = x.shape
        query = nn.Dense(channels, name="q")(_group_norm("norm")(x))
        query = query.reshape(batch, height * width, channels)
        keys = nn.Dense(channels, name="k")(prompt.tokens)
        values = nn.Dense(channels, name="v")(prompt.tokens)
        h = attend(
            split_heads(query, self.heads),
            split_heads(keys, self.heads),
            split_heads(values, self.heads),
            key_bias(prompt.mask[:, None, None, :] > 0),
        )
        h = nn.Dense(channels, kernel_init=nn.initializers.zeros, name="proj_out")(h)
        return x + h.reshape(batch, height, width, channels)


class Upsample(nn.Module):
    with_conv: bool

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        # Nearest-neighbour x2 copies each pixel into a 2x2 block (same as jax.image.resize).
        x = jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
        return _conv3x3(x.shape[-1], "conv")(x) if self.with_conv else x


class Downsample(nn.Module):
    with_conv: bool

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        if not self.with_conv:
            return nn.avg_pool(x, (2, 2), strides=(2, 2), padding="VALID")
        # taming pads only bottom/right by one, then a VALID stride-2 3x3 conv.
        x = jnp.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0)))
        return _conv3x3(x.shape[-1], "conv", stride=2)(x)


class MidBlock(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array, prompt: PromptStates | None = None) -> jax.Array:
        channels = x.shape[-1]
        x = ResnetBlock(channels, name="block_1")(x, prompt)
        x = AttnBlock(name="attn_1")(x)
        return ResnetBlock(channels, name="block_2")(x, prompt)


class Level(nn.Module):
    """One resolution level: resnet blocks (each followed by its attention block when this
    resolution has attention), then an optional resampling step."""

    out_channels: int
    num_blocks: int
    with_attn: bool
    resample: str | None  # "up", "down" or None
    resamp_with_conv: bool
    prompt_heads: int = 0  # > 0: each block is followed by attention to the prompt

    @nn.compact
    def __call__(self, x: jax.Array, prompt: PromptStates | None = None) -> jax.Array:
        for j in range(self.num_blocks):
            x = ResnetBlock(self.out_channels, name=f"block_{j}")(x, prompt)
            if self.with_attn:
                x = AttnBlock(name=f"attn_{j}")(x)
            if prompt is not None and self.prompt_heads:
                x = PromptAttention(self.prompt_heads, name=f"text_attn_{j}")(x, prompt)
        if self.resample == "up":
            x = Upsample(self.resamp_with_conv, name="upsample")(x)
        elif self.resample == "down":
            x = Downsample(self.resamp_with_conv, name="downsample")(x)
        return x


class Encoder(nn.Module):
    config: VQGANConfig

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        c = self.config
        h = _conv3x3(c.ch, "conv_in")(images)
        resolution = c.resolution
        for i, mult in enumerate(c.ch_mult):
            last = i == c.num_resolutions - 1
            h = Level(
                c.ch * mult,
                c.num_res_blocks,
                resolution in c.attn_resolutions,
                None if last else "down",
                c.resamp_with_conv,
                name=f"down_{i}",
            )(h)
            if not last:
                resolution //= 2
        h = MidBlock(name="mid")(h)
        h = nn.swish(_group_norm("norm_out")(h))
        z_out = 2 * c.z_channels if c.double_z else c.z_channels
        return _conv3x3(z_out, "conv_out")(h)


class Decoder(nn.Module):
    """Latents -> pixels; a decoder whose config reads the prompt needs its `PromptStates`.

    `features_only`: stop before the output head (`decoder_head`), as a trainer needs."""

    config: VQGANConfig

    @nn.compact
    def __call__(
        self, z: jax.Array, prompt: PromptStates | None = None, features_only: bool = False
    ) -> jax.Array:
        c = self.config
        if c.reads_prompt != (prompt is not None):
            raise ValueError(
                "this VQGAN's decoder reads the prompt: give it the prompt's text states"
                if c.reads_prompt
                else "this VQGAN's decoder does not read a prompt"
            )
        h = _conv3x3(c.ch * c.ch_mult[-1], "conv_in")(z)
        h = MidBlock(name="mid")(h, prompt)
        resolution = c.grid_size
        for i in reversed(range(c.num_resolutions)):
            h = Level(
                c.ch * c.ch_mult[i],
                c.num_res_blocks + 1,
                resolution in c.attn_resolutions,
                "up" if i else None,
                c.resamp_with_conv,
                c.text_heads if resolution in c.text_attn_resolutions else 0,
                name=f"up_{i}",
            )(h, prompt)
            if i:
                resolution *= 2
        if c.give_pre_end or features_only:
            return h
        h = nn.swish(_group_norm("norm_out")(h))
        return _conv3x3(c.out_ch, "conv_out")(h)


def decoder_head(params: Any, features: jax.Array, out_channels: int) -> jax.Array:
    """The decoder's last steps (norm_out, swish, conv_out) on `Decoder(features_only=True)`'s
    output, with the decoder's parameters: what a trainer weighs the gradient of losses at."""
    h = cast(jax.Array, _group_norm("norm_out").apply({"params": params["norm_out"]}, features))
    conv = _conv3x3(out_channels, "conv_out")
    return cast(jax.Array, conv.apply({"params": params["conv_out"]}, nn.swish(h)))


class VectorQuantizer(nn.Module):
    config: VQGANConfig

    def setup(self) -> None:
        self.embedding = nn.Embed(self.config.n_embed, self.config.embed_dim)

    def nearest_codes(self, z: jax.Array) -> jax.Array:
        """Index of the nearest codebook row for every pixel of z [B,h,w,D] -> [B, h*w]."""
        table = self.embedding.embedding
        flat = z.reshape(-1, self.config.embed_dim)
        # |z - e|^2 expanded as z^2 + e^2 - 2 z.e, exactly as vqgan-jax computes it, so that
        # near-ties resolve to the same index.
        distance = (
            jnp.sum(flat**2, axis=1, keepdims=True)
            + jnp.sum(table**2, axis=1)
            - 2 * jnp.dot(flat, table.T)
        )
        return jnp.argmin(distance, axis=1).reshape(z.shape[0], -1)

    def lookup(self, codes: jax.Array) -> jax.Array:
        """Codes [B, n] -> latents [B, s, s, D], token i at row i // s, column i % s."""
        batch, num_tokens = codes.shape
        side = math.isqrt(num_tokens)
        return self.embedding(codes).reshape(batch, side, side, -1)


class VQGANModule(nn.Module):
    config: VQGANConfig

    def setup(self) -> None:
        c = self.config
        self.encoder = Encoder(c)
        self.decoder = Decoder(c)
        self.quantize = VectorQuantizer(c)
        self.quant_conv = nn.Conv(c.embed_dim, (1, 1), padding="VALID")
        self.post_quant_conv = nn.Conv(c.z_channels, (1, 1), padding="VALID")

    def encode(self, images: jax.Array) -> jax.Array:
        """Images [B,H,W,C] (as given, no rescaling) -> codes int [B, (H/f)*(W/f)]."""
        return self.quantize.nearest_codes(self.quant_conv(self.encoder(images)))

    def decode_code(
        self, codes: jax.Array, prompt: PromptStates | None = None, features_only: bool = False
    ) -> jax.Array:
        """Codes [B, n] (and the prompt, for a decoder that reads it) -> decoder output
        [B,H,W,out_ch], unclipped (`features_only`: the features before the output head)."""
        latents = self.post_quant_conv(self.quantize.lookup(codes))
        return self.decoder(latents, prompt, features_only)

    def __call__(
        self, images: jax.Array, prompt: PromptStates | None = None
    ) -> tuple[jax.Array, jax.Array]:
        """Reconstruction and codes; touching every submodule, it is what ``init`` runs."""
        codes = self.encode(images)
        return self.decode_code(codes, prompt), codes
