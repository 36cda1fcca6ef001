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

import dataclasses
import functools
import math
import os
import pathlib
from collections.abc import Callable, Mapping
from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from generator.attention import attend
from generator.checkpoint import (
    CheckpointError,
    match_params,
    read_config,
    read_params,
    resolve_model_dir,
    write_config,
    write_params,
)

PARAMS_FILE = "flax_model.msgpack"
GROUP_NORM_GROUPS = 32
GROUP_NORM_EPS = 1e-6
DECODE_PATH = ("quantize", "post_quant_conv", "decoder")

Params = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VQGANConfig:
    """Hyper-parameters, named as in the published ``config.json``.

    Defaults are vqgan-jax's class defaults (note ``n_embed=1024``); ``VQGANConfig.f16_16384()``
    is the checkpoint dalle-mini uses. Keys this class does not know are kept in ``extra`` and
    written back by ``to_dict``.
    """

    ch: int = 128
    ch_mult: tuple[int, ...] = (1, 1, 2, 2, 4)
    num_res_blocks: int = 2
    attn_resolutions: tuple[int, ...] = (16,)
    z_channels: int = 256
    resolution: int = 256
    n_embed: int = 1024
    embed_dim: int = 256
    in_channels: int = 3
    out_ch: int = 3
    double_z: bool = False
    dropout: float = 0.0
    resamp_with_conv: bool = True
    give_pre_end: bool = False
    # Unknown config.json keys; excluded from ==/hash so a config can key a compile cache.
    extra: Mapping[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in ("ch_mult", "attn_resolutions"):
            if not isinstance(getattr(self, name), list | tuple):
                raise ValueError(f"VQGAN config: {name} must be a list of integers")
        object.__setattr__(self, "ch_mult", tuple(self.ch_mult))
        object.__setattr__(self, "attn_resolutions", tuple(self.attn_resolutions))
        _validate_config(self)

    @classmethod
    def f16_16384(cls) -> VQGANConfig:
        """``dalle-mini/vqgan_imagenet_f16_16384``: 256 px images, 16x16 tokens, 16384 codes."""
        return cls(n_embed=16384)

    @property
    def num_resolutions(self) -> int:
        return len(self.ch_mult)

    @property
    def downsample_factor(self) -> int:
        return 2 ** (self.num_resolutions - 1)

    @property
    def grid_size(self) -> int:
        """Token grid side for an image of ``resolution`` pixels (16 for f16 at 256 px)."""
        return self.resolution // self.downsample_factor

    @property
    def num_tokens(self) -> int:
        return self.grid_size**2

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VQGANConfig:
        if not isinstance(data, Mapping):
            raise ValueError(f"VQGAN config must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {key: data[key] for key in known if key in data}
        extra = {key: value for key, value in data.items() if key not in known}
        declared = extra.pop("num_resolutions", None)
        config = cls(**values, extra=extra)
        if declared is not None and declared != config.num_resolutions:
            raise ValueError(
                f"VQGAN config: num_resolutions={declared} but ch_mult has "
                f"{config.num_resolutions} entries"
            )
        return config

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        for field in dataclasses.fields(self):
            if field.name != "extra":
                value = getattr(self, field.name)
                data[field.name] = list(value) if isinstance(value, tuple) else value
        # vqgan-jax stores this derived value; keep the file loadable by it.
        data["num_resolutions"] = self.num_resolutions
        return data


def _validate_config(config: VQGANConfig) -> None:
    def fail(message: str) -> None:
        raise ValueError(f"VQGAN config: {message}")

    positive_ints = (
        "ch",
        "num_res_blocks",
        "z_channels",
        "resolution",
        "n_embed",
        "embed_dim",
        "in_channels",
        "out_ch",
    )
    for name in positive_ints:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            fail(f"{name} must be a positive integer, got {value!r}")
    if not config.ch_mult or not all(isinstance(m, int) and m > 0 for m in config.ch_mult):
        fail(f"ch_mult must be a non-empty list of positive integers, got {config.ch_mult!r}")
    if not all(isinstance(r, int) for r in config.attn_resolutions):
        fail(f"attn_resolutions must be a list of integers, got {config.attn_resolutions!r}")
    for mult in config.ch_mult:
        if (config.ch * mult) % GROUP_NORM_GROUPS:
            fail(
                f"ch*ch_mult = {config.ch * mult} is not divisible by the "
                f"{GROUP_NORM_GROUPS} GroupNorm groups"
            )
    if config.resolution % config.downsample_factor:
        fail(f"resolution {config.resolution} is not divisible by {config.downsample_factor}")
    if not 0.0 <= float(config.dropout) < 1.0:
        fail(f"dropout must be in [0, 1), got {config.dropout!r}")


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
    """GN -> swish -> conv3x3 -> GN -> swish -> conv3x3, plus a 1x1 shortcut if width changes."""

    out_channels: int

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        h = _conv3x3(self.out_channels, "conv1")(nn.swish(_group_norm("norm1")(x)))
        # Dropout would sit here; it is an identity at inference and the published rate is 0.
        h = _conv3x3(self.out_channels, "conv2")(nn.swish(_group_norm("norm2")(h)))
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
    def __call__(self, x: jax.Array) -> jax.Array:
        channels = x.shape[-1]
        x = ResnetBlock(channels, name="block_1")(x)
        x = AttnBlock(name="attn_1")(x)
        return ResnetBlock(channels, name="block_2")(x)


class Level(nn.Module):
    """One resolution level: resnet blocks (each followed by its attention block when this
    resolution has attention), then an optional resampling step."""

    out_channels: int
    num_blocks: int
    with_attn: bool
    resample: str | None  # "up", "down" or None
    resamp_with_conv: bool

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for j in range(self.num_blocks):
            x = ResnetBlock(self.out_channels, name=f"block_{j}")(x)
            if self.with_attn:
                x = AttnBlock(name=f"attn_{j}")(x)
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
    config: VQGANConfig

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        c = self.config
        h = _conv3x3(c.ch * c.ch_mult[-1], "conv_in")(z)
        h = MidBlock(name="mid")(h)
        resolution = c.grid_size
        for i in reversed(range(c.num_resolutions)):
            h = Level(
                c.ch * c.ch_mult[i],
                c.num_res_blocks + 1,
                resolution in c.attn_resolutions,
                "up" if i else None,
                c.resamp_with_conv,
                name=f"up_{i}",
            )(h)
            if i:
                resolution *= 2
        if c.give_pre_end:
            return h
        h = nn.swish(_group_norm("norm_out")(h))
        return _conv3x3(c.out_ch, "conv_out")(h)


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

    def decode_code(self, codes: jax.Array) -> jax.Array:
        """Codes [B, n] -> decoder output [B,H,W,out_ch], unclipped."""
        return self.decoder(self.post_quant_conv(self.quantize.lookup(codes)))

    def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Reconstruction and codes; touching every submodule, it is what ``init`` runs."""
        codes = self.encode(images)
        return self.decode_code(codes), codes


# --------------------------------------------------------------------------------------------
# Loaded model
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _compiled(config: VQGANConfig, method: str) -> Callable[..., jax.Array]:
    """One jitted function per (config, method), shared by every model with that config.

    Params are an argument (not a closed-over constant) so the compiled program stays small and
    is reused after a reload; jax.jit caches the executable per input shape.
    """
    module = VQGANModule(config)
    if method == "decode_code":

        def decode(params: Params, codes: jax.Array) -> jax.Array:
            pixels = module.apply({"params": params}, codes, method=VQGANModule.decode_code)
            return jnp.clip(cast(jax.Array, pixels), 0.0, 1.0)

        return jax.jit(decode)

    def encode(params: Params, images: jax.Array) -> jax.Array:
        codes = module.apply({"params": params}, images, method=VQGANModule.encode)
        return cast(jax.Array, codes).astype(jnp.int32)

    return jax.jit(encode)


class VQGAN:
    """A VQGAN with weights: ``decode_code`` and ``encode`` (float32, jitted)."""

    def __init__(self, config: VQGANConfig, params: Params) -> None:
        self.config = config
        self.params = params

    def decode_code(self, codes: Any) -> np.ndarray:
        """Codes int [B, s*s] (row-major grid) -> float32 images [B, H, W, out_ch] in [0, 1]."""
        codes = _check_codes(codes, self.config)
        return np.asarray(_compiled(self.config, "decode_code")(self.params, codes))

    def encode(self, images: Any) -> np.ndarray:
        """Float images [B, H, W, in_channels] in [0, 1] -> int32 codes [B, (H/f)*(W/f)]."""
        images = _check_images(images, self.config)
        return np.asarray(_compiled(self.config, "encode")(self.params, images))


def _check_codes(codes: Any, config: VQGANConfig) -> jax.Array:
    array = np.asarray(codes)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"VQGAN codes must be an integer array [batch, tokens], got {array.dtype} {array.shape}"
        )
    side = math.isqrt(array.shape[1])
    if array.shape[1] == 0 or side * side != array.shape[1]:
        raise ValueError(f"VQGAN codes: {array.shape[1]} tokens do not form a square grid")
    if array.size and (array.min() < 0 or array.max() >= config.n_embed):
        raise ValueError(
            f"VQGAN codes must lie in [0, {config.n_embed}), got min {array.min()} "
            f"max {array.max()}"
        )
    return jnp.asarray(array, dtype=jnp.int32)


def _check_images(images: Any, config: VQGANConfig) -> jax.Array:
    array = np.asarray(images)
    if array.dtype == np.uint8:
        raise ValueError("VQGAN.encode takes float images in [0, 1]; divide uint8 images by 255")
    if array.ndim != 4 or array.shape[-1] != config.in_channels:
        raise ValueError(
            f"VQGAN images must be [batch, height, width, {config.in_channels}], got {array.shape}"
        )
    factor = config.downsample_factor
    if array.shape[1] % factor or array.shape[2] % factor or 0 in array.shape:
        raise ValueError(
            f"VQGAN image sides must be positive multiples of {factor}, got "
            f"{array.shape[1]}x{array.shape[2]}"
        )
    array = array.astype(np.float32)
    if array.size and not (np.isfinite(array).all() and array.min() >= 0 and array.max() <= 1):
        raise ValueError("VQGAN images must hold finite values in [0, 1]")
    return jnp.asarray(array)


# --------------------------------------------------------------------------------------------
# Creation, loading, saving, counting
# --------------------------------------------------------------------------------------------


def _init_input(config: VQGANConfig) -> jax.ShapeDtypeStruct:
    # The smallest image the encoder accepts: weights do not depend on the spatial size.
    side = config.downsample_factor
    return jax.ShapeDtypeStruct((1, side, side, config.in_channels), jnp.float32)


def param_shapes(config: VQGANConfig) -> Params:
    """The parameter tree as ``jax.ShapeDtypeStruct`` leaves, computed without allocating."""
    module = VQGANModule(config)
    key = jax.ShapeDtypeStruct((2,), jnp.uint32)
    variables = jax.eval_shape(module.init, key, _init_input(config))
    return _plain_dict(variables["params"])


def init_vqgan(config: VQGANConfig, key: jax.Array) -> VQGAN:
    """A VQGAN with random weights (Flax default initialisers), float32."""
    dummy = jnp.zeros(_init_input(config).shape, jnp.float32)
    variables = _compiled_init(config)(key, dummy)
    return VQGAN(config, _plain_dict(variables["params"]))


@functools.lru_cache(maxsize=4)
def _compiled_init(config: VQGANConfig) -> Callable[..., Any]:
    # Compiling the initialisers takes seconds; keep it for the next model with this config.
    return jax.jit(VQGANModule(config).init)


def count_params(config: VQGANConfig, *, decode_only: bool = False) -> int:
    """Number of parameters; ``decode_only`` counts what ``decode_code`` uses (codebook,
    post_quant_conv, decoder). Nothing is allocated."""
    shapes = param_shapes(config)
    if decode_only:
        shapes = {name: shapes[name] for name in DECODE_PATH}
    return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(shapes))


def load_vqgan(model_dir: str | os.PathLike[str]) -> VQGAN:
    """Load ``config.json`` + ``flax_model.msgpack`` (the published layout) from a local dir.

    Every parameter is checked against the config's shapes; weights are cast to float32.
    """
    directory = resolve_model_dir(model_dir)
    raw_config = read_config(directory)
    try:
        config = VQGANConfig.from_dict(raw_config)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{directory / 'config.json'}: {error}") from None
    raw = read_params(directory / PARAMS_FILE)
    params = match_params(raw, param_shapes(config), "VQGAN", jnp.float32)
    return VQGAN(config, params)


def save_vqgan(model: VQGAN, model_dir: str | os.PathLike[str]) -> None:
    """Write ``config.json`` and ``flax_model.msgpack`` in the published layout."""
    # Check before writing anything, so a bad model leaves an existing directory untouched.
    params = match_params(model.params, param_shapes(model.config), "VQGAN", jnp.float32)
    directory = pathlib.Path(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    write_params(directory / PARAMS_FILE, jax.tree_util.tree_map(np.asarray, params))
    write_config(directory, model.config.to_dict())


def _plain_dict(tree: Any) -> Any:
    """Flax may hand back FrozenDicts; the project's trees are plain nested dicts."""
    if isinstance(tree, Mapping):
        return {key: _plain_dict(value) for key, value in tree.items()}
    return tree
