"""The figures the model card reports, all on held-out scenes (unseen pairs and combinations).

- VQGAN PSNR: encode and decode held-out scenes, mean PSNR per image (dB, pixels in [0, 1]).
- CLIP retrieval: for each of the evaluation scenes, is its own caption CLIP's top choice
  among the evaluation captions (top-1 accuracy; chance = 1 / prompts).
- R-precision@1 of generated pictures: one picture per evaluation prompt (seed = prompt index,
  the chosen condition scale below, no reranking); the share whose own prompt CLIP ranks first
  among all the prompts. Reported beside the same figure for the real scenes (the ceiling) and
  for an untrained DalleBart with the same VQGAN and CLIP (the floor).
- The condition scale: chosen among CONDITION_SCALES by R-precision on other held-out prompts
  (validation), then written into the model's `model.json` as its sampling default; every
  generated figure above uses it, and the card lists the others for comparison.
- A contact sheet: the six pictures the pipeline keeps (16 candidates, CLIP-ranked) for a few
  evaluation prompts, each row starting with the real scene.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
from PIL import Image, ImageDraw

from generator.clip import CLIP, load_clip
from generator.dalle_bart import DalleBart, init_dalle_bart, load_dalle_bart
from generator.pipeline import Generator
from generator.sampler import SamplingConfig, sample_image_tokens
from generator.text import normalize_text
from generator.tokenizers import Tokenizer, encode_texts, load_bart_tokenizer
from generator.training.configs import TrainingConfig
from generator.training.paths import RunPaths, update_model_info
from generator.training.splits import draw_samples, evaluation_samples, validation_samples
from generator.vqgan import VQGAN, load_vqgan

METRICS_FILE = "metrics.json"
CONTACT_SHEET_FILE = "contact_sheet.png"
SAMPLE_BATCH = 25
CONDITION_SCALES = (1.0, 3.0, 5.0, 10.0)


@dataclass(frozen=True)
class TrainedModels:
    bart: DalleBart
    vqgan: VQGAN
    clip: CLIP
    bart_tokenizer: Tokenizer


def load_trained(paths: RunPaths) -> TrainedModels:
    bart_dir = paths.trained(paths.dalle_bart)
    return TrainedModels(
        bart=load_dalle_bart(bart_dir),
        vqgan=load_vqgan(paths.trained(paths.vqgan)),
        clip=load_clip(paths.trained(paths.clip)),
        bart_tokenizer=load_bart_tokenizer(bart_dir),
    )


def psnr(reference: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Per-image PSNR in dB of uint8 images [B, H, W, 3]."""
    error = (reference.astype(np.float64) - image.astype(np.float64)) / 255.0
    mse = np.maximum((error**2).mean(axis=(1, 2, 3)), 1e-10)
    return -10.0 * np.log10(mse)


def to_uint8(images: np.ndarray) -> np.ndarray:
    return (np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)  # as the pipeline does


def vqgan_psnr(vqgan: VQGAN, scenes: np.ndarray, batch: int = 100) -> float:
    values = []
    for start in range(0, len(scenes), batch):
        chunk = scenes[start : start + batch]
        codes = vqgan.encode(chunk.astype(np.float32) / 255.0)
        values.append(psnr(chunk, to_uint8(vqgan.decode_code(codes))))
    return float(np.mean(np.concatenate(values)))


def top1_retrieval(clip: CLIP, captions: list[str], images: np.ndarray) -> float:
    """Share of images whose own caption (same index) scores highest among all captions."""
    scores = clip.score(captions, images)  # [images, texts]
    return float(np.mean(np.argmax(scores, axis=1) == np.arange(len(captions))))


def generate_one_each(
    bart: DalleBart,
    vqgan: VQGAN,
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
        pictures.append(to_uint8(vqgan.decode_code(tokens)))
    return np.concatenate(pictures)


def r_precision_by_scale(models: TrainedModels, prompts: list[str]) -> dict[str, float]:
    """R-precision@1 of one generated picture per prompt at each of CONDITION_SCALES."""
    figures: dict[str, float] = {}
    for scale in CONDITION_SCALES:
        pictures = generate_one_each(
            models.bart,
            models.vqgan,
            models.bart_tokenizer,
            prompts,
            SamplingConfig(condition_scale=scale),
        )
        figures[f"{scale:g}"] = top1_retrieval(models.clip, prompts, pictures)
    return figures


def choose_condition_scale(
    models: TrainedModels, config: TrainingConfig
) -> tuple[float, dict[str, float]]:
    """The scale with the best R-precision on the validation prompts (ties: the first listed)."""
    samples = validation_samples(config.evaluation_prompts, config.data.image_size)
    figures = r_precision_by_scale(models, [sample.caption for sample in samples])
    best = max(CONDITION_SCALES, key=lambda scale: figures[f"{scale:g}"])
    return best, figures


def evaluate(paths: RunPaths, config: TrainingConfig) -> dict[str, float]:
    """Compute every figure, write `evaluation/metrics.json` and the contact sheet."""
    started = time.monotonic()
    models = load_trained(paths)
    size = config.data.image_size
    _, psnr_scenes = draw_samples(0, config.data.psnr_scenes, "heldout", size)
    samples = evaluation_samples(config.evaluation_prompts, size)
    prompts = [sample.caption for sample in samples]
    real = np.stack([sample.image for sample in samples])
    chosen_scale, validation = choose_condition_scale(models, config)
    sampling = SamplingConfig(condition_scale=chosen_scale)
    by_scale = r_precision_by_scale(models, prompts)
    untrained = init_dalle_bart(models.bart.config, jax.random.key(config.seed + 1000))
    floor = generate_one_each(untrained, models.vqgan, models.bart_tokenizer, prompts, sampling)
    reconstructed = to_uint8(models.vqgan.decode_code(models.vqgan.encode(real / 255.0)))
    # Caption retrieval on real scenes is the same computation as their R-precision: each scene
    # ranks all the prompts. It is both the CLIP figure and the ceiling for generated pictures.
    real_retrieval = top1_retrieval(models.clip, prompts, real)
    metrics: dict = {
        "prompts": len(prompts),
        "vqgan_psnr_heldout_db": vqgan_psnr(models.vqgan, psnr_scenes),
        "vqgan_psnr_scenes": int(config.data.psnr_scenes),
        "clip_top1_retrieval_real": real_retrieval,
        "r_precision_real": real_retrieval,
        "r_precision_vqgan_reconstructed": top1_retrieval(models.clip, prompts, reconstructed),
        "r_precision_generated": by_scale[f"{chosen_scale:g}"],
        "r_precision_untrained": top1_retrieval(models.clip, prompts, floor),
        "chance": 1.0 / len(prompts),
        "condition_scale": sampling.condition_scale,
        "condition_scale_validation": validation,
        "top_k": sampling.top_k,
    }
    metrics["generated_over_real"] = metrics["r_precision_generated"] / max(
        metrics["r_precision_real"], 1e-9
    )
    # For comparison: the same figure on the evaluation prompts at the other scales.
    for scale, figure in by_scale.items():
        if scale != f"{chosen_scale:g}":
            metrics[f"r_precision_generated_scale_{scale}"] = figure
    paths.evaluation.mkdir(parents=True, exist_ok=True)
    write_contact_sheet(
        paths.evaluation / CONTACT_SHEET_FILE,
        models,
        samples[: config.contact_sheet_prompts],
        sampling,
    )
    update_model_info(paths, sampling={"condition_scale": sampling.condition_scale})
    metrics["seconds"] = round(time.monotonic() - started, 1)
    (paths.evaluation / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
    return metrics


def write_contact_sheet(
    path: Path,
    models: TrainedModels,
    samples: list,
    sampling: SamplingConfig,
    scale: int = 2,
) -> None:
    """Per prompt: the real scene, then the six pictures the pipeline keeps for it."""
    generator = Generator.from_parts(
        models.bart,
        models.vqgan,
        models.clip,
        models.bart_tokenizer,
        model_name="evaluation",
        sampling=sampling,
    )
    size = samples[0].image.shape[0] * scale
    gap, label = 6, 18
    width = 7 * (size + gap) + gap
    sheet = Image.new("RGB", (width, len(samples) * (size + label + gap) + gap), "white")
    draw = ImageDraw.Draw(sheet)
    for row, sample in enumerate(samples):
        y = gap + row * (size + label + gap)
        draw.text((gap, y), f"{sample.caption}   (left: a real scene)", fill="black")
        result = generator.generate(sample.caption, candidates=16, keep=6, seed=0)
        pictures = [Image.fromarray(sample.image)] + [c.image for c in result.kept]
        for column, picture in enumerate(pictures):
            x = gap + column * (size + gap)
            sheet.paste(picture.resize((size, size), Image.Resampling.NEAREST), (x, y + label))
    sheet.save(path)
