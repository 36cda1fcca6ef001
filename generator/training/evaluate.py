"""The figures the model card reports, all on held-out scenes (unseen pairs and combinations).

Legibility is judged by the recogniser (trained on real renders only, never on model output):
for each picture, which of the prompt's objects it shows, whether their counts are right, and
whether the setting is. Every figure is taken on the assembled model, as shipped.

- The recogniser's own figures: held-out real scenes, clean and degraded (blur, JPEG,
  downscaling), pure noise (it must find nothing) and a wrong object per scene (it must reject it).
- The codec: PSNR and codebook usage on held-out scenes, and the recogniser's figures on their
  reconstructions, beside the same figures on the scenes themselves.
- Sampling: condition scale, top-k and temperature are chosen by a coordinate search on
  validation prompts (other held-out scenes than the evaluation prompts), one picture per
  prompt, by the mean of the objects, counts and setting figures; the choice becomes the model's
  default in `model.json`.
- Generated: for each evaluation prompt the pipeline draws 16 candidates and CLIP keeps 6; the
  recogniser's figures on the kept six, on all 16, and on an untrained DalleBart's pictures
  (the floor).
- A contact sheet: per prompt, the real scene, its reconstruction and the six kept pictures.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
from PIL import Image, ImageDraw
from tqdm.auto import tqdm

from generator.clip import CLIP, load_clip
from generator.dalle_bart import DalleBart, init_dalle_bart, load_dalle_bart
from generator.pipeline import Generator
from generator.prompting import draw
from generator.recogniser import Recogniser, load_recogniser
from generator.sampler import SamplingConfig, sample_image_tokens
from generator.text import normalize_text
from generator.tokenizers import Tokenizer, encode_texts, load_bart_tokenizer
from generator.training.captions import SceneSpec
from generator.training.configs import TrainingConfig
from generator.training.foils import scenes_with_foils
from generator.training.paths import RunPaths, update_model_info
from generator.training.splits import (
    Sample,
    draw_samples,
    evaluation_samples,
    validation_samples,
)
from generator.training.train_recogniser import recognition_figures, trust_figures
from generator.vqgan import VQGAN, load_vqgan

METRICS_FILE = "metrics.json"
CONTACT_SHEET_FILE = "contact_sheet.png"
SAMPLE_BATCH = 25
CANDIDATES, KEEP = 16, 6
# The coordinate search: scales first (at the middle top-k and temperature 1), then top-k at the
# best scale, then temperature.
CONDITION_SCALES = (1.5, 3.0, 5.0, 8.0)
TOP_KS = (16, 64, 256)
TEMPERATURES = (0.8, 1.0)


@dataclass(frozen=True)
class TrainedModels:
    bart: DalleBart
    vqgan: VQGAN
    clip: CLIP
    bart_tokenizer: Tokenizer
    recogniser: Recogniser


def load_trained(paths: RunPaths) -> TrainedModels:
    """The assembled model, exactly as it ships (`DIR/model/`)."""
    root = paths.model
    return TrainedModels(
        bart=load_dalle_bart(root / "dalle_bart"),
        vqgan=load_vqgan(root / "vqgan"),
        clip=load_clip(root / "clip"),
        bart_tokenizer=load_bart_tokenizer(root / "dalle_bart"),
        recogniser=load_recogniser(root / "recogniser"),
    )


def psnr(reference: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per-image PSNR in dB of uint8 images [B, H, W, 3]."""
    error = (reference.astype(np.float64) - image.astype(np.float64)) / 255.0
    mse = np.maximum((error**2).mean(axis=(1, 2, 3)), 1e-10)
    return -10.0 * np.log10(mse)


def reconstruct(
    vqgan: VQGAN,
    scenes: np.ndarray,
    captions: Sequence[str],
    clip: CLIP | None = None,
    batch: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 reconstructions, codes) of uint8 scenes, through the codec and back; a decoder
    that reads the prompt is given each scene's caption (through `clip`)."""
    pictures, codes = [], []
    for start in range(0, len(scenes), batch):
        chunk_codes = vqgan.encode(scenes[start : start + batch].astype(np.float32) / 255.0)
        codes.append(chunk_codes)
        pictures.append(draw(vqgan, clip, chunk_codes, captions[start : start + batch]))
    return np.concatenate(pictures), np.concatenate(codes)


def codebook_usage(codes: np.ndarray, size: int) -> dict[str, float]:
    """Share of the codebook used, and the perplexity of the code distribution."""
    counts = np.bincount(codes.reshape(-1), minlength=size).astype(np.float64)
    probabilities = counts / counts.sum()
    nonzero = probabilities[probabilities > 0]
    return {
        "codes_used": float((counts > 0).mean()),
        "perplexity": float(np.exp(-(nonzero * np.log(nonzero)).sum())),
    }


def top1_retrieval(clip: CLIP, captions: list[str], images: np.ndarray) -> float:
    """Share of images whose own caption (same index) scores highest among all captions."""
    scores = clip.score(captions, images)  # [images, texts]
    return float(np.mean(np.argmax(scores, axis=1) == np.arange(len(captions))))


def scene_over_foil(clip: CLIP, count: int, size: int) -> float:
    """Share of held-out captions CLIP scores higher on their scene than on its foil (the same
    scene with one object swapped, or its objects smeared): the choice it makes when it ranks a
    prompt's candidates."""
    captions, scenes, foils = scenes_with_foils(0, count, size, split="heldout")
    own = np.diag(clip.score(captions, scenes))
    swapped = np.diag(clip.score(captions, foils))
    return float(np.mean(own > swapped))


def generate_one_each(
    bart: DalleBart,
    vqgan: VQGAN,
    clip: CLIP,
    tokenizer: Tokenizer,
    prompts: list[str],
    sampling: SamplingConfig,
) -> np.ndarray:
    """One picture per prompt (seed = its index), uint8 [N, H, W, 3], as the pipeline draws."""
    length = bart.config.max_text_length
    texts = [normalize_text(p) if bart.config.normalize_text else p for p in prompts]
    ids, mask = encode_texts(tokenizer, texts, length)
    empty_ids, empty_mask = encode_texts(tokenizer, [""], length)
    pictures = []
    for start in range(0, len(prompts), SAMPLE_BATCH):
        end = min(start + SAMPLE_BATCH, len(prompts))
        tokens = sample_image_tokens(
            bart,
            ids[start:end],
            mask[start:end],
            empty_ids,
            empty_mask,
            list(range(start, end)),
            sampling,
        )
        pictures.append(draw(vqgan, clip, tokens, prompts[start:end]))
    return np.concatenate(pictures)


def legibility(figures: dict[str, float]) -> float:
    """One number to choose sampling settings by: objects, counts and setting alike."""
    return (figures["objects"] + figures["counts"] + figures["setting"]) / 3


def tune_sampling(
    models: TrainedModels, samples: Sequence[Sample]
) -> tuple[SamplingConfig, list[dict[str, Any]]]:
    """The best sampling settings on validation prompts, and each setting tried, with figures."""
    prompts = [sample.caption for sample in samples]
    specs = [sample.spec for sample in samples]
    tried: dict[SamplingConfig, dict[str, float]] = {}

    def score(sampling: SamplingConfig) -> float:
        if sampling not in tried:
            pictures = generate_one_each(
                models.bart, models.vqgan, models.clip, models.bart_tokenizer, prompts, sampling
            )
            tried[sampling] = recognition_figures(models.recogniser, pictures, specs)
        return legibility(tried[sampling])

    best = SamplingConfig(condition_scale=CONDITION_SCALES[0], top_k=TOP_KS[1], temperature=1.0)
    for field, values in (
        ("condition_scale", CONDITION_SCALES),
        ("top_k", TOP_KS),
        ("temperature", TEMPERATURES),
    ):
        changes: list[dict[str, Any]] = [{field: value} for value in values]
        options = [dataclasses.replace(best, **change) for change in changes]
        best = max(options, key=score)  # ties: the first listed
    rows = [
        {
            "condition_scale": sampling.condition_scale,
            "top_k": sampling.top_k,
            "temperature": sampling.temperature,
            **figures,
        }
        for sampling, figures in tried.items()
    ]
    return best, rows


def generate_for_prompts(
    generator: Generator, samples: Sequence[Sample]
) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """(kept six, all sixteen) uint8 pictures per prompt, as the pipeline draws and ranks them."""
    kept, everything = [], []
    for sample in tqdm(samples, desc="generate", unit="prompt", dynamic_ncols=True):
        result = generator.generate(sample.caption, candidates=CANDIDATES, keep=KEEP, seed=0)
        kept.append([np.asarray(c.image) for c in result.kept])
        everything.append([np.asarray(c.image) for c in result.candidates])
    return kept, everything


def _figures_over(
    recogniser: Recogniser, groups: list[list[np.ndarray]], specs: Sequence[SceneSpec]
) -> dict[str, float]:
    pictures = np.stack([picture for group in groups for picture in group])
    repeated = [spec for group, spec in zip(groups, specs, strict=True) for _ in group]
    return recognition_figures(recogniser, pictures, repeated)


def evaluate(paths: RunPaths, config: TrainingConfig) -> dict[str, Any]:
    """Compute every figure, write `evaluation/metrics.json` and the contact sheet."""
    started = time.monotonic()
    models = load_trained(paths)
    size = config.data.image_size
    samples = evaluation_samples(config.evaluation_prompts, size)
    specs = [sample.spec for sample in samples]
    real = np.stack([sample.image for sample in samples])

    psnr_captions, psnr_scenes = draw_samples(0, config.data.psnr_scenes, "heldout", size)
    psnr_reconstructed, psnr_codes = reconstruct(
        models.vqgan, psnr_scenes, psnr_captions, models.clip
    )
    prompts = [sample.caption for sample in samples]
    reconstructed, _ = reconstruct(models.vqgan, real, prompts, models.clip)

    sampling, tuning = tune_sampling(models, validation_samples(config.evaluation_prompts, size))
    generator = Generator.from_parts(
        models.bart,
        models.vqgan,
        models.clip,
        models.bart_tokenizer,
        model_name="evaluation",
        batch_size=CANDIDATES,
        sampling=sampling,
    )
    kept, everything = generate_for_prompts(generator, samples)
    untrained = init_dalle_bart(models.bart.config, jax.random.key(config.seed + 1000))
    floor = generate_one_each(
        untrained, models.vqgan, models.clip, models.bart_tokenizer, prompts, sampling
    )

    recogniser = models.recogniser
    pictures = {
        "real": recognition_figures(recogniser, real, specs),
        "reconstructed": recognition_figures(recogniser, reconstructed, specs),
        "generated_kept": _figures_over(recogniser, kept, specs),
        "generated_all": _figures_over(recogniser, everything, specs),
        "untrained": recognition_figures(recogniser, floor, specs),
    }
    real_objects = max(pictures["real"]["objects"], 1e-9)
    metrics: dict[str, Any] = {
        "prompts": len(samples),
        "pictures": pictures,
        "codec_over_real": pictures["reconstructed"]["objects"] / real_objects,
        "generated_over_real": pictures["generated_kept"]["objects"] / real_objects,
        "recogniser": trust_figures(recogniser, config.recogniser.trust_scenes, size),
        "vqgan_psnr_heldout_db": float(np.mean(psnr(psnr_scenes, psnr_reconstructed))),
        "vqgan_psnr_scenes": int(config.data.psnr_scenes),
        "codebook": codebook_usage(psnr_codes, models.vqgan.config.n_embed),
        "clip_top1_retrieval_real": top1_retrieval(models.clip, prompts, real),
        "clip_scene_over_foil": scene_over_foil(models.clip, config.data.psnr_scenes, size),
        "clip_foil_scenes": int(config.data.psnr_scenes),
        "sampling": dataclasses.asdict(sampling),
        "sampling_validation": tuning,
    }
    paths.evaluation.mkdir(parents=True, exist_ok=True)
    write_contact_sheet(
        paths.evaluation / CONTACT_SHEET_FILE,
        samples[: config.contact_sheet_prompts],
        reconstructed,
        kept,
    )
    update_model_info(paths, sampling=dataclasses.asdict(sampling))
    metrics["seconds"] = round(time.monotonic() - started, 1)
    (paths.evaluation / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
    return metrics


def write_contact_sheet(
    path: Path,
    samples: Sequence[Sample],
    reconstructed: np.ndarray,
    kept: list[list[np.ndarray]],
    scale: int = 3,
) -> None:
    """Per prompt: the real scene, its reconstruction, then the six pictures the pipeline keeps."""
    size = samples[0].image.shape[0] * scale
    gap, label = 6, 18
    columns = 2 + KEEP
    width = columns * (size + gap) + 2 * gap
    sheet = Image.new("RGB", (width, len(samples) * (size + label + gap) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    for row, sample in enumerate(samples):
        y = gap + row * (size + label + gap)
        draw.text(
            (gap, y),
            f"{sample.caption}   (real scene | its reconstruction | the six kept pictures)",
            fill="black",
        )
        pictures = [sample.image, reconstructed[row], *kept[row]]
        for column, picture in enumerate(pictures):
            x = gap + column * (size + gap) + (gap if column >= 2 else 0)
            image = Image.fromarray(picture).resize((size, size), Image.Resampling.NEAREST)
            sheet.paste(image, (x, y + label))
    sheet.save(path)
