"""Starting a run from a shipped model: its parts become the run's finished stages.

`python -m generator.training adopt --out DIR --from MODEL` copies MODEL's VQGAN, DalleBart,
CLIP and recogniser into DIR as if DIR had trained them, so that later steps (the recogniser's
robustness phase, assemble, evaluate, export) can build on a model trained elsewhere, e.g. on a
GPU whose run directory is not on this machine. Each adopted stage carries `adopted.json` naming its
source, and the source's `history.json` (every run that trained it) becomes the run's, to which
`export` adds the run itself.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from generator.pipeline import MODEL_INFO_FILE
from generator.training.paths import PARTS, RunPaths

ADOPTED_FILE = "adopted.json"
# Every run that trained a shipped model (`generator.training.history`, which reads it).
HISTORY_FILE = "history.json"


class AdoptError(RuntimeError):
    """The source is not a complete shipped model."""


def adopted_from(stage: Path) -> dict[str, Any] | None:
    """The record of an adopted stage (None when the stage was trained in this run)."""
    path = stage / ADOPTED_FILE
    return json.loads(path.read_text("utf-8")) if path.exists() else None


def adopt_model(paths: RunPaths, source: Path) -> None:
    """Copy `source`'s parts into the run's stages; stages adopted before are left alone."""
    missing = [name for name in PARTS if not (source / name / "config.json").exists()]
    if missing:
        raise AdoptError(f"{source} is not a shipped model: it has no {', '.join(missing)}")
    info_path = source / MODEL_INFO_FILE
    info = json.loads(info_path.read_text("utf-8")) if info_path.exists() else {}
    name = str(info.get("name", source.name))
    for stage_name in PARTS:
        stage = getattr(paths, stage_name)
        if adopted_from(stage) is not None:
            continue
        if paths.trained(stage).exists():
            raise AdoptError(f"{stage} holds a stage trained in this run; adopt into a new --out")
        shutil.copytree(source / stage_name, paths.trained(stage))
        curve = source / "training" / f"{stage_name}_loss.png"
        if curve.exists():
            shutil.copyfile(curve, stage / "loss.png")
        record = {"source": str(source), "name": name}
        (stage / ADOPTED_FILE).write_text(json.dumps(record) + "\n", "utf-8")
    preview = source / "training" / "scenes.png"
    if preview.exists():
        paths.scenes.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(preview, paths.scenes / "preview.png")
    history = source / HISTORY_FILE
    if history.exists():
        shutil.copyfile(history, paths.root / HISTORY_FILE)


def shown_path(path: Path) -> str:
    """A path as the card shows it: relative to the working directory when inside it, so that
    no machine's own folders end up in a shipped file."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
