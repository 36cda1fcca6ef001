"""How legible a picture is for its prompt, as the built-in model's recogniser reads it.

Only a model directory with a `recogniser/` (the built-in emoji model) has a judge; for a real
DALL·E Mini checkpoint there is none and every answer is None. A picture's legibility is the mean,
over the prompt's objects the recogniser knows, of the probability that the picture shows the
object: 1.0 = every named object is plainly there. A prompt naming none of them gets None.

`vocabulary.txt` beside the model lists the words it was trained on; `unknown_words` names the
words of a prompt outside it (such a word draws vague shapes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

RECOGNISER_DIR = "recogniser"
VOCABULARY_FILE = "vocabulary.txt"
_WORD = re.compile(r"[a-z]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@cache
def _plural_forms() -> dict[str, str]:
    """Noun -> plural of the training object table (irregular plurals: mice, sheep, fish)."""
    from generator.training.objects import default_objects

    return {item.noun: item.plural for item in default_objects()}


def named_objects(prompt: str, nouns: Sequence[str]) -> list[str]:
    """The nouns (of `nouns`) a prompt names, singular or plural, in the prompt's order.

    Longer names match first, so "tropical fish" is not also counted as "fish".
    """
    text = " " + " ".join(words(prompt)) + " "
    plurals = _plural_forms()
    forms = [(form, noun) for noun in nouns for form in (noun, plurals.get(noun, noun + "s"))]
    found: dict[str, int] = {}
    for form, noun in sorted(forms, key=lambda pair: -len(pair[0])):
        marker = f" {form} "
        at = text.find(marker)
        while at >= 0:
            found.setdefault(noun, at)
            text = text[: at + 1] + "|" * len(form) + text[at + 1 + len(form) :]
            at = text.find(marker)
    return sorted(found, key=found.__getitem__)


class LegibilityJudge:
    """The recogniser of a model directory, applied to a prompt's pictures."""

    def __init__(self, recogniser: Any) -> None:
        self.recogniser = recogniser

    @classmethod
    def for_model(cls, model_dir: Path) -> LegibilityJudge | None:
        """The judge of a model directory, or None when it ships no recogniser."""
        directory = Path(model_dir) / RECOGNISER_DIR
        if not directory.is_dir():
            return None
        from generator.training.recogniser import load_recogniser

        return cls(load_recogniser(directory))

    def score(self, prompt: str, images: Sequence[Any] | np.ndarray) -> list[float] | None:
        """Per picture, the mean presence of the prompt's objects; None if it names none."""
        named = named_objects(prompt, self.recogniser.config.objects)
        if not named or not len(images):
            return None
        seen = self.recogniser.recognise(images)
        rows = [self.recogniser.object_index[noun] for noun in named]
        return [float(value) for value in np.mean(seen.presence[:, rows], axis=1)]


def read_vocabulary(model_dir: Path) -> frozenset[str] | None:
    """The words a model was trained on, or None when it does not say (real checkpoints)."""
    path = Path(model_dir) / VOCABULARY_FILE
    if not path.is_file():
        return None
    return frozenset(path.read_text("utf-8").split())


def unknown_words(prompt: str, vocabulary: frozenset[str]) -> list[str]:
    """Words of the prompt the model never saw, in order, each once."""
    unknown: list[str] = []
    for word in words(prompt):
        if word not in vocabulary and word not in unknown:
            unknown.append(word)
    return unknown
