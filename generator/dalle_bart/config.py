"""DalleBart's configuration: the fields of its config.json, the variants this code computes,
and their validation."""

from __future__ import annotations

import dataclasses
from typing import Any

# DalleBartConfig fields with the values this implementation supports; a config.json that sets
# another value is refused rather than silently computed differently.
_FIXED_VARIANTS: dict[str, Any] = {
    "ln_type": "layernorm",
    "ln_positions": "normformer",
    "activation_function": "gelu",
    "use_head_scale": False,
    "use_cosine_attention": False,
    "use_swin_position_embeddings": False,
    "use_deepnet_scaling": False,
    "use_alibi": False,
    "use_absolute_position_embeddings": True,
    "sinkhorn_iters": 1,
    "tie_word_embeddings": False,
}
LN_EPSILON = 1e-5


# --- configuration ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DalleBartConfig:
    """The model fields of a DalleBart `config.json`; other keys are kept in `extra`.

    Defaults are dalle-mini's `DalleBartConfig` defaults; special token ids left as None
    default to `image_vocab_size`, as there.
    """

    d_model: int = 1024
    encoder_layers: int = 12
    decoder_layers: int = 12
    encoder_attention_heads: int = 16
    decoder_attention_heads: int = 16
    encoder_ffn_dim: int = 4096
    decoder_ffn_dim: int = 4096
    encoder_vocab_size: int = 50264
    image_vocab_size: int = 16384
    max_text_length: int = 64
    image_length: int = 256
    decoder_start_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    pad_token_id: int | None = None
    force_ln_scale: bool = False
    use_glu: bool = True
    use_bias: bool = False
    use_final_ln_encoder: bool = True
    use_final_ln_decoder: bool = True
    scale_embedding: bool = False
    init_std: float = 0.02
    normalize_text: bool = False
    # Every other config.json key (architectures, min_length, dropout, ...), written back on
    # save. Not part of equality or hashing: it never changes the computation.
    extra: dict[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        for name in ("decoder_start_token_id", "bos_token_id", "eos_token_id", "pad_token_id"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.image_vocab_size)
        self._validate()

    def _validate(self) -> None:
        for name, value in _FIXED_VARIANTS.items():
            if name in self.extra and self.extra[name] != value:
                raise ValueError(
                    f"DalleBart config sets {name}={self.extra[name]!r}; only {value!r} is "
                    "supported (the published DALL·E Mini/Mega setting)"
                )
        for name in (
            "d_model",
            "encoder_layers",
            "decoder_layers",
            "encoder_ffn_dim",
            "decoder_ffn_dim",
            "encoder_vocab_size",
            "image_vocab_size",
            "max_text_length",
            "image_length",
        ):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(f"DalleBart config: {name} must be a positive integer")
        for heads in ("encoder_attention_heads", "decoder_attention_heads"):
            count = getattr(self, heads)
            if not isinstance(count, int) or count <= 0 or self.d_model % count:
                raise ValueError(
                    f"DalleBart config: {heads}={count!r} must be a positive divisor of "
                    f"d_model={self.d_model}"
                )

    @property
    def start_token(self) -> int:
        """The decoder's start token (`decoder_start_token_id`, set by __post_init__)."""
        assert self.decoder_start_token_id is not None
        return self.decoder_start_token_id

    @property
    def image_codes(self) -> int:
        """How many image tokens are VQGAN codes (the tokens the sampler may draw).

        Mega pads its image vocabulary to 16415 rows for sharding, but its codebook has 16384
        codes and the start token is 16384, so codes are the ids below both.
        """
        return min(self.image_vocab_size, self.start_token)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DalleBartConfig:
        """Build from `config.json` contents; unknown keys go to `extra`."""
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in values.items() if k in names}
        extra = {k: v for k, v in values.items() if k not in names}
        try:
            return cls(**known, extra=extra)
        except TypeError as error:
            raise ValueError(f"DalleBart config: {error}") from None

    def to_dict(self) -> dict[str, Any]:
        """`config.json` contents: the model fields plus every kept unknown key."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del values["extra"]
        return {**self.extra, **values}

    @classmethod
    def mini(cls) -> DalleBartConfig:
        """The published DALL·E Mini checkpoint (`dalle-mini/dalle-mini`, mini-1:v0)."""
        return cls(
            d_model=1024,
            encoder_layers=12,
            decoder_layers=12,
            encoder_attention_heads=16,
            decoder_attention_heads=16,
            encoder_ffn_dim=2730,
            decoder_ffn_dim=2730,
            encoder_vocab_size=50264,
            image_vocab_size=16384,
            decoder_start_token_id=16384,
            bos_token_id=16385,
            eos_token_id=16385,
            pad_token_id=16385,
            init_std=0.02,
            normalize_text=True,
        )

    @classmethod
    def mega(cls) -> DalleBartConfig:
        """The published DALL·E Mega checkpoint (`dalle-mini/dalle-mega`, mega-1:v16)."""
        return cls(
            d_model=2048,
            encoder_layers=24,
            decoder_layers=24,
            encoder_attention_heads=32,
            decoder_attention_heads=32,
            encoder_ffn_dim=4096,
            decoder_ffn_dim=4096,
            encoder_vocab_size=50272,
            image_vocab_size=16415,
            decoder_start_token_id=16384,
            bos_token_id=16385,
            eos_token_id=16385,
            pad_token_id=16385,
            init_std=0.01,
            normalize_text=True,
        )
