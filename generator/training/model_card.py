"""The model card (`MODEL_CARD.md`) of a shipped run, written from its measured figures only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.clip import CLIPConfig
from generator.clip import count_params as count_clip_params
from generator.dalle_bart import DalleBartConfig
from generator.dalle_bart import count_params as count_bart_params
from generator.recogniser import RecogniserConfig
from generator.recogniser import count_params as count_recogniser_params
from generator.training.adopt import adopted_from, shown_path
from generator.training.captions import vocabulary
from generator.training.configs import TrainingConfig
from generator.training.history import (
    history_commands,
    history_table,
    trained_in,
)
from generator.training.loop import FITTED_FILE, checkpointed_step, wall_time
from generator.training.markdown import percent, table
from generator.training.objects import default_objects
from generator.training.paths import PARTS, TRAINED_STAGES, RunPaths
from generator.training.splits import held_out
from generator.vqgan import VQGANConfig
from generator.vqgan import count_params as count_vqgan_params

ABLATION_FILE = Path(__file__).with_name("codec_ablation.md")
GOALS = {"codec": 0.90, "generated": 0.75, "setting": 0.95, "counts": 0.70}


def _config(model_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((model_dir / name / "config.json").read_text("utf-8"))


def _foil_sentence(metrics: dict[str, Any]) -> str:
    """What decides the ranking: whether CLIP tells a scene from the same scene with one object
    swapped (figures written before this was measured have no such entry)."""
    share = metrics.get("clip_scene_over_foil")
    if share is None:
        return ""
    return (
        f", and scores a held-out scene above its foil (the same scene with one object swapped "
        f"or its objects smeared) "
        f"for {percent(share)} of {metrics['clip_foil_scenes']} captions"
    )


def _parts_table(model_dir: Path, history: list[dict[str, Any]]) -> str:
    bart = DalleBartConfig.from_dict(_config(model_dir, "dalle_bart"))
    vqgan = VQGANConfig.from_dict(_config(model_dir, "vqgan"))
    clip = CLIPConfig.from_dict(_config(model_dir, "clip"))
    recogniser = RecogniserConfig.from_dict(_config(model_dir, "recogniser"))
    decoder = "VQGAN decoder, trained further (encoder and codebook frozen)"
    reads = ""
    if vqgan.reads_prompt:
        decoder = "VQGAN decoder that reads the prompt (encoder and codebook frozen)"
        reads = f"; reads CLIP's text states (width {vqgan.text_width})"
    rows = [
        (
            "VQGAN",
            f"f{vqgan.downsample_factor}: {vqgan.grid_size}×{vqgan.grid_size} = "
            f"{vqgan.num_tokens} tokens, {vqgan.n_embed} codes of {vqgan.embed_dim} dims",
            count_vqgan_params(vqgan),
            trained_in(history, "vqgan"),
        ),
        (
            decoder,
            f"codebook (frozen) and decoder, {vqgan.ch}–{vqgan.ch * max(vqgan.ch_mult)} "
            f"channels{reads}",
            count_vqgan_params(vqgan, decode_only=True),
            trained_in(history, "decoder"),
        ),
        (
            "DalleBart",
            f"d={bart.d_model}, {bart.encoder_layers}+{bart.decoder_layers} layers, "
            f"text vocabulary {bart.encoder_vocab_size}",
            count_bart_params(bart),
            trained_in(history, "dalle_bart"),
        ),
        (
            "CLIP (ranks the candidates)",
            f"ViT patch {clip.vision_config.patch_size}, width {clip.vision_config.hidden_size}; "
            f"text width {clip.text_config.hidden_size}",
            count_clip_params(clip),
            trained_in(history, "clip"),
        ),
        (
            "recogniser (judges legibility)",
            f"CNN, widths {', '.join(map(str, recogniser.widths))}",
            count_recogniser_params(recogniser),
            trained_in(history, "recogniser"),
        ),
    ]
    return table(
        ["part", "size", "parameters", "trained in run"],
        [(a, b, f"{c:,}", d) for a, b, c, d in rows],
    )


def run_commands(paths: RunPaths, config: TrainingConfig, metrics: dict[str, Any]) -> list[str]:
    """The commands that made the shipped weights: one `all` for a run trained here from
    scratch; for a run that adopted a model, `adopt` and each step that ran after it."""
    size = f"--out DIR --size {config.name}"
    adopted = [record for s in PARTS if (record := adopted_from(getattr(paths, s)))]
    if not adopted:
        lines = [f"python -m generator.training all {size}"]
    else:
        source = shown_path(Path(adopted[0]["source"]))
        lines = [f"python -m generator.training adopt {size} --from {source}"]
        for stage in TRAINED_STAGES:
            directory = getattr(paths, stage)
            if checkpointed_step(directory) < 0:
                continue
            fitted = directory / FITTED_FILE
            budget = json.loads(fitted.read_text("utf-8")) if fitted.exists() else {}
            minutes = budget.get("budget_seconds")
            flag = f" --minutes {minutes / 60:g}" if minutes else ""
            lines.append(f"python -m generator.training {stage} {size}{flag}")
        lines.append(f"python -m generator.training assemble {size}")
        if metrics["prompts"] != config.evaluation_prompts:
            lines.append(
                f"python -m generator.training evaluate {size} --prompts {metrics['prompts']}"
            )
        else:
            lines.append(f"python -m generator.training evaluate {size}")
    lines.append(f"python -m generator.training export {size}")
    return lines


def _figures_table(metrics: dict[str, Any]) -> str:
    pictures = metrics["pictures"]
    real = max(pictures["real"]["objects"], 1e-9)
    rows = [
        ("real held-out scenes", "real"),
        ("the same scenes through the VQGAN (encode, decode)", "reconstructed"),
        ("generated: the six kept of 16 candidates", "generated_kept"),
        ("generated: all 16 candidates", "generated_all"),
        ("generated by an untrained DalleBart (floor)", "untrained"),
    ]
    header = [
        "pictures",
        "prompted objects recognised",
        "÷ real",
        "whole scene",
        "counts right",
        "setting right",
        "objects seen but not prompted, per picture",
    ]

    def cells(label: str, f: dict[str, float]) -> tuple[str, ...]:
        ratio, alarms = f"{f['objects'] / real:.2f}", f"{f['false_alarms']:.2f}"
        shares = (percent(f[key]) for key in ("scenes", "counts", "setting"))
        return (label, percent(f["objects"]), ratio, *shares, alarms)

    return table(header, [cells(label, pictures[key]) for label, key in rows])


def _goals(metrics: dict[str, Any]) -> str:
    kept = metrics["pictures"]["generated_kept"]
    checks = [
        ("codec reconstructions ÷ real", metrics["codec_over_real"], GOALS["codec"]),
        ("generated (six kept) ÷ real", metrics["generated_over_real"], GOALS["generated"]),
        ("setting right, generated", kept["setting"], GOALS["setting"]),
        ("counts right, generated", kept["counts"], GOALS["counts"]),
    ]
    return table(
        ["goal", "measured", "wanted", "met"],
        [
            (name, f"{value:.2f}", f"≥ {wanted:.2f}", "yes" if value >= wanted else "no")
            for name, value, wanted in checks
        ],
    )


def _trust_table(trust: dict[str, Any]) -> str:
    conditions = (
        ("real", "clean"),
        ("blurred", "Gaussian blur, radius 1 px"),
        ("jpeg_q30", "JPEG, quality 30"),
        ("downscaled_2x", "downscaled to half and back"),
    )
    return table(
        ["held-out real scenes", "objects recognised", "counts right", "setting right"],
        [
            (label, *(percent(trust[key][field]) for field in ("objects", "counts", "setting")))
            for key, label in conditions
        ],
    )


def _sampling_table(metrics: dict[str, Any]) -> str:
    return table(
        ["condition scale", "top-k", "temperature", "objects", "counts", "setting"],
        [
            (
                f"{row['condition_scale']:g}",
                row["top_k"],
                f"{row['temperature']:g}",
                percent(row["objects"]),
                percent(row["counts"]),
                percent(row["setting"]),
            )
            for row in metrics["sampling_validation"]
        ],
    )


def _comparison_section(other: dict[str, Any] | None, metrics: dict[str, Any]) -> str:
    if other is None:
        return ""
    theirs = other["metrics"]
    minutes = sum(other["timings"].values()) / 60
    rows: list[tuple[str, str, str]] = []
    for label, key in (
        ("codec reconstructions ÷ real", "codec_over_real"),
        ("generated (six kept) ÷ real", "generated_over_real"),
    ):
        rows.append((label, f"{metrics[key]:.2f}", f"{theirs[key]:.2f}"))
    for label, field in (("counts right", "counts"), ("setting right", "setting")):
        ours = metrics["pictures"]["generated_kept"][field]
        cpu = theirs["pictures"]["generated_kept"][field]
        rows.append((f"{label}, generated", percent(ours), percent(cpu)))
    psnr_key = "vqgan_psnr_heldout_db"
    rows.append(("VQGAN PSNR", f"{metrics[psnr_key]:.1f} dB", f"{theirs[psnr_key]:.1f} dB"))
    header = [
        "figure",
        f"shipped (`{metrics.get('size', 'this run')}`)",
        f"CPU recipe (`{other['name']}`)",
    ]
    return f"""
## The CPU recipe

`python -m generator.training all --out DIR --size {other["name"]}` runs the same pipeline with
smaller networks on a CPU; its whole run took {minutes:.0f} min here. Its figures, measured the
same way, beside the shipped model's:

{table(header, rows)}
"""


def _blind_section(readings: str) -> str:
    if not readings:
        return ""
    return f"""## Blind reading: what a player names (the headline figure)
Sheets of the six pictures the game keeps, for random held-out prompts drawn afresh for each
reading, read by a reader who had seen neither the prompts nor an earlier reading of them, with
real scenes through the VQGAN and real renders mixed in (`python -m generator.training.blind`;
the sheets, the filled forms and the scores are in `training/readings/`). A sheet counts when
the reader names the prompt's main object (its noun, plural, or a word WordNet counts as the
same thing), every object, the main object's number, and the setting.

{readings}
"""


def _levers_section(levers: str) -> str:
    if not levers.strip():
        return ""
    return f"""
## Levers measured and not shipped
{levers.strip()}
"""


def _vocabulary_section() -> str:
    nouns = sorted(item.noun for item in default_objects())
    other = sorted(set(vocabulary()) - {w for noun in nouns for w in noun.split()})
    return (
        f"Objects ({len(nouns)}): {', '.join(nouns)}.\n\n"
        f"Other words: {', '.join(other)} (and the plurals of the objects)."
    )


def run_hardware(paths: RunPaths) -> str:
    """The machine of the run's training: that of the first stage it trained itself (an
    adopting run may train any one of them)."""
    for stage in TRAINED_STAGES:
        hardware = wall_time(getattr(paths, stage))[1]
        if hardware != "unknown":
            return hardware
    return "unknown"


def model_card(
    model_dir: Path,
    config: TrainingConfig,
    metrics: dict[str, Any],
    size: int,
    history: list[dict[str, Any]],
    readings: str = "",
    other: dict[str, Any] | None = None,
    levers: str = "",
) -> str:
    """The card of the model in `model_dir` (its parts' configs are read there); `history`:
    every run that made the weights, the last run last; `readings`: the blind readings' table
    (the headline figure), empty when none was read; `levers`: what was measured and not
    shipped (markdown), if anything."""
    held = held_out()
    total_minutes = sum(step["minutes"] for run in history for step in run["stages"])
    sampling = metrics["sampling"]
    codebook = metrics["codebook"]
    trust = metrics["recogniser"]
    ablation = ABLATION_FILE.read_text("utf-8").strip() if ABLATION_FILE.exists() else ""
    metrics = {**metrics, "size": config.name}
    return f"""# Sixfold built-in model: `sixfold-emoji-{config.name}`

A small DALL·E Mini (DalleBart + VQGAN + CLIP) trained from scratch in this repository on
captioned scenes drawn from emoji, with a recogniser of its own that judges how legible its
pictures are. It draws {config.data.image_size}×{config.data.image_size} pictures of the emoji
world it was trained on ("two small penguins to the left of a sailboat on a beach"); it knows
nothing else. Weights: {size / 2**20:.1f} MiB in all (float16 on disk, computed in float32).

{_blind_section(readings)}
## Where the weights come from
{len(history)} training run(s), {total_minutes:.0f} min of wall time in all; each run started
from the model the run before it shipped (`adopt`) and trained the steps listed.

{history_table(history)}

{history_commands(history)}

## Data
- {config.data.train_scenes:,} training scenes, drawn by `generator/training/` from the Noto
  Color Emoji font (images Apache-2.0): {len(default_objects())} objects, counts one to three,
  three sizes, five relations, 8 places and 9 colour backgrounds. Captions follow the grammar
  in `generator/training/captions.py`.
- Held out of training: {len(held.pairs):,} object pairs and {len(held.combinations):,}
  object–setting combinations. Every evaluation and validation prompt contains at least one.

## Models
{_parts_table(model_dir, history)}

## Figures of the recogniser (`python -m generator.training evaluate`)
Legibility is measured here by the recogniser, which was trained only on real renders (never on
model output) and feeds no loss and no ranking. It reads an object from its colour and place more
readily than a person reads its shape, so these figures run above the blind reading's.
On {metrics["prompts"]} held-out prompts; the
pipeline draws {16} candidates per prompt and CLIP keeps six, as in the game.

{_figures_table(metrics)}

{_goals(metrics)}

The recogniser itself, on {trust["pictures"]} held-out real scenes (so that its figures can be
trusted): it finds nothing in {percent(trust["noise_nothing_found"])} of pictures of pure noise
and rejects a wrong object (one the scene does not have) in
{percent(trust["wrong_object_rejected"])} of scenes.

{_trust_table(trust)}

## Codec
VQGAN PSNR on {metrics["vqgan_psnr_scenes"]} held-out scenes: {metrics["vqgan_psnr_heldout_db"]:.1f}
dB; codebook: {percent(codebook["codes_used"])} of the codes used, perplexity
{codebook["perplexity"]:.0f}. CLIP finds the right caption among the {metrics["prompts"]} prompts
for {percent(metrics["clip_top1_retrieval_real"])} of the real scenes{_foil_sentence(metrics)}.

{ablation}

## Sampling
Condition scale {sampling["condition_scale"]:g}, top-k {sampling["top_k"]}, temperature
{sampling["temperature"]:g}: the model's default (in `model.json`), chosen by a coordinate search
on {metrics["prompts"]} validation prompts (other held-out scenes), one picture per prompt, by
the mean of the objects, counts and setting figures:

{_sampling_table(metrics)}
{_comparison_section(other, metrics)}{_levers_section(levers)}
## Pictures
`training/contact_sheet.png`: for {config.contact_sheet_prompts} held-out prompts, the real
scene, its reconstruction through the VQGAN, then the six pictures the pipeline keeps out of 16.
Loss curves are in `training/`; every figure above is in `training/metrics.json`.

## Vocabulary
A prompt outside these words draws vague shapes on a setting; the admin's prompt import warns
about such words. {_vocabulary_section()}

## Limitations
- It knows only its own world: the objects above, counts one to three, "small" and "big", five
  relations and 17 settings. Other words are ignored or blur the picture.
- At 64×64 a small object is 14–18 pixels: its colours and outline carry it, and look-alikes
  (a lemon and a banana, two birds) are confused more often than others.
- Relations (left of, above) and sizes are drawn less reliably than objects and settings; the
  recogniser does not measure them.
- Pictures are pixel art at 64 px; the game shows them enlarged without smoothing.
"""
