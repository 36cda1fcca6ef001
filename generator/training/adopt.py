"""Starting a run from a shipped model: its parts become the run's finished stages.

`python -m generator.training adopt --out DIR --from MODEL` copies MODEL's VQGAN, DalleBart,
CLIP and recogniser into DIR as if DIR had trained them, so that later steps (the recogniser's
robustness phase, assemble, evaluate, export) can build on a model trained elsewhere, e.g. on a
GPU whose run directory is not on this machine. Each adopted stage carries `adopted.json` naming its
source; the run's `PROVENANCE.md` says what was adopted and keeps the source card's account of
how those parts were trained, which the new model card shows as written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from generator.pipeline import MODEL_INFO_FILE
from generator.training.paths import PARTS, PROVENANCE_FILE, RunPaths

ADOPTED_FILE = "adopted.json"
CARD_FILE = "MODEL_CARD.md"


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
    _write_provenance(paths, source, name)


def _write_provenance(paths: RunPaths, source: Path, name: str) -> None:
    card_path = source / CARD_FILE
    card = card_path.read_text("utf-8") if card_path.exists() else ""
    account = _section(card, "# ", "## Data") or "(the source model has no model card)"
    parts = _section(card, "## Models", "## Figures")
    shown = shown_path(source)
    text = (
        f"This run started from the shipped model `{name}` (`python -m generator.training adopt "
        f"--from {shown}`): its VQGAN, DalleBart, CLIP and recogniser are that model's, and "
        "the steps after `adopt` above trained further here (the parts table says which). What "
        "its card said of how they were trained:\n\n"
        + "\n".join("> " + line if line else ">" for line in account.strip().splitlines())
        + ("\n>\n" + "\n".join("> " + line for line in parts.strip().splitlines()) if parts else "")
        + "\n"
    )
    (paths.root / PROVENANCE_FILE).write_text(text, "utf-8")


def shown_path(path: Path) -> str:
    """A path as the card shows it: relative to the working directory when inside it, so that
    no machine's own folders end up in a shipped file."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _section(text: str, start: str, end: str) -> str:
    """The lines of `text` from the one starting with `start` up to the one starting with `end`."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith(start)), None)
    if first is None:
        return ""
    last = next((i for i in range(first + 1, len(lines)) if lines[i].startswith(end)), len(lines))
    return "\n".join(lines[first:last])
