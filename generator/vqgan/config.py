"""The VQGAN configuration (the fields of its config.json) and its validation."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

GROUP_NORM_GROUPS = 32
GROUP_NORM_EPS = 1e-6
DECODE_PATH = ("quantize", "post_quant_conv", "decoder")
PROMPT_FIELDS = ("text_width", "text_attn_resolutions", "text_heads")

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
    # A decoder that reads the prompt (the built-in model's; no published VQGAN has one): the
    # width of the prompt's text states it is given (0: a plain decoder, the published layout),
    # and the decoder resolutions where it attends to them. Written to config.json only when set.
    text_width: int = 0
    text_attn_resolutions: tuple[int, ...] = ()
    text_heads: int = 4
    # Unknown config.json keys; excluded from ==/hash so a config can key a compile cache.
    extra: Mapping[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in ("ch_mult", "attn_resolutions", "text_attn_resolutions"):
            if not isinstance(getattr(self, name), list | tuple):
                raise ValueError(f"VQGAN config: {name} must be a list of integers")
        object.__setattr__(self, "ch_mult", tuple(self.ch_mult))
        object.__setattr__(self, "attn_resolutions", tuple(self.attn_resolutions))
        object.__setattr__(self, "text_attn_resolutions", tuple(self.text_attn_resolutions))
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

    @property
    def reads_prompt(self) -> bool:
        """Whether the decoder takes the prompt's text states as a second input."""
        return self.text_width > 0

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
            if field.name in PROMPT_FIELDS and not self.reads_prompt:
                continue  # a plain decoder's config.json stays the published one
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
    if not isinstance(config.text_width, int) or config.text_width < 0:
        fail(f"text_width must be an integer >= 0, got {config.text_width!r}")
    if config.reads_prompt:
        if not isinstance(config.text_heads, int) or config.text_heads <= 0:
            fail(f"text_heads must be a positive integer, got {config.text_heads!r}")
        resolutions = [config.grid_size * 2**i for i in range(config.num_resolutions)]
        for resolution in config.text_attn_resolutions:
            if resolution not in resolutions:
                fail(
                    f"text_attn_resolutions: the decoder has no level at {resolution} px "
                    f"(its levels: {resolutions})"
                )
            level = config.num_resolutions - 1 - resolutions.index(resolution)
            width = config.ch * config.ch_mult[level]
            if width % config.text_heads:
                fail(
                    f"{width} channels at {resolution} px do not split into "
                    f"{config.text_heads} heads"
                )
    if not 0.0 <= float(config.dropout) < 1.0:
        fail(f"dropout must be in [0, 1), got {config.dropout!r}")
