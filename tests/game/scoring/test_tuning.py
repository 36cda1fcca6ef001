"""Tuning the scorer model (game.scoring.tuning): the captions it learns from, the shipped layers,
and
a short real run that stops and goes on."""

from __future__ import annotations

import itertools
import json
import random
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from game.scoring import scorer as scoring
from game.scoring.embedder import ScorerConfigError, default_model_path
from game.scoring.lexicon import Lexicon, get_lexicon
from game.scoring.scorer import Scorer
from game.scoring.tuning import layers
from game.scoring.tuning.scenes import Scene, Vocabulary, random_scene, render
from game.scoring.tuning.train import TuningSettings, tune
from game.scoring.tuning.triples import WordSource, other_picture, paraphrase, triples


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    found = get_lexicon()
    assert found is not None
    return found


def test_a_scene_reads_as_a_prompt() -> None:
    scene = Scene(
        "boat",
        count=2,
        attribute="material",
        adjective="wooden",
        relation="next to",
        second="lighthouse",
        place="harbour",
    )
    assert render(scene) == "two wooden boats next to a lighthouse in the harbour"
    made = Scene(
        "chair",
        attribute="material",
        adjective="wooden",
        made_of=True,
        place="kitchen",
        place_words=("in", "a"),
    )
    assert render(made) == "a chair made of wood in a kitchen"
    assert render(Scene("owl", action="sleeping")) == "an owl sleeping"


@pytest.mark.wordnet
def test_the_vocabulary_comes_from_wordnet_by_rule(lexicon: Lexicon) -> None:
    vocabulary = Vocabulary.from_wordnet(lexicon.wn)
    assert {"dog", "horse"} <= set(vocabulary.actors)
    assert {"beach", "river"} <= set(vocabulary.places)
    assert len(vocabulary.things) > 100
    # Only words whose first meaning is in the category: a case is first an occurrence, a
    # pitch a property of sound.
    assert "case" not in vocabulary.things and "pitch" not in vocabulary.places


@pytest.mark.wordnet
def test_a_paraphrase_keeps_the_picture_and_the_other_changes_one_thing(lexicon: Lexicon) -> None:
    words = WordSource(lexicon)
    vocabulary = Vocabulary.from_wordnet(lexicon.wn)
    scene = Scene("car", attribute="size", adjective="big", place="city")
    said_otherwise = {
        render(s)
        for seed in range(30)
        if (s := paraphrase(scene, words, random.Random(seed))) is not None
    }
    assert "a big automobile in the city" in said_otherwise or any(
        "large car" in text or "huge car" in text for text in said_otherwise
    )
    for seed in range(30):
        other = other_picture(scene, vocabulary, words, random.Random(seed))
        assert other is not None and other != scene
        changed = [
            f
            for f in ("main", "adjective", "place", "count")
            if getattr(other, f) != getattr(scene, f)
        ]
        assert 1 <= len(changed) <= 2  # a count of two drops "big": one change a player sees


@pytest.mark.wordnet
def test_the_triples_are_the_same_for_a_seed_and_all_distinct(lexicon: Lexicon) -> None:
    first = list(itertools.islice(triples(lexicon, seed=3), 40))
    again = list(itertools.islice(triples(lexicon, seed=3), 40))
    other = list(itertools.islice(triples(lexicon, seed=4), 40))
    assert first == again and first != other
    assert all(len(set(t)) == 3 for t in first)
    rng = random.Random(0)
    vocabulary = Vocabulary.from_wordnet(lexicon.wn)
    assert render(random_scene(vocabulary, rng))  # any scene renders


def fake_model(folder: Path, value: float = 0.0) -> Path:
    """A model directory with two tiny layers, enough for laying tuned layers over it."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tensors = {
        f"encoder.layer.{i}.{name}": np.full((2, 2), value + i, np.float32)
        for i in range(2)
        for name in ("dense.weight", "dense.bias")
    }
    tensors["embeddings.word_embeddings.weight"] = np.zeros((4, 2), np.float32)
    save_file(tensors, str(folder / layers.MODEL_FILE))
    (folder / "config.json").write_text("{}")
    return folder


def test_tuned_layers_are_laid_over_their_model_once(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    base = fake_model(tmp_path / "base")
    tuned = {f"encoder.layer.1.{n}": np.full((2, 2), 7.0) for n in ("dense.weight", "dense.bias")}
    note = {"base_fingerprint": layers.model_fingerprint(base), "layers": [1]}
    layers.save(tmp_path / "tuning", tuned, note)
    target = layers.tuned_model_dir(base, tmp_path / "tuning", tmp_path / "cache")
    merged = load_file(str(target / layers.MODEL_FILE))
    assert merged["encoder.layer.1.dense.weight"].tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert merged["encoder.layer.0.dense.weight"].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert merged["encoder.layer.1.dense.weight"].dtype == np.float32
    assert (target / "config.json").is_file()
    written = (target / layers.MODEL_FILE).stat().st_mtime_ns
    assert layers.tuned_model_dir(base, tmp_path / "tuning", tmp_path / "cache") == target
    assert (target / layers.MODEL_FILE).stat().st_mtime_ns == written  # made once


def test_tuned_layers_of_another_model_or_a_broken_file_are_refused(tmp_path: Path) -> None:
    base = fake_model(tmp_path / "base")
    other = fake_model(tmp_path / "other", value=1.0)
    tuned = {f"encoder.layer.1.{n}": np.ones((2, 2)) for n in ("dense.weight", "dense.bias")}
    layers.save(
        tmp_path / "tuning",
        tuned,
        {"base_fingerprint": layers.model_fingerprint(other), "layers": [1]},
    )
    with pytest.raises(layers.MadeFromAnotherModel, match=r"made from model .* not the model in"):
        layers.tuned_model_dir(base, tmp_path / "tuning", tmp_path / "cache")
    layers.save(
        tmp_path / "tuning",
        tuned,
        {"base_fingerprint": layers.model_fingerprint(base), "layers": [0, 1]},
    )
    with pytest.raises(layers.TuningError, match="does not hold exactly layers"):
        layers.tuned_model_dir(base, tmp_path / "tuning", tmp_path / "cache")
    (tmp_path / "tuning" / layers.WEIGHTS_FILE).write_bytes(b"not safetensors")
    with pytest.raises(layers.TuningError, match="cannot read the tuned layers"):
        layers.tuned_model_dir(base, tmp_path / "tuning", tmp_path / "cache")
    (tmp_path / "tuning" / layers.NOTE_FILE).write_text("[]")
    with pytest.raises(layers.TuningError, match="is not a scorer tuning note"):
        layers.tuned_model_dir(base, tmp_path / "tuning", tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_a_scorer_embeds_sentences_and_words_with_its_two_models() -> None:
    class Counting:
        """Unit vectors by a hash of each text; remembers what it was asked to embed."""

        def __init__(self) -> None:
            self.seen: list[str] = []

        def encode(self, texts: Sequence[str]) -> np.ndarray:
            self.seen += texts
            rows = np.zeros((len(texts), 64), np.float32)
            for row, text in enumerate(texts):
                rows[row, zlib.crc32(text.encode()) % 64] = 1.0
            return rows

    words, sentences = Counting(), Counting()
    scorer = Scorer(words, lexicon=None, sentence_embedder=sentences)
    scorer.score("a red car", "a blue car")
    assert sorted(sentences.seen) == ["a blue car", "a red car"]
    assert sorted(words.seen) == ["blue", "car", "red"]
    assert scorer.model_name == "Counting"  # one class; a tuned model is named apart
    one = Counting()
    Scorer(one, lexicon=None).score("a red car", "a blue car")
    assert len(one.seen) == 5  # one model: one call for all


def test_a_model_the_shipped_tuning_was_not_made_from_is_scored_untuned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = fake_model(tmp_path / "other")
    assert scoring.tuned_model_path(other, tmp_path / "export") is None
    assert "scored untuned" in caplog.text


@pytest.mark.real_scorer
@pytest.mark.wordnet
def test_a_short_tuning_run_stops_goes_on_and_ships_its_layers(
    tmp_path: Path, lexicon: Lexicon
) -> None:
    settings = TuningSettings(steps=4, batch=2, layers=1, save_every=2)
    seen: list[int] = []

    def stop_after_three(step: int, total: int, loss: float) -> None:
        seen.append(step)
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tune(
            default_model_path(),
            tmp_path / "out",
            tmp_path / "work",
            settings,
            lexicon,
            progress=stop_after_three,
        )
    assert (tmp_path / "work" / "state.pt").is_file() and not (tmp_path / "out").exists()
    seen.clear()
    note = tune(
        default_model_path(),
        tmp_path / "out",
        tmp_path / "work",
        settings,
        lexicon,
        progress=lambda step, total, loss: seen.append(step),
    )
    assert seen == [3, 4]  # went on from the state saved at step 2
    assert note["layers"] == [5]
    assert json.loads((tmp_path / "out" / layers.NOTE_FILE).read_text())["layers"] == [5]
    assert not (tmp_path / "work" / "state.pt").exists()
    model = layers.tuned_model_dir(default_model_path(), tmp_path / "out", tmp_path / "cache")
    from game.scoring.embedder import SentenceTransformerEmbedder

    vectors = SentenceTransformerEmbedder(model, threads=1).encode(["a dog", "a puppy"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_a_broken_shipped_tuning_is_a_clear_scorer_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = fake_model(tmp_path / "base")
    shipped = tmp_path / "shipped"
    layers.save(
        shipped,
        {"encoder.layer.1.dense.weight": np.ones((2, 2))},
        {"base_fingerprint": layers.model_fingerprint(base), "layers": [1]},
    )
    monkeypatch.setattr(layers, "SHIPPED_DIR", shipped)
    with pytest.raises(ScorerConfigError, match="does not hold exactly layers"):
        scoring.tuned_model_path(base, tmp_path / "export")
