"""The tuned top layers of the scorer's model: saved small, laid over the packaged model.

Only the top `layers` of the six transformer layers are tuned (game.scoring.tuning.train); they are
shipped in `game/scoring/scorer_tuning/` as float16 safetensors (3.4 MiB a layer) with a note of the
model they were tuned from. `tuned_model_dir` writes, once, a complete model directory: the
packaged files with those layers in place, named by a fingerprint of both, which the scorer
then loads like any other (torch or ONNX). A tuning made from another model is refused by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "scorer_tuning"
WEIGHTS_FILE = "layers.safetensors"
NOTE_FILE = "tuning.json"
MODEL_FILE = "model.safetensors"


class TuningError(ValueError):
    """Tuned layers that cannot be laid over the model at hand."""


class MadeFromAnotherModel(TuningError):
    """Tuned layers made from another model than the one at hand (not broken, just not ours)."""


def layer_prefixes(layers: list[int]) -> tuple[str, ...]:
    return tuple(f"encoder.layer.{i}." for i in layers)


def model_fingerprint(model_dir: Path) -> str:
    """The packaged weights' identity: a SHA-256 of model.safetensors, first 16 digits."""
    digest = hashlib.sha256()
    with (model_dir / MODEL_FILE).open("rb") as weights:
        for block in iter(lambda: weights.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def save(tuning_dir: Path, tensors: Mapping[str, np.ndarray], note: dict[str, Any]) -> None:
    """Writes the tuned layers (as float16) and the note, each file atomically."""
    from safetensors.numpy import save_file

    tuning_dir.mkdir(parents=True, exist_ok=True)
    half = {name: np.ascontiguousarray(t, dtype=np.float16) for name, t in tensors.items()}
    _atomic(tuning_dir / WEIGHTS_FILE, lambda path: save_file(half, str(path)))
    _atomic(
        tuning_dir / NOTE_FILE,
        lambda path: path.write_text(json.dumps(note, indent=2, sort_keys=True) + "\n"),
    )


def read_note(tuning_dir: Path) -> dict[str, Any]:
    path = tuning_dir / NOTE_FILE
    try:
        note = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise TuningError(f"cannot read the scorer tuning note {path}: {error}") from error
    if not isinstance(note, dict) or "base_fingerprint" not in note or "layers" not in note:
        raise TuningError(f"{path} is not a scorer tuning note (no base_fingerprint or layers)")
    return note


def tuned_model_dir(base_dir: Path, tuning_dir: Path, cache_root: Path) -> Path:
    """A model directory holding `base_dir`'s model with `tuning_dir`'s layers, written into
    `cache_root` the first time and reused after."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file, save_file

    note = read_note(tuning_dir)
    base = model_fingerprint(base_dir)
    if note["base_fingerprint"] != base:
        raise MadeFromAnotherModel(
            f"the scorer tuning in {tuning_dir} was made from model {note['base_fingerprint']}, "
            f"not the model in {base_dir} ({base}): tune again (python manage.py tune_scorer) "
            "or turn tuning off (SIXFOLD_SCORER_TUNED=0)"
        )
    weights_path = tuning_dir / WEIGHTS_FILE
    layers_digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()[:16]
    target = cache_root / f"tuned-{base}-{layers_digest}"
    if (target / MODEL_FILE).is_file():
        return target
    try:
        tuned = load_file(str(weights_path))
    except (OSError, SafetensorError) as error:
        raise TuningError(f"cannot read the tuned layers {weights_path}: {error}") from error
    weights = load_file(str(base_dir / MODEL_FILE))
    expected = {n for n in weights if n.startswith(layer_prefixes(note["layers"]))}
    if set(tuned) != expected:
        raise TuningError(
            f"{weights_path} does not hold exactly layers {note['layers']} of the model "
            f"({len(set(tuned) ^ expected)} tensors differ)"
        )
    for name, tensor in tuned.items():
        if tensor.shape != weights[name].shape:
            raise TuningError(f"{weights_path}: {name} has shape {tensor.shape}")
        weights[name] = tensor.astype(weights[name].dtype)
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tuned-", dir=cache_root))
    try:
        shutil.copytree(base_dir, staging, dirs_exist_ok=True)
        save_file(weights, str(staging / MODEL_FILE), metadata={"format": "pt"})
        os.replace(staging, target)  # another process may have won: its copy is the same
    except OSError:
        if not (target / MODEL_FILE).is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _atomic(path: Path, write: Any) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    os.replace(temporary, path)
