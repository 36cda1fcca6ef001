"""The built-in model in generator/weights/default/ loads and draws a puzzle on the CPU."""

from pathlib import Path

import numpy as np
import pytest

from generator.training.export import MAX_BYTES, weights_bytes

WEIGHTS = Path(__file__).resolve().parents[3] / "generator" / "weights" / "default"


@pytest.fixture(scope="module")
def generator():
    # The weights are part of the repository: their absence is a broken checkout, not a skip.
    assert (WEIGHTS / "dalle_bart").is_dir(), (
        f"the built-in weights are missing ({WEIGHTS / 'dalle_bart'}): the checkout is broken"
    )
    from generator.pipeline import Generator

    return Generator()


def test_the_shipped_weights_fit_the_budget(generator):
    assert weights_bytes(WEIGHTS) <= MAX_BYTES


def test_the_shipped_weights_draw_six_pictures_for_a_prompt(generator):
    result = generator.generate(
        "two small penguins to the left of a sailboat on a beach", candidates=6, keep=6, seed=0
    )
    assert len(result.kept) == 6
    for candidate in result.kept:
        assert candidate.image.size[0] >= 64 and candidate.image.size[1] >= 64
    assert len({candidate.image.tobytes() for candidate in result.kept}) == 6


def test_the_shipped_recogniser_reads_real_scenes_and_rejects_noise(generator):
    from generator.legibility import LegibilityJudge
    from generator.training.splits import draw_sample

    judge = LegibilityJudge.for_model(WEIGHTS)
    assert judge is not None
    samples = [draw_sample(seed, "heldout", 64) for seed in range(40)]
    scores = [judge.score(s.caption, [s.image])[0] for s in samples]
    assert np.mean(scores) > 0.8
    noise = np.random.default_rng(0).integers(0, 256, (40, 64, 64, 3), dtype=np.uint8)
    noise_scores = [judge.score(s.caption, [n])[0] for s, n in zip(samples, noise, strict=True)]
    assert np.mean(noise_scores) < 0.2


def test_the_shipped_weights_say_how_legible_each_picture_is(generator):
    result = generator.generate("an apple on a blue background", candidates=4, keep=2, seed=0)
    assert all(0.0 <= c.legibility <= 1.0 for c in result.candidates)


def test_the_curators_hint_counts_against_a_picture_with_the_wrong_number(generator):
    from generator.legibility import LegibilityJudge
    from generator.training.captions import Phrase, SceneSpec
    from generator.training.scenes import render_scene

    judge = LegibilityJudge.for_model(WEIGHTS)
    assert judge is not None
    two = SceneSpec(Phrase("jellyfish", 2), "underwater")
    pictures = [render_scene(two, np.random.default_rng(seed), 64) for seed in range(6)]
    right = judge.score("two jellyfish underwater", pictures)
    wrong = judge.score("three jellyfish underwater", pictures)
    assert right is not None and wrong is not None
    assert np.mean(right) > 0.7 and np.mean(wrong) < 0.3


def test_the_shipped_vocabulary_is_what_the_grammar_writes():
    from generator.training.captions import vocabulary

    shipped = (WEIGHTS / "vocabulary.txt").read_text("utf-8").split()
    assert shipped == vocabulary()
    assert "cherrieses" not in shipped and "cherries" in shipped
