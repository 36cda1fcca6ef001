"""The scorer's sentence model in ONNX Runtime: the same vectors as torch, exported once and
reused, and torch again for a model of another shape."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from game.scoring import onnx_embedder
from game.scoring.embedder import (
    ScorerConfigError,
    SentenceTransformerEmbedder,
    default_model_path,
    load_embedder,
)
from game.scoring.onnx_embedder import OnnxEmbedder

pytestmark = pytest.mark.real_scorer

TEXTS = [
    "two small penguins to the left of a sailboat on a beach",
    "a dog",
    "A Teepee on the ICE!",
    "penguin",
    "a big red rocket above a full moon in outer space, drawn at night " * 3,  # long, padded
]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scorer-export")


def test_it_gives_the_vectors_torch_gives(export_dir: Path) -> None:
    path = default_model_path()
    embedder = OnnxEmbedder(path, export_dir)
    in_onnx = embedder.encode(TEXTS)
    in_torch = SentenceTransformerEmbedder(path, threads=1).encode(TEXTS)
    assert in_onnx.shape == in_torch.shape == (len(TEXTS), 384)
    assert np.abs(in_onnx - in_torch).max() < 1e-5
    assert np.allclose(np.linalg.norm(in_onnx, axis=1), 1.0, atol=1e-5)
    # A batch pads its texts: each vector is the one the text gets on its own.
    alone = np.stack([embedder.encode([text])[0] for text in TEXTS])
    assert np.abs(alone - in_onnx).max() < 1e-5


def test_it_exports_once_and_reuses_the_file(export_dir: Path) -> None:
    path = default_model_path()
    OnnxEmbedder(path, export_dir)
    (exported,) = export_dir.glob("*.onnx")
    written = exported.stat().st_mtime_ns
    OnnxEmbedder(path, export_dir)
    assert list(export_dir.glob("*.onnx")) == [exported]
    assert exported.stat().st_mtime_ns == written
    assert not list(export_dir.glob("*.part"))  # no half-written file left behind


def test_a_model_of_another_shape_runs_in_torch(tmp_path: Path, export_dir: Path) -> None:
    copy = tmp_path / "max-pooled"
    shutil.copytree(default_model_path(), copy)
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(config))
    assert onnx_embedder.supports(default_model_path())
    assert not onnx_embedder.supports(copy)
    assert isinstance(load_embedder(copy, export_dir=export_dir), SentenceTransformerEmbedder)
    assert isinstance(load_embedder(default_model_path(), export_dir=export_dir), OnnxEmbedder)
    assert isinstance(
        load_embedder(default_model_path(), runtime="torch"), SentenceTransformerEmbedder
    )
    with pytest.raises(ScorerConfigError, match="runtime 'tensorflow'"):
        load_embedder(default_model_path(), runtime="tensorflow")
