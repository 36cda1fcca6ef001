"""CLIP's configuration: the text and vision towers and the whole model, as its config.json says."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax

PREPROCESSOR_FILE = "preprocessor_config.json"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# eos_token_id 2 in a published config means "pool at argmax(input_ids)" (HF keeps that rule).
LEGACY_EOS_TOKEN_ID = 2

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "quick_gelu": lambda x: x * jax.nn.sigmoid(1.702 * x),
    "gelu": functools.partial(nn.gelu, approximate=False),
    "gelu_new": functools.partial(nn.gelu, approximate=True),
    "gelu_pytorch_tanh": functools.partial(nn.gelu, approximate=True),
    "relu": nn.relu,
    "silu": nn.swish,
    "swish": nn.swish,
}

Params = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def _split_known(cls: type, data: Mapping[str, Any], what: str) -> tuple[dict, dict]:
    if not isinstance(data, Mapping):
        raise ValueError(f"CLIP {what} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
    values = {key: value for key, value in data.items() if key in known}
    extra = {key: value for key, value in data.items() if key not in known}
    return values, extra


def _plain_fields(config: Any) -> dict[str, Any]:
    data = dict(config.extra)
    for field in dataclasses.fields(config):
        if field.name != "extra":
            data[field.name] = getattr(config, field.name)
    return data


def _check_tower(config: Any, what: str, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(config, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"CLIP {what}: {name} must be a positive integer, got {value!r}")
    if config.hidden_size % config.num_attention_heads:
        raise ValueError(
            f"CLIP {what}: hidden_size {config.hidden_size} is not divisible by "
            f"num_attention_heads {config.num_attention_heads}"
        )
    if config.hidden_act not in ACTIVATIONS:
        raise ValueError(
            f"CLIP {what}: hidden_act {config.hidden_act!r} is not one of {sorted(ACTIVATIONS)}"
        )


# The `extra` field of every config class here: keys of config.json this code does not use,
# kept so that a saved config says what it said; never part of equality or hashing.
EXTRA_FIELD: Any = dataclasses.field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclasses.dataclass(frozen=True)
class CLIPTextConfig:
    """The ``text_config`` block (defaults: ViT-B/32's text tower)."""

    vocab_size: int = 49408
    hidden_size: int = 512
    intermediate_size: int = 2048
    num_hidden_layers: int = 12
    num_attention_heads: int = 8
    max_position_embeddings: int = 77
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    eos_token_id: int = LEGACY_EOS_TOKEN_ID
    extra: Mapping[str, Any] = EXTRA_FIELD

    def __post_init__(self) -> None:
        _check_tower(
            self,
            "text_config",
            (
                "vocab_size",
                "hidden_size",
                "intermediate_size",
                "num_hidden_layers",
                "num_attention_heads",
                "max_position_embeddings",
            ),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CLIPTextConfig:
        values, extra = _split_known(cls, data, "text_config")
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        return _plain_fields(self)


@dataclasses.dataclass(frozen=True)
class CLIPVisionConfig:
    """The ``vision_config`` block (defaults: ViT-B/32)."""

    hidden_size: int = 768
    intermediate_size: int = 3072
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    image_size: int = 224
    patch_size: int = 32
    num_channels: int = 3
    hidden_act: str = "quick_gelu"
    layer_norm_eps: float = 1e-5
    extra: Mapping[str, Any] = EXTRA_FIELD

    def __post_init__(self) -> None:
        _check_tower(
            self,
            "vision_config",
            (
                "hidden_size",
                "intermediate_size",
                "num_hidden_layers",
                "num_attention_heads",
                "image_size",
                "patch_size",
                "num_channels",
            ),
        )
        if self.image_size % self.patch_size:
            raise ValueError(
                f"CLIP vision_config: image_size {self.image_size} is not divisible by "
                f"patch_size {self.patch_size}"
            )

    @property
    def num_positions(self) -> int:
        return (self.image_size // self.patch_size) ** 2 + 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CLIPVisionConfig:
        values, extra = _split_known(cls, data, "vision_config")
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        return _plain_fields(self)


@dataclasses.dataclass(frozen=True)
class CLIPConfig:
    """``config.json`` of an HF CLIP model; unknown keys (at any level) are kept in ``extra``."""

    text_config: CLIPTextConfig = dataclasses.field(default_factory=CLIPTextConfig)
    vision_config: CLIPVisionConfig = dataclasses.field(default_factory=CLIPVisionConfig)
    projection_dim: int = 512
    logit_scale_init_value: float = 2.6592
    extra: Mapping[str, Any] = EXTRA_FIELD

    def __post_init__(self) -> None:
        if not isinstance(self.projection_dim, int) or self.projection_dim <= 0:
            raise ValueError(
                f"CLIP config: projection_dim must be a positive integer, got "
                f"{self.projection_dim!r}"
            )

    @classmethod
    def vit_b32(cls) -> CLIPConfig:
        """``openai/clip-vit-base-patch32``, the reranker dalle-mini switched to in May 2022."""
        return cls()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CLIPConfig:
        values, extra = _split_known(cls, data, "config")
        towers: dict[str, Any] = {}
        for name, tower in (("text_config", CLIPTextConfig), ("vision_config", CLIPVisionConfig)):
            block = dict(values.pop(name, None) or {})
            # Older HF files may carry the real values in "<name>_dict"; HF lets those win.
            override = data.get(f"{name}_dict")
            if isinstance(override, Mapping):
                block.update(override)
            towers[name] = tower.from_dict(block)
        return cls(**towers, **values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        data = _plain_fields(self)
        data["text_config"] = self.text_config.to_dict()
        data["vision_config"] = self.vision_config.to_dict()
        return data
