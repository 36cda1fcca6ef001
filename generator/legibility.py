"""How legible a picture is for its prompt, as the built-in model's recogniser reads it.

Only a model directory with a `recogniser/` (the built-in emoji model) has a judge; for a real
DALL·E Mini checkpoint there is none and every answer is None. A picture's legibility is the mean,
over the prompt's objects the recogniser knows, of the probability that the picture shows the
object in the number the prompt says ("three jellyfish": exactly three; a number it does not say:
any): 1.0 = every named object is plainly there, as many as named. A prompt naming none of them
gets None. The recogniser is a classifier trained on real renders: it reads an object from its
colour and place more readily than a player does, so a high legibility is necessary for a picture
a player can name, not a promise of one (the model card's blind reading measures that).

`vocabulary.txt` beside the model lists the words it was trained on; `unknown_words` names the
words of a prompt outside it (such a word draws vague shapes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RECOGNISER_DIR = "recogniser"
VOCABULARY_FILE = "vocabulary.txt"
_WORD = re.compile(r"[a-z]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def named_objects(prompt: str, plurals: Mapping[str, str]) -> list[str]:
    """The nouns (the keys of `plurals`, noun -> plural) a prompt names, singular or plural, in
    the prompt's order. Longer names match first, so "tropical fish" is not also "fish".
    """
    return [noun for noun, _ in named_counts(prompt, plurals)]


COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
SIZE_WORDS = frozenset({"small", "big", "little", "tiny", "large", "huge"})


def named_counts(prompt: str, plurals: Mapping[str, str]) -> list[tuple[str, int | None]]:
    """The nouns a prompt names (keys of `plurals`), in its order, each with the number it
    says ("three small jellyfish": 3; "grapes": None, no number said)."""
    tokens = words(prompt)
    forms = [(form, noun) for noun, plural in plurals.items() for form in (noun, plural)]
    taken = [False] * len(tokens)
    found: dict[str, tuple[int, int | None]] = {}
    for form, noun in sorted(forms, key=lambda pair: -len(pair[0])):
        parts = form.split()
        for start in range(len(tokens) - len(parts) + 1):
            span = range(start, start + len(parts))
            if tokens[start : start + len(parts)] == parts and not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                found.setdefault(noun, (start, _count_before(tokens, start)))
    ordered = sorted(found.items(), key=lambda item: item[1][0])
    return [(noun, count) for noun, (_, count) in ordered]


def _count_before(tokens: list[str], start: int) -> int | None:
    """The number word before a noun, past one size word ("three small"), if there is one."""
    before = start - 1
    if before >= 0 and tokens[before] in SIZE_WORDS:
        before -= 1
    return COUNT_WORDS.get(tokens[before]) if before >= 0 else None


def legibility_scores(
    count_probs: np.ndarray, rows: Sequence[int], counts: Sequence[int | None]
) -> list[float]:
    """Per picture, the mean over the named objects (their rows of the recogniser's count
    probabilities [B, objects, counts]) of P(the said number), or of P(present) when the
    prompt says none."""
    columns = []
    for row, count in zip(rows, counts, strict=True):
        if count is not None and 0 < count < count_probs.shape[-1]:
            columns.append(count_probs[:, row, count])
        else:
            columns.append(1.0 - count_probs[:, row, 0])
    return [float(value) for value in np.mean(np.stack(columns, axis=1), axis=1)]


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
        from generator.recogniser import load_recogniser

        return cls(load_recogniser(directory))

    def score(self, prompt: str, images: Sequence[Any] | np.ndarray) -> list[float] | None:
        """Per picture, how plainly it shows the prompt's objects in the numbers the prompt
        says (`legibility_scores`); None if the prompt names none."""
        named = named_counts(prompt, self.recogniser.config.plural_forms())
        if not named or not len(images):
            return None
        seen = self.recogniser.recognise(images)
        rows = [self.recogniser.object_index[noun] for noun, _ in named]
        return legibility_scores(seen.count_probs, rows, [count for _, count in named])


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
