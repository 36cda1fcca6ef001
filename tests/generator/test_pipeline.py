"""The Generator on a tiny random-weight model: ranked pictures, seeds, progress, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from generator import pipeline
from generator.checkpoint import CheckpointError
from generator.pipeline import Generator
from generator.sampler import SamplingConfig
from generator.testing import TINY_IMAGE_SIZE, write_tiny_model
from generator.text import normalize_text

PROMPT = "A red apple on a table! #sunsetbeach"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("tiny"), seed=0)


@pytest.fixture(scope="module")
def generator(model_dir: Path) -> Generator:
    return Generator(model_dir, batch_size=2)


def pixels(candidates) -> list[bytes]:
    return [np.asarray(c.image).tobytes() for c in candidates]


def test_it_returns_every_candidate_ranked_and_keeps_the_best(generator: Generator) -> None:
    result = generator.generate(PROMPT, candidates=5, keep=3, seed=7)
    assert len(result.candidates) == 5
    assert result.kept == result.candidates[:3]
    assert sorted(c.seed for c in result.candidates) == [7, 8, 9, 10, 11]
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
    for candidate in result.candidates:
        assert candidate.image.size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)
        assert candidate.image.mode == "RGB"
    assert result.model_name == "tiny-random-0"
    assert len(set(pixels(result.candidates))) == 5  # each seed draws its own picture


def test_the_same_seed_draws_the_same_pictures(generator: Generator) -> None:
    first = generator.generate(PROMPT, candidates=3, keep=2, seed=11)
    second = generator.generate(PROMPT, candidates=3, keep=2, seed=11)
    assert pixels(first.candidates) == pixels(second.candidates)
    assert [c.score for c in first.candidates] == [c.score for c in second.candidates]
    other = generator.generate(PROMPT, candidates=3, keep=2, seed=14)
    assert set(pixels(other.candidates)).isdisjoint(pixels(first.candidates))


def test_a_seed_draws_the_same_picture_whatever_the_batch(generator: Generator) -> None:
    one_by_one = Generator.from_parts(
        generator.bart,
        generator.vqgan,
        generator.clip,
        generator.bart_tokenizer,
        generator.word_frequencies,
        batch_size=1,
    )
    in_pairs = generator.generate(PROMPT, 3, 3, seed=3)  # batch_size 2
    by_seed = {c.seed: np.asarray(c.image).tobytes() for c in in_pairs.candidates}
    for candidate in one_by_one.generate(PROMPT, 3, 3, seed=3).candidates:
        assert np.asarray(candidate.image).tobytes() == by_seed[candidate.seed]


def test_progress_moves_through_every_stage_in_batches(generator: Generator) -> None:
    calls: list[tuple[str, int, int]] = []
    generator.generate(PROMPT, candidates=5, keep=2, seed=0, progress=lambda *a: calls.append(a))
    stages = [stage for stage, _, _ in calls]
    # The fixture model carries a recogniser, so each picture is judged for legibility last.
    assert list(dict.fromkeys(stages)) == ["encode", "sample", "decode", "rank", "judge"]
    samples = [(done, total) for stage, done, total in calls if stage == "sample"]
    assert samples == [(0, 5), (2, 5), (4, 5), (5, 5)]  # batch_size 2
    for stage in ("encode", "decode", "rank", "judge"):
        done, total = next((d, t) for s, d, t in reversed(calls) if s == stage)
        assert done == total


def test_dalle_bart_reads_the_normalised_prompt_and_clip_the_raw_one(
    generator: Generator, model_dir: Path
) -> None:
    result = generator.generate(PROMPT, candidates=2, keep=1, seed=5)
    # The model's own word list (5000 words, no "sunset") splits the hashtag, not the built-in one.
    word_list = model_dir / "dalle_bart" / "enwiki-words-frequency.txt"
    assert (
        result.text == normalize_text(PROMPT, word_list) == " a red apple on a table, sun set beach"
    )
    assert normalize_text(PROMPT) == " a red apple on a table, sunset beach"
    best = result.candidates[0]
    raw = generator.clip.score([PROMPT], [best.image])[0, 0]
    normalised = generator.clip.score([result.text], [best.image])[0, 0]
    assert best.score == pytest.approx(float(raw), rel=1e-5)
    assert raw != pytest.approx(float(normalised), rel=1e-5)


def test_sampling_settings_change_the_pictures(generator: Generator) -> None:
    default = generator.generate(PROMPT, candidates=2, keep=1, seed=1)
    greedy = generator.generate(PROMPT, 2, 1, seed=1, sampling=SamplingConfig(top_k=1))
    assert greedy.sampling.top_k == 1
    assert set(pixels(default.candidates)) != set(pixels(greedy.candidates))
    # top-1 sampling leaves nothing to chance: both seeds draw the same picture
    assert len(set(pixels(greedy.candidates))) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prompt": "  "}, "prompt is empty"),
        ({"candidates": 0}, "candidates must be a positive integer"),
        ({"candidates": 3, "keep": 4}, "keep must be between 1 and candidates=3"),
        ({"seed": -1}, "seed must be an integer"),
    ],
)
def test_bad_requests_are_refused(generator: Generator, kwargs: dict, message: str) -> None:
    request = {"prompt": PROMPT, "candidates": 3, "keep": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        generator.generate(**request)


def test_missing_built_in_weights_say_how_to_pass_a_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "DEFAULT_MODEL_DIR", tmp_path / "weights" / "default")
    with pytest.raises(CheckpointError, match="built-in weights are not installed") as error:
        Generator()
    assert "--model-dir" in str(error.value)
    assert "SIXFOLD_MODEL_DIR" in str(error.value)


def test_a_hub_name_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match="local directories only"):
        Generator("dalle-mini/dalle-mega")


def test_a_directory_missing_a_model_names_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "dalle_bart").mkdir()
    with pytest.raises(CheckpointError, match=r"missing vqgan/, clip/"):
        Generator(tmp_path)


def test_a_truncated_checkpoint_is_reported_with_its_file(model_dir: Path, tmp_path: Path) -> None:
    broken = Path(shutil.copytree(model_dir, tmp_path / "broken"))
    weights = broken / "vqgan" / "flax_model.msgpack"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated") as error:
        Generator(broken)
    assert str(weights) in str(error.value)


def test_the_model_name_falls_back_to_the_directory_name(model_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(model_dir, tmp_path / "my-model"))
    (copy / "model.json").unlink()
    assert Generator(copy).model_name == "my-model"


def _with_model_json(model_dir: Path, tmp_path: Path, info: object) -> Path:
    copy = Path(shutil.copytree(model_dir, tmp_path / "model"))
    (copy / "model.json").write_text(json.dumps(info), encoding="utf-8")
    return copy


def test_a_model_draws_with_its_own_sampling_defaults(model_dir: Path, tmp_path: Path) -> None:
    copy = _with_model_json(model_dir, tmp_path, {"name": "m", "sampling": {"condition_scale": 3}})
    own = Generator(copy, batch_size=2)
    result = own.generate(PROMPT, candidates=2, keep=1, seed=1)
    assert result.sampling == SamplingConfig(condition_scale=3.0)
    # The same pictures as asking for that scale explicitly, and unlike the library default.
    plain = Generator(model_dir, batch_size=2)
    asked = plain.generate(PROMPT, 2, 1, seed=1, sampling=SamplingConfig(condition_scale=3.0))
    default = plain.generate(PROMPT, 2, 1, seed=1)
    assert pixels(result.candidates) == pixels(asked.candidates)
    assert pixels(result.candidates) != pixels(default.candidates)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"sampling": {"condition_scale": "high"}}, "sampling"),
        ({"sampling": {"temperature": 0}}, "temperature must be a positive number"),
        ({"sampling": {"beam_width": 4}}, "'sampling' must be an object with some of"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_bad_sampling_defaults_in_model_json_are_named(
    model_dir: Path, tmp_path: Path, info: object, message: str
) -> None:
    copy = _with_model_json(model_dir, tmp_path, info)
    with pytest.raises(CheckpointError, match=message) as error:
        Generator(copy)
    assert "model.json" in str(error.value)
