"""`python -m generator`: generate writes ranked PNGs and scores.json; info describes a model."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.checkpoint import flatten_params, read_params
from generator.cli import main
from generator.pipeline import Generator
from generator.sampler import SamplingConfig
from generator.testing import TINY_IMAGE_SIZE, write_tiny_model

PROMPT = "two blue boats at the beach"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("tiny"), seed=1)


def test_generate_writes_the_best_pictures_and_their_scores(
    model_dir: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "run"
    options = ["--candidates", "3", "--keep", "2", "--seed", "4", "--top-k", "20"]
    code = main(["generate", PROMPT, *options, "--out", str(out), "--model-dir", str(model_dir)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["01.png", "02.png", "scores.json"]
    report = json.loads((out / "scores.json").read_text())
    assert report["prompt"] == PROMPT
    assert report["model"] == "tiny-random-1"
    assert sorted(report["seeds"]) == [4, 5, 6]
    assert report["scores"] == sorted(report["scores"], reverse=True)
    assert [k["file"] for k in report["kept"]] == ["01.png", "02.png"]
    assert [k["seed"] for k in report["kept"]] == report["seeds"][:2]
    assert report["sampling"] == {
        "condition_scale": 10.0,
        "temperature": 1.0,
        "top_k": 20,
        "top_p": 1.0,
    }

    # The files are exactly what the library draws for those settings, best first.
    expected = Generator(model_dir).generate(
        PROMPT, 3, 2, seed=4, sampling=SamplingConfig(top_k=20)
    )
    for name, candidate in zip(["01.png", "02.png"], expected.kept, strict=True):
        with Image.open(out / name) as image:
            assert image.size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)
            np.testing.assert_array_equal(np.asarray(image), np.asarray(candidate.image))

    captured = capsys.readouterr()
    assert "sample" in captured.err and "100%" in captured.err  # tqdm progress bars
    assert "saved the best 2 of 3" in captured.out


def test_info_prints_each_models_config_and_parameter_count(model_dir: Path, capsys) -> None:
    assert main(["info", "--model-dir", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "tiny-random-1" in out
    total = 0
    for name in ("dalle_bart", "vqgan", "clip"):
        stored = read_params(model_dir / name / "flax_model.msgpack")
        count = sum(math.prod(np.shape(leaf)) for leaf in flatten_params(stored).values())
        total += count
        assert f"{name}/  {count:,} parameters" in out
    assert f"total: {total:,} parameters" in out
    assert "image_length: 64" in out  # config values are listed
    assert "n_embed: 64" in out


def test_info_reads_the_model_dir_from_the_environment(
    model_dir: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("SIXFOLD_MODEL_DIR", str(model_dir))
    assert main(["info"]) == 0
    assert "tiny-random-1" in capsys.readouterr().out


def error_line(capsys) -> str:
    """The one error line on stderr (a "loading models" notice may come before it)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    assert err.rstrip().endswith(errors[0])
    return errors[0]


def test_a_missing_model_dir_is_one_clear_line(tmp_path: Path, capsys) -> None:
    assert main(["info", "--model-dir", str(tmp_path / "nope")]) == 1
    assert "does not exist" in error_line(capsys)


def test_a_hub_name_is_one_clear_line(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(
        ["generate", PROMPT, "--out", str(tmp_path / "o"), "--model-dir", "dalle-mini/dalle-mini"]
    )
    assert code == 1
    assert "local directories only" in error_line(capsys)
    assert not (tmp_path / "o").exists()


def test_a_corrupt_checkpoint_is_one_clear_line(model_dir: Path, tmp_path: Path, capsys) -> None:
    broken = Path(shutil.copytree(model_dir, tmp_path / "broken"))
    weights = broken / "dalle_bart" / "flax_model.msgpack"
    weights.write_bytes(b"not a checkpoint")
    code = main(["generate", PROMPT, "--out", str(tmp_path / "o"), "--model-dir", str(broken)])
    assert code == 1
    line = error_line(capsys)
    assert str(weights) in line and "not a flax msgpack parameter file" in line


def test_keep_above_candidates_is_refused(model_dir: Path, tmp_path: Path, capsys) -> None:
    args = ["generate", PROMPT, "--candidates", "2", "--keep", "3", "--out", str(tmp_path)]
    assert main([*args, "--model-dir", str(model_dir)]) == 1
    assert "--keep 3 is more than --candidates 2" in error_line(capsys)


def test_python_m_generator_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "generator", "info", "--model-dir", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip() == f"error: model directory {str(tmp_path / 'absent')!r} does not exist"
    )
