"""Where each part of a shipped model came from: one entry per training run, oldest first.

A shipped model keeps `history.json`: for every run that trained part of it, the machine, the
commands, and what each step trained and how long it took. `adopt` carries the source model's
history into the run; `export` ships it with the run's own entry added, and the model card shows
the whole of it as one table (earlier cards' text stays out of the card).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.training.adopt import HISTORY_FILE, adopted_from
from generator.training.configs import TrainingConfig
from generator.training.loop import checkpointed_step, wall_time
from generator.training.markdown import table
from generator.training.paths import TRAINED_STAGES, RunPaths

# The steps that do not train, in the order a run takes them, with what they do.
OTHER_STEPS = {
    "scenes": "scenes rendered",
    "tokenizer": "BPE tokenizers on the captions",
    "assemble": "the parts gathered, float16",
    "evaluate": "figures on held-out prompts",
}


def read_history(directory: Path) -> list[dict[str, Any]]:
    """The runs recorded beside a model or in a run directory (none when there is no file)."""
    path = directory / HISTORY_FILE
    if not path.exists():
        return []
    history = json.loads(path.read_text("utf-8"))
    if not isinstance(history, list):
        raise ValueError(f"{path}: must be a JSON list of runs")
    return history


def stage_training(paths: RunPaths, config: TrainingConfig, stage: str) -> str | None:
    """What a stage trained in this run ("N steps × B ..."), or None when it did not train."""
    directory = getattr(paths, stage)
    steps = checkpointed_step(directory)
    if steps < 0:
        return None
    batch = getattr(config, stage).optimizer.batch_size
    adopted = adopted_from(paths.vqgan if stage == "decoder" else directory) is not None
    return f"{steps:,} steps × {batch} {_what(config, stage, adopted)}"


def _what(config: TrainingConfig, stage: str, adopted: bool) -> str:
    if stage == "vqgan":
        vq = config.vqgan
        return f"crops of {vq.crop} px" if vq.crop < config.data.image_size else "scenes"
    if stage == "dalle_bart":
        return f"captions, caption dropout {config.dalle_bart.caption_dropout}"
    if stage == "clip":
        if adopted:
            return (
                "pairs, each scene with a foil (one object swapped, or the objects smeared) as a "
                "negative, half of them degraded (the ranking phase)"
            )
        return "pairs"
    if stage == "recogniser":
        if adopted:
            return "real scenes, half of them degraded (the robustness phase)"
        return "real scenes"
    return "fresh scenes; " + decoder_recipe(config)


def decoder_recipe(config: TrainingConfig) -> str:
    """How the decoder stage trains, in words (the card's parts table and history)."""
    settings = config.decoder
    parts = ["loss: pixels, edges and CLIP's vision features"]
    if settings.reads_prompt:
        parts.insert(0, "the decoder reads the prompt (CLIP's text states)")
    if settings.degraded is not None:
        parts.append(
            f"{settings.degraded.share:.0%} of the scenes decoded from codes DalleBart redrew "
            "with the true codes before each"
        )
    if settings.adversarial is not None:
        parts.append(
            "a patch discriminator that reads the prompt, in the loss from step "
            f"{settings.adversarial.start} (adaptive weight × {settings.adversarial.weight:g})"
        )
    return "; ".join(parts)


def run_entry(
    paths: RunPaths, config: TrainingConfig, model: str, hardware: str, commands: list[str]
) -> dict[str, Any]:
    """This run's entry: every step it took, with what it trained and its wall time."""
    timings_path = paths.root / "timings.json"
    timings = json.loads(timings_path.read_text("utf-8")) if timings_path.exists() else {}
    stages = []
    for stage in ("scenes", "tokenizer", *TRAINED_STAGES, "assemble", "evaluate"):
        training = (stage_training(paths, config, stage) if stage in TRAINED_STAGES else None) or (
            OTHER_STEPS.get(stage) if stage in timings else None
        )
        if training is None:
            continue
        seconds = float(timings.get(stage, 0.0))
        if stage not in timings and stage in TRAINED_STAGES:
            seconds = wall_time(getattr(paths, stage))[0]
        stages.append({"stage": stage, "training": training, "minutes": round(seconds / 60, 1)})
    return {"model": model, "hardware": hardware, "commands": commands, "stages": stages}


def history_table(history: list[dict[str, Any]]) -> str:
    """One row per step of every run, oldest run first."""
    rows = []
    for number, run in enumerate(history, start=1):
        for stage in run["stages"]:
            rows.append(
                (
                    str(number),
                    run["hardware"],
                    stage["stage"],
                    stage["training"],
                    f"{stage['minutes']:.1f} min",
                )
            )
    return table(["run", "hardware", "step", "what it did", "wall time"], rows)


def history_commands(history: list[dict[str, Any]]) -> str:
    """Each run's commands, numbered as in the table."""
    blocks = []
    for number, run in enumerate(history, start=1):
        blocks.append(f"Run {number}:\n\n```\n" + "\n".join(run["commands"]) + "\n```")
    return "\n\n".join(blocks)


def trained_in(history: list[dict[str, Any]], stage: str) -> str:
    """The runs in which a stage trained ("1, 3"), for the parts table."""
    runs = [
        str(number)
        for number, run in enumerate(history, start=1)
        if any(step["stage"] == stage for step in run["stages"])
    ]
    return ", ".join(runs) if runs else "–"
