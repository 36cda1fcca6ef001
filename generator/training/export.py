"""Shipping a finished run: the model into `generator/weights/default/`, with its model card.

Refuses to ship a run whose evaluation has not been done (the card's figures must be real),
whose training stopped early, or whose weights exceed the size budget. Nothing in the target is
touched before every check passed. Export needs only a run's small files (the assembled model,
figures, curves and step records), not its scenes or optimizer state, so a run trained on
another machine can be shipped from here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from generator.legibility import VOCABULARY_FILE
from generator.paths import BUILTIN_MODEL_DIR
from generator.training.adopt import adopted_from
from generator.training.blind.reading import READINGS_DIR, readings_tables, scored_readings
from generator.training.blind.sheets import ship_reading
from generator.training.configs import TrainingConfig
from generator.training.evaluate import CONTACT_SHEET_FILE, METRICS_FILE
from generator.training.history import HISTORY_FILE, read_history, run_entry
from generator.training.loop import CURVE_FILE, checkpointed_step, planned_steps
from generator.training.model_card import model_card, run_commands, run_hardware
from generator.training.paths import PARTS, TRAINED_STAGES, RunPaths

DEFAULT_TARGET = BUILTIN_MODEL_DIR
MAX_BYTES = 60 * 1024 * 1024
CARD_FILE = "MODEL_CARD.md"
# What was measured on the model and not shipped (markdown, kept beside its figures).
LEVERS_FILE = "levers.md"
MODEL_INFO_FILE = "model.json"


class ExportError(RuntimeError):
    """The run cannot be shipped (unfinished, unevaluated, or too big)."""


def directory_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def weights_bytes(model_dir: Path) -> int:
    """The size of a model's weights and the files beside them (not its figures and readings):
    what the 60 MB budget counts."""
    files = [model_dir / MODEL_INFO_FILE, model_dir / VOCABULARY_FILE]
    return sum(directory_bytes(model_dir / name) for name in PARTS) + sum(
        path.stat().st_size for path in files if path.is_file()
    )


def _check_finished(paths: RunPaths, config: TrainingConfig) -> None:
    for name in TRAINED_STAGES:
        stage = getattr(paths, name)
        reached = checkpointed_step(stage)
        # An adopted part may ship as it was; so may an adopted VQGAN's decoder.
        adopted = adopted_from(paths.vqgan if name == "decoder" else stage)
        wanted = planned_steps(stage, getattr(config, name).optimizer)
        if not (adopted is not None and reached < 0) and reached != wanted:
            raise ExportError(f"{name} stopped at step {reached} of {wanted}: finish the run first")
    for name in PARTS:
        if not (paths.model / name).is_dir():
            raise ExportError(f"{paths.model / name} is missing: run the 'assemble' step first")


def export_model(
    paths: RunPaths,
    config: TrainingConfig,
    target: Path = DEFAULT_TARGET,
    compare: RunPaths | None = None,
) -> Path:
    """Ship the run's model and card into `target`; `compare`: a run whose figures the card
    shows beside this one's (e.g. the CPU recipe beside the GPU run)."""
    metrics_path = paths.evaluation / METRICS_FILE
    if not metrics_path.exists():
        raise ExportError(f"{metrics_path} is missing: run the 'evaluate' step before exporting")
    _check_finished(paths, config)
    size = weights_bytes(paths.model)
    if size > MAX_BYTES:
        raise ExportError(f"the model is {size / 2**20:.1f} MiB; the budget is 60 MiB")
    metrics = json.loads(metrics_path.read_text("utf-8"))
    other = _comparison(compare)
    model = json.loads((paths.model / MODEL_INFO_FILE).read_text("utf-8")).get("name", "")
    history = [
        *read_history(paths.root),
        run_entry(paths, config, model, run_hardware(paths), run_commands(paths, config, metrics)),
    ]
    readings = readings_tables(scored_readings(_readings(paths, target)))
    levers = _levers(target)
    card = model_card(paths.model, config, metrics, size, history, readings, other, levers)

    target.mkdir(parents=True, exist_ok=True)
    for name in PARTS:
        if (target / name).exists():
            shutil.rmtree(target / name)
        shutil.copytree(paths.model / name, target / name)
    for name in (MODEL_INFO_FILE, VOCABULARY_FILE):
        shutil.copyfile(paths.model / name, target / name)
    figures = target / "training"
    kept = figures / READINGS_DIR
    for item in figures.glob("*") if figures.exists() else []:
        if item not in (kept, figures / LEVERS_FILE):
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    figures.mkdir(exist_ok=True)
    for reading in sorted((paths.root / READINGS_DIR).glob("*")):
        ship_reading(reading, kept / reading.name)
    shutil.copyfile(paths.evaluation / CONTACT_SHEET_FILE, figures / CONTACT_SHEET_FILE)
    for stage in TRAINED_STAGES:
        curve = getattr(paths, stage) / CURVE_FILE
        if curve.exists():
            shutil.copyfile(curve, figures / f"{stage}_loss.png")
    shutil.copyfile(paths.scenes / "preview.png", figures / "scenes.png")
    shutil.copyfile(metrics_path, figures / "metrics.json")
    (target / HISTORY_FILE).write_text(json.dumps(history, indent=2) + "\n", "utf-8")
    (target / CARD_FILE).write_text(card, "utf-8")
    return target


def _levers(model_dir: Path) -> str:
    path = model_dir / "training" / LEVERS_FILE
    return path.read_text("utf-8") if path.exists() else ""


def write_card(model_dir: Path, config: TrainingConfig) -> Path:
    """Write a shipped model's card again from what ships beside it (its figures, history,
    blind readings and measured levers): after a reading is added, say."""
    metrics = json.loads((model_dir / "training" / METRICS_FILE).read_text("utf-8"))
    readings = sorted((model_dir / "training" / READINGS_DIR).glob("*"))
    card = model_card(
        model_dir,
        config,
        metrics,
        weights_bytes(model_dir),
        read_history(model_dir),
        readings_tables(scored_readings(readings)),
        levers=_levers(model_dir),
    )
    path = model_dir / CARD_FILE
    path.write_text(card, "utf-8")
    return path


def _readings(paths: RunPaths, target: Path) -> list[Path]:
    """The blind readings the card reports: those shipped before (of earlier models, kept for
    comparison) and the run's own, a run's reading replacing a shipped one of the same name."""
    shipped = target / "training" / READINGS_DIR
    ours = {reading.name: reading for reading in (paths.root / READINGS_DIR).glob("*")}
    before = [r for r in shipped.glob("*") if r.name not in ours] if shipped.exists() else []
    return sorted([*before, *ours.values()], key=lambda reading: reading.name)


def _comparison(compare: RunPaths | None) -> dict[str, Any] | None:
    if compare is None:
        return None
    path = compare.evaluation / METRICS_FILE
    if not path.exists():
        raise ExportError(f"{path} is missing: the run to compare with has no figures yet")
    run = json.loads((compare.root / "run.json").read_text("utf-8"))
    timings_path = compare.root / "timings.json"
    timings = json.loads(timings_path.read_text("utf-8")) if timings_path.exists() else {}
    return {"name": run["name"], "metrics": json.loads(path.read_text("utf-8")), "timings": timings}
