"""Legibility: which objects a prompt names, the words a model knows, and the judge's scores."""

from pathlib import Path

import numpy as np

from generator.legibility import (
    LegibilityJudge,
    legibility_scores,
    named_counts,
    named_objects,
    read_vocabulary,
    unknown_words,
)
from generator.training.objects import objects_by_noun
from generator.training.splits import draw_sample

NOUNS = {
    noun: objects_by_noun()[noun].plural
    for noun in ("penguin", "sailboat", "fish", "tropical fish", "mouse", "cactus", "dog")
}


def test_a_prompt_names_objects_singular_or_plural_in_its_order():
    assert named_objects("two small penguins to the left of a sailboat on a beach", NOUNS) == [
        "penguin",
        "sailboat",
    ]
    assert named_objects("A tropical fish underwater", NOUNS) == ["tropical fish"]
    assert named_objects("three tropical fish next to a fish", NOUNS) == ["tropical fish", "fish"]
    assert named_objects("two mice and three cacti", NOUNS) == ["mouse", "cactus"]
    assert named_objects("a hotdog stand", NOUNS) == []  # whole words only


def test_unknown_words_are_named_once_in_order():
    vocabulary = frozenset({"a", "dog", "on", "the", "grass"})
    assert unknown_words("A dog on the lawn, a teepee on the lawn", vocabulary) == [
        "lawn",
        "teepee",
    ]
    assert unknown_words("a dog on the grass", vocabulary) == []


def test_a_model_without_recogniser_or_vocabulary_has_no_judge(tmp_path: Path):
    assert LegibilityJudge.for_model(tmp_path) is None
    assert read_vocabulary(tmp_path) is None


def test_the_judge_scores_each_picture_for_the_named_objects_only(tiny_model_dir: Path):
    judge = LegibilityJudge.for_model(tiny_model_dir)
    assert judge is not None
    pictures = np.stack([draw_sample(seed, "heldout", 32).image for seed in range(3)])
    scores = judge.score("a dog next to a cat on the grass", pictures)
    assert scores is not None and len(scores) == 3
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert judge.score("a teepee on the lawn", pictures) is None
    vocabulary = read_vocabulary(tiny_model_dir)
    assert vocabulary is not None and {"penguins", "beach", "above"} <= vocabulary


def test_a_prompt_says_how_many_of_each_object_or_not():
    assert named_counts("three small jellyfish underwater", {"jellyfish": "jellyfish"}) == [
        ("jellyfish", 3)
    ]
    assert named_counts("a dog next to two small mice", NOUNS) == [("dog", 1), ("mouse", 2)]
    assert named_counts("grapes and a big cactus", {"grapes": "grapes", "cactus": "cacti"}) == [
        ("grapes", None),
        ("cactus", 1),
    ]
    assert named_counts("penguins on a beach", NOUNS) == [("penguin", None)]


def test_a_picture_with_the_wrong_number_is_not_legible():
    # Two pictures, two objects (rows 0 and 1), counts 0..3: the first picture shows two of
    # object 0 and one of object 1, the second three of object 0 and one of object 1.
    probs = np.zeros((2, 2, 4))
    probs[0, 0, 2] = probs[1, 0, 3] = 1.0
    probs[:, 1, 1] = 1.0
    three_and_one = legibility_scores(probs, [0, 1], [3, 1])
    assert three_and_one == [0.5, 1.0]  # two jellyfish for "three" count against the first
    assert legibility_scores(probs, [0, 1], [None, 1]) == [1.0, 1.0]  # no number said: present
    assert legibility_scores(probs, [1], [2]) == [0.0, 0.0]
