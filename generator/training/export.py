"""Shipping a finished run: the model into `generator/weights/default/`, with its model card.

Refuses to ship a run whose evaluation has not been done (the card's figures must be real) or
whose weights exceed the size budget. Nothing in the target is touched before every check
passed; the word-frequency list already there is kept.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from generator.clip import CLIPConfig
from generator.clip import count_params as count_clip_params
from generator.dalle_bart import DalleBartConfig
from generator.dalle_bart import count_params as count_bart_params
from generator.pipeline import MODEL_INFO_FILE
from generator.training.configs import TrainingConfig
from generator.training.evaluate import CONTACT_SHEET_FILE, METRICS_FILE
from generator.training.loop import CURVE_FILE, saved_step, wall_time
from generator.training.objects import default_objects
from generator.training.paths import RunPaths
from generator.training.run import TIMINGS_FILE
from generator.training.splits import held_out
from generator.vqgan import VQGANConfig
from generator.vqgan import count_params as count_vqgan_params

DEFAULT_TARGET = Path(__file__).resolve().parent.parent / "weights" / "default"
MAX_BYTES = 60 * 1024 * 1024
SUBFOLDERS = ("dalle_bart", "vqgan", "clip")
CARD_FILE = "MODEL_CARD.md"


class ExportError(RuntimeError):
    """The run cannot be shipped (unfinished, unevaluated, or too big)."""


def directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def export_model(paths: RunPaths, config: TrainingConfig, target: Path = DEFAULT_TARGET) -> Path:
    metrics_path = paths.evaluation / METRICS_FILE
    if not metrics_path.exists():
        raise ExportError(f"{metrics_path} is missing: run the 'evaluate' step before exporting")
    for name in SUBFOLDERS:
        wanted = getattr(config, name).optimizer.steps
        reached = saved_step(getattr(paths, name))
        if reached != wanted:
            raise ExportError(f"{name} stopped at step {reached} of {wanted}: finish the run first")
        if not (paths.model / name).is_dir():
            raise ExportError(f"{paths.model / name} is missing: run the 'assemble' step first")
    size = directory_bytes(paths.model)
    if size > MAX_BYTES:
        raise ExportError(f"the model is {size / 2**20:.1f} MiB; the budget is 60 MiB")
    metrics = json.loads(metrics_path.read_text("utf-8"))
    card = model_card(paths, config, metrics, size)

    target.mkdir(parents=True, exist_ok=True)
    for name in SUBFOLDERS:
        if (target / name).exists():
            shutil.rmtree(target / name)
        shutil.copytree(paths.model / name, target / name)
    shutil.copyfile(paths.model / MODEL_INFO_FILE, target / MODEL_INFO_FILE)
    figures = target / "training"
    figures.mkdir(exist_ok=True)
    shutil.copyfile(paths.evaluation / CONTACT_SHEET_FILE, figures / CONTACT_SHEET_FILE)
    for stage in SUBFOLDERS:
        curve = getattr(paths, stage) / CURVE_FILE
        if curve.exists():
            shutil.copyfile(curve, figures / f"{stage}_loss.png")
    shutil.copyfile(paths.scenes / "preview.png", figures / "scenes.png")
    (target / CARD_FILE).write_text(card, "utf-8")
    return target


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def model_card(paths: RunPaths, config: TrainingConfig, metrics: dict, size: int) -> str:
    bart = DalleBartConfig.from_dict(
        json.loads((paths.model / "dalle_bart/config.json").read_text())
    )
    vqgan = VQGANConfig.from_dict(json.loads((paths.model / "vqgan/config.json").read_text()))
    clip = CLIPConfig.from_dict(json.loads((paths.model / "clip/config.json").read_text()))
    held = held_out()
    hours = {stage: wall_time(getattr(paths, stage))[0] / 3600 for stage in SUBFOLDERS}
    hardware = wall_time(paths.dalle_bart)[1]
    timings_path = paths.root / TIMINGS_FILE
    timings = json.loads(timings_path.read_text("utf-8")) if timings_path.exists() else {}
    steps_time = (
        f"{sum(timings.values()) / 3600:.2f} h ("
        + ", ".join(f"{name} {seconds / 60:.0f} min" for name, seconds in timings.items())
        + ")"
    )
    rows = [
        (
            "VQGAN PSNR, held-out scenes",
            f"{metrics['vqgan_psnr_heldout_db']:.1f} dB ({metrics['vqgan_psnr_scenes']} scenes)",
        ),
        (
            "CLIP top-1 caption retrieval, real held-out scenes",
            _percent(metrics["clip_top1_retrieval_real"]),
        ),
        ("R-precision@1, real scenes (ceiling)", _percent(metrics["r_precision_real"])),
        (
            "R-precision@1, VQGAN reconstructions of them",
            _percent(metrics["r_precision_vqgan_reconstructed"]),
        ),
        (
            "R-precision@1, generated (one per prompt, no reranking)",
            _percent(metrics["r_precision_generated"]),
        ),
        ("R-precision@1, untrained DalleBart (floor)", _percent(metrics["r_precision_untrained"])),
        ("chance", _percent(metrics["chance"])),
        ("generated / real", f"{metrics['generated_over_real']:.2f} (goal: at least 0.60)"),
    ]
    for key in sorted(k for k in metrics if k.startswith("r_precision_generated_scale_")):
        scale = key.rsplit("_", 1)[1]
        rows.append(
            (f"R-precision@1, generated at condition scale {scale}", _percent(metrics[key]))
        )
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    validation = metrics["condition_scale_validation"]
    vq, db, cl = config.vqgan, config.dalle_bart, config.clip
    parts = [
        (
            "VQGAN",
            f"f{vqgan.downsample_factor}, {vqgan.num_tokens} tokens, {vqgan.n_embed} codes",
            count_vqgan_params(vqgan),
            f"{vq.optimizer.steps} steps × {vq.optimizer.batch_size} crops of {vq.crop} px, "
            f"{hours['vqgan']:.2f} h",
        ),
        (
            "DalleBart",
            f"d={bart.d_model}, {bart.encoder_layers}+{bart.decoder_layers} layers, "
            f"text vocabulary {bart.encoder_vocab_size}",
            count_bart_params(bart),
            f"{db.optimizer.steps} steps × {db.optimizer.batch_size}, caption dropout "
            f"{db.caption_dropout}, {hours['dalle_bart']:.2f} h",
        ),
        (
            "CLIP",
            f"ViT patch {clip.vision_config.patch_size}, width {clip.vision_config.hidden_size}; "
            f"text width {clip.text_config.hidden_size}",
            count_clip_params(clip),
            f"{cl.optimizer.steps} steps × {cl.optimizer.batch_size}, {hours['clip']:.2f} h",
        ),
    ]
    models = "\n".join(f"| {a} | {b} | {c:,} | {d} |" for a, b, c, d in parts)
    return f"""# Sixfold built-in model: `sixfold-emoji-{config.name}`

A small DALL·E Mini (DalleBart + VQGAN + CLIP) trained from scratch in this repository on
captioned scenes drawn from emoji. It draws {config.data.image_size}×{config.data.image_size}
pictures of the emoji world it was trained on ("two small penguins to the left of a sailboat on
a beach"); it knows nothing else. Reproduce it with
`python -m generator.training all --out DIR --size {config.name}` and
`python -m generator.training export --out DIR`.

## Data
- {config.data.train_scenes:,} training scenes, drawn by `generator/training/` from the Noto
  Color Emoji font (images Apache-2.0): {len(default_objects())} objects, counts one to three,
  three sizes, five relations, 8 places and 9 colour backgrounds. Captions follow the grammar
  in `generator/training/captions.py`.
- Held out of training: {len(held.pairs):,} object pairs and {len(held.combinations):,}
  object–setting combinations. Every evaluation prompt contains at least one of them.

## Models
| part | size | parameters | training |
|---|---|---|---|
{models}

Weights: {size / 2**20:.1f} MiB in all (float32). Hardware: {hardware}.
Wall time of the whole run: {steps_time}.

## Figures (`python -m generator.training evaluate`)
{metrics["prompts"]} held-out prompts; sampling: condition scale {metrics["condition_scale"]},
top-k {metrics["top_k"]}. The condition scale is the model's default (in `model.json`), chosen
among {", ".join(validation)} by R-precision@1 on {metrics["prompts"]} other held-out prompts
({", ".join(f"{scale}: {_percent(value)}" for scale, value in validation.items())}).

| figure | value |
|---|---|
{table}

Contact sheet (`training/contact_sheet.png`): for {config.contact_sheet_prompts} held-out prompts,
a real scene, then the six pictures the pipeline keeps out of 16 candidates. Loss curves are in
`training/`.

## Limitations
The pictures are soft: a {vqgan.num_tokens}-code grid cannot hold an emoji's detail, so the VQGAN
is the ceiling on what DalleBart can draw. CLIP finds the right caption for
{_percent(metrics["r_precision_vqgan_reconstructed"])} of VQGAN reconstructions of the held-out
scenes against {_percent(metrics["r_precision_real"])} of the scenes themselves. Objects come
out as shapes of the right colour, count, size and place, on the right setting, more than as
recognisable emoji; prompts outside the caption grammar or naming unknown objects draw a
setting with vague shapes.
"""
