"""Training configurations, one per size: `tiny` for tests, `small` for a 2-core CPU (about
2 hours), `gpu` for the shipped model (one GPU, under 10 minutes), `gpu-prompt` the same with a
decoder stage that reads the prompt (measured, not shipped).

The VQGAN is f4 at 64×64 pixels: a 16×16 grid of 256 tokens, as DALL·E Mini's. An f8 grid
(8×8, 64 tokens, what the first built-in model used) is 4× cheaper for DalleBart, but a code then
covers 8×8 pixels and a 14-32 px emoji only 2-4 codes: reconstructions kept colours and places
and lost which object it was (the model card's ablation has the figures). At f4 a small sprite
spans about 4×4 codes. The model sizes keep the shipped weights (float16 on disk) under 60 MB.

Vocabulary sizes of DalleBart's text side and CLIP's text tower are not set here: they are read
from the tokenizers trained on the captions.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from generator.clip import CLIPConfig, CLIPTextConfig, CLIPVisionConfig
from generator.dalle_bart import DalleBartConfig
from generator.vqgan import VQGANConfig


@dataclasses.dataclass(frozen=True)
class DataConfig:
    image_size: int
    train_scenes: int  # rendered once; VQGAN, DalleBart and CLIP all train on them
    chunk: int  # scenes rendered (and codes encoded) per resumable chunk
    bart_vocab_size: int
    clip_vocab_size: int
    psnr_scenes: int  # held-out scenes the VQGAN is evaluated on


@dataclasses.dataclass(frozen=True)
class OptimizerConfig:
    learning_rate: float
    warmup_steps: int
    steps: int
    batch_size: int
    weight_decay: float = 0.0
    clip_norm: float = 1.0
    checkpoint_every: int = 200
    beta1: float = 0.9  # Adam's first moment decay (0.5 for adversarial training, as taming's)


@dataclasses.dataclass(frozen=True)
class VQGANTrainingConfig:
    model: VQGANConfig
    optimizer: OptimizerConfig
    crop: int  # side of the random crops it trains on first (more scenes per step)
    # From this step on it trains on whole scenes (as many pixels per step as the crops): the
    # normalisation statistics and the attention grid then match what it sees when encoding.
    full_images_from: int | None = None
    quantize_after: int = 0  # steps of plain autoencoder training before quantization starts
    commitment: float = 0.25  # beta of the VQ-VAE commitment loss
    edge_weight: float = 1.0  # weight of the L1 on pixel differences (outlines)
    restart_every: int = 100  # steps between dead-code restarts
    restart_below: float = 0.03  # a code is dead under this average uses per batch
    usage_decay: float = 0.99


@dataclasses.dataclass(frozen=True)
class DegradedCodes:
    """How the decoder stage makes codes worse the way DalleBart does: DalleBart draws each
    position with the true codes before it (teacher-forced), at the game's sampling settings."""

    share: float  # share of scenes decoded from such codes (the rest: the encoder's own)
    condition_scale: float = 3.0
    top_k: int = 16
    temperature: float = 0.8


@dataclasses.dataclass(frozen=True)
class AdversarialTerm:
    """A patch discriminator that reads the prompt (`discriminator.py`), as taming's recipe has."""

    weight: float  # times taming's adaptive weight ‖∇ rec‖ / ‖∇ GAN‖ at the last layer
    start: int  # the decoder feels it from this step; the discriminator trains from step 0
    widths: tuple[int, ...] = (64, 128, 256)
    # Constant, Adam with beta1 0.5. Measured on 150 steps of real scenes against the shipped
    # decoder's: at 2e-4 the discriminator barely told them apart (real 0.64, decoded 0.09 on
    # held-out scenes), at 1e-3 it did (1.20 against -1.24).
    learning_rate: float = 1e-3
    # Real scenes under another caption, among the fakes. At 0.5 the discriminator learnt the
    # caption and hardly the picture (decoded scenes scored as real ones); at 0.1 both.
    mismatch_weight: float = 0.1


@dataclasses.dataclass(frozen=True)
class DecoderTrainingConfig:
    """The decoder stage (`train_decoder`): encoder and codebook frozen, the decoder trained
    against CLIP's vision features as well as the pixels. With `reads_prompt` the decoder
    also takes the prompt (CLIP's text states: FiLM in every block, attention to the tokens at
    `text_attn_resolutions`); `degraded` and `adversarial` add DalleBart's kind of codes and a
    discriminator."""

    optimizer: OptimizerConfig
    edge_weight: float = 1.0
    perceptual_weight: float = 1.0
    reads_prompt: bool = False
    text_attn_resolutions: tuple[int, ...] = ()
    degraded: DegradedCodes | None = None
    adversarial: AdversarialTerm | None = None


@dataclasses.dataclass(frozen=True)
class DalleBartTrainingConfig:
    model: dict[str, Any]  # DalleBartConfig fields; vocabulary and image sizes are filled in
    optimizer: OptimizerConfig
    caption_dropout: float = 0.15  # share of captions replaced by "" (the unconditional branch)
    compute_dtype: str = "float32"  # "bfloat16": matrix products in bf16 (for a GPU)

    def model_config(self, text_vocab_size: int, codes: int, image_length: int) -> DalleBartConfig:
        """The network's configuration, given its tokenizer's and its VQGAN's sizes."""
        return DalleBartConfig(
            **self.model,
            encoder_vocab_size=text_vocab_size,
            image_vocab_size=codes,
            image_length=image_length,
            normalize_text=True,
        )


@dataclasses.dataclass(frozen=True)
class CLIPTrainingConfig:
    text: dict[str, Any]  # CLIPTextConfig fields; vocab_size is filled in from the tokenizer
    vision: dict[str, Any]  # CLIPVisionConfig fields; image_size is filled in
    projection_dim: int
    optimizer: OptimizerConfig
    max_logit_scale: float = 4.6052  # ln(100), CLIP's clamp
    # From this step on (the ranking phase) every scene comes with a foil, the same scene with
    # one object swapped, as an extra negative for its caption, and part of the pictures are
    # degraded as generated ones are; scenes are rendered on the fly. None: no ranking phase.
    # An adopted CLIP trains this phase only.
    ranking_from: int | None = None

    def model_config(self, text_vocab_size: int, image_size: int) -> CLIPConfig:
        """The network's configuration, given its tokenizer's size and the pictures' side."""
        return CLIPConfig(
            text_config=CLIPTextConfig(vocab_size=text_vocab_size, **self.text),
            vision_config=CLIPVisionConfig(image_size=image_size, **self.vision),
            projection_dim=self.projection_dim,
        )


@dataclasses.dataclass(frozen=True)
class RecogniserTrainingConfig:
    widths: tuple[int, ...]  # channels of the CNN's stages (each but the last halves the side)
    optimizer: OptimizerConfig
    trust_scenes: int = 500  # held-out scenes its own figures (clean and degraded) are taken on
    # Steps before this one train on clean renders only; from it on, half the pictures are
    # degraded and a few are pure noise (a robustness phase at the end of the schedule).
    degraded_from: int = 0


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    name: str
    seed: int
    data: DataConfig
    vqgan: VQGANTrainingConfig
    dalle_bart: DalleBartTrainingConfig
    clip: CLIPTrainingConfig
    recogniser: RecogniserTrainingConfig
    decoder: DecoderTrainingConfig
    evaluation_prompts: int = 100
    contact_sheet_prompts: int = 8
    # With `--minutes`, each training stage gets this share of the time (the rest of the run,
    # rendering, encoding and evaluation, comes on top); a stage run on its own gets it all.
    budget_shares: tuple[tuple[str, float], ...] = (
        ("recogniser", 0.14),
        ("vqgan", 0.25),
        ("dalle_bart", 0.42),
        ("clip", 0.12),
        ("decoder", 0.07),
    )

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary (written beside the run, and into the model card)."""
        return _jsonable(dataclasses.asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(
            value.to_dict() if hasattr(value, "to_dict") else dataclasses.asdict(value)
        )
    return value


def _data_64px(train_scenes: int, chunk: int) -> DataConfig:
    """64 px scenes, 1,024-token vocabularies, the codec judged on 500 held-out scenes."""
    return DataConfig(
        image_size=64,
        train_scenes=train_scenes,
        chunk=chunk,
        bart_vocab_size=1024,
        clip_vocab_size=1024,
        psnr_scenes=500,
    )


def _f4_codec(ch: int, num_res_blocks: int, z_channels: int, embed_dim: int) -> VQGANConfig:
    """f4 at 64 px (a 16×16 grid of 256 codes), 1,024 codes, no attention in the
    down/up-sampling stages (the middle block still attends over the 16×16 grid)."""
    return VQGANConfig(
        ch=ch,
        ch_mult=(1, 2, 2),
        num_res_blocks=num_res_blocks,
        attn_resolutions=(),
        z_channels=z_channels,
        resolution=64,
        n_embed=1024,
        embed_dim=embed_dim,
    )


def _bart(d_model: int, layers: tuple[int, int], heads: int, ffn_dim: int) -> dict[str, Any]:
    """DalleBart's fields: `layers` (encoder, decoder); both sides share heads and widths."""
    return dict(
        d_model=d_model,
        encoder_layers=layers[0],
        decoder_layers=layers[1],
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        max_text_length=32,
    )


def _tower(width: int, mlp: int, layers: int, heads: int, **extra: int) -> dict[str, Any]:
    """A CLIP tower's fields (text: its positions; vision: its patch side)."""
    return dict(
        hidden_size=width,
        intermediate_size=mlp,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        **extra,
    )


def _clip_64px(
    width: int, heads: int, projection_dim: int, ranking_from: int
) -> CLIPTrainingConfig:
    """CLIP for 64 px scenes: a 3-layer text tower, a 4-layer vision tower on 8 px patches,
    MLPs 4× the width, 1,500 steps of 128 pairs, the last ones ranking against foils."""
    return CLIPTrainingConfig(
        text=_tower(width, mlp=4 * width, layers=3, heads=heads, max_position_embeddings=32),
        vision=_tower(width, mlp=4 * width, layers=4, heads=heads, patch_size=8),
        projection_dim=projection_dim,
        optimizer=OptimizerConfig(5e-4, 100, 1500, 128, weight_decay=0.05, checkpoint_every=250),
        ranking_from=ranking_from,
    )


def tiny() -> TrainingConfig:
    """Seconds per stage on a CPU: for tests of the pipeline, not for pictures."""
    return TrainingConfig(
        name="tiny",
        seed=0,
        data=DataConfig(
            image_size=32,
            train_scenes=192,
            chunk=64,
            bart_vocab_size=600,
            clip_vocab_size=600,
            psnr_scenes=16,
        ),
        vqgan=VQGANTrainingConfig(
            model=VQGANConfig(
                ch=32,
                ch_mult=(1, 1, 1, 1),
                num_res_blocks=1,
                attn_resolutions=(),
                z_channels=32,
                resolution=32,
                n_embed=64,
                embed_dim=8,
            ),
            optimizer=OptimizerConfig(3e-3, 2, 8, 8, checkpoint_every=4),
            crop=16,
            restart_every=4,
        ),
        dalle_bart=DalleBartTrainingConfig(
            model=_bart(d_model=32, layers=(1, 1), heads=2, ffn_dim=64),
            optimizer=OptimizerConfig(3e-3, 2, 8, 16, weight_decay=0.01, checkpoint_every=4),
        ),
        clip=CLIPTrainingConfig(
            text=_tower(width=32, mlp=64, layers=1, heads=2, max_position_embeddings=32),
            vision=_tower(width=32, mlp=64, layers=1, heads=2, patch_size=8),
            projection_dim=16,
            optimizer=OptimizerConfig(3e-3, 2, 8, 16, weight_decay=0.01, checkpoint_every=4),
            ranking_from=5,
        ),
        recogniser=RecogniserTrainingConfig(
            widths=(16, 32),
            optimizer=OptimizerConfig(3e-3, 2, 8, 16, checkpoint_every=4),
            trust_scenes=16,
        ),
        decoder=DecoderTrainingConfig(
            OptimizerConfig(1e-3, 2, 6, 4, checkpoint_every=3, beta1=0.5),
            reads_prompt=True,
            text_attn_resolutions=(4,),
            degraded=DegradedCodes(share=0.5),
            adversarial=AdversarialTerm(weight=0.5, start=2, widths=(8, 16)),
        ),
        evaluation_prompts=8,
        contact_sheet_prompts=2,
    )


def small() -> TrainingConfig:
    """The CPU recipe: the whole run in about 2 hours on a 2-core CPU.

    The same pipeline and codec design as `gpu` (f4: a 16×16 grid of codes at 64 px), with
    smaller networks and fewer steps.
    """
    return TrainingConfig(
        name="small",
        seed=0,
        data=_data_64px(train_scenes=60_000, chunk=2_000),
        vqgan=VQGANTrainingConfig(
            # Low-dimensional codes (16) are used more evenly.
            model=_f4_codec(ch=32, num_res_blocks=1, z_channels=32, embed_dim=16),
            optimizer=OptimizerConfig(1e-3, 200, 2500, 32, checkpoint_every=250),
            crop=32,
            full_images_from=1500,
            quantize_after=200,
        ),
        dalle_bart=DalleBartTrainingConfig(
            model=_bart(d_model=256, layers=(2, 4), heads=4, ffn_dim=512),
            optimizer=OptimizerConfig(1e-3, 200, 1200, 48, weight_decay=0.01, checkpoint_every=200),
        ),
        clip=_clip_64px(width=128, heads=4, projection_dim=128, ranking_from=1200),
        recogniser=RecogniserTrainingConfig(
            widths=(32, 64, 128, 192),
            optimizer=OptimizerConfig(2e-3, 100, 1200, 64, weight_decay=0.01, checkpoint_every=200),
        ),
        decoder=_sharper_decoder(),
    )


def gpu() -> TrainingConfig:
    """The shipped model, trained on one GPU in under 10 minutes (`--minutes` fits the steps).

    Larger networks and 200,000 scenes; DalleBart computes in bfloat16. The step counts here
    are those the shipped run fitted to its budget, so this configuration alone reproduces it.
    """
    return TrainingConfig(
        name="gpu",
        seed=0,
        data=_data_64px(train_scenes=200_000, chunk=5_000),
        vqgan=VQGANTrainingConfig(
            model=_f4_codec(ch=64, num_res_blocks=2, z_channels=64, embed_dim=32),
            optimizer=OptimizerConfig(1e-3, 200, 1311, 64, checkpoint_every=1000),
            crop=64,
            quantize_after=300,
        ),
        dalle_bart=DalleBartTrainingConfig(
            model=_bart(d_model=320, layers=(2, 6), heads=5, ffn_dim=960),
            optimizer=OptimizerConfig(
                1e-3, 400, 2471, 128, weight_decay=0.01, checkpoint_every=1000
            ),
            compute_dtype="bfloat16",
        ),
        clip=_clip_64px(width=192, heads=3, projection_dim=256, ranking_from=1300),
        recogniser=RecogniserTrainingConfig(
            widths=(48, 96, 160, 224),
            optimizer=OptimizerConfig(2e-3, 200, 5986, 128, weight_decay=0.01, checkpoint_every=50),
            degraded_from=5736,
        ),
        decoder=_sharper_decoder(),
    )


def _sharper_decoder() -> DecoderTrainingConfig:
    """The decoder stage of the shipped model: a trained decoder fine-tuned at a low rate
    against pixels, edges and CLIP's features, 16 fresh scenes a step (the recipe the card's
    run 4 used)."""
    return DecoderTrainingConfig(OptimizerConfig(1e-4, 20, 400, 16, checkpoint_every=50))


def gpu_prompt_decoder() -> TrainingConfig:
    """The shipped model's recipe with the decoder stage that reads the prompt (measured on a
    blind reading and not shipped: the card's "levers" section says why)."""
    return dataclasses.replace(gpu(), name="gpu-prompt", decoder=_prompt_decoder(steps=1200))


def _prompt_decoder(steps: int) -> DecoderTrainingConfig:
    """The decoder that reads the prompt, trained on a 2-core CPU from a trained decoder: 16
    fresh scenes a step, three in four decoded from codes DalleBart made worse, the
    discriminator joining the decoder's loss after 200 steps of its own (on held-out scenes it
    tells real from decoded ones from about step 100 on, and plainly by step 150)."""
    return DecoderTrainingConfig(
        OptimizerConfig(2e-4, 30, steps, 16, checkpoint_every=50, beta1=0.5),
        reads_prompt=True,
        text_attn_resolutions=(16, 32),
        degraded=DegradedCodes(share=0.75),
        # At 0.4 the decoder answered the discriminator within 50 steps by shifting hues (clouds
        # cyan, skulls blue; held-out L1 0.036 -> 0.047) rather than drawing sharper: a nudge.
        adversarial=AdversarialTerm(weight=0.1, start=200),
    )


CONFIGS = {"tiny": tiny, "small": small, "gpu": gpu, "gpu-prompt": gpu_prompt_decoder}


def get_config(name: str) -> TrainingConfig:
    if name not in CONFIGS:
        raise ValueError(f"unknown training size {name!r}; expected one of {sorted(CONFIGS)}")
    return CONFIGS[name]()
