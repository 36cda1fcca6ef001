"""Random scene descriptions: which objects, how many, how big, where, in which setting.

At most four objects per scene, so that every object stays large enough to read at 64×64.
Place settings are drawn more often than each single colour background (65% places in all).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from generator.training.captions import COLOURS, PLACE_SETTINGS, RELATIONS, Phrase, SceneSpec
from generator.training.objects import objects_by_noun
from generator.training.scenes import readable_objects

TWO_PHRASE_SHARE = 0.6
MAX_OBJECTS = 4
PLACE_SHARE = 0.65
_SETTINGS = (*PLACE_SETTINGS, *COLOURS)
_SETTING_WEIGHTS = np.array(
    [PLACE_SHARE / len(PLACE_SETTINGS)] * len(PLACE_SETTINGS)
    + [(1 - PLACE_SHARE) / len(COLOURS)] * len(COLOURS)
)
_COUNT_WEIGHTS = np.array([0.6, 0.25, 0.15])
MAX_TRIES = 10_000


class SpecSamplingError(RuntimeError):
    """No acceptable scene description was found (the filter rejects almost everything)."""


def _phrase(noun: str, max_count: int, rng: np.random.Generator) -> Phrase:
    if objects_by_noun()[noun].mass:
        return Phrase(noun)
    weights = _COUNT_WEIGHTS[:max_count] / _COUNT_WEIGHTS[:max_count].sum()
    count = int(rng.choice(np.arange(1, max_count + 1), p=weights))
    if count == 1:
        size = str(rng.choice(["small", "normal", "big"], p=[0.2, 0.6, 0.2]))
    else:
        size = str(rng.choice(["small", "normal"], p=[0.3, 0.7]))
    return Phrase(noun, count, size)


def random_spec(rng: np.random.Generator) -> SceneSpec:
    """One scene description, every object readable against its setting."""
    setting = str(rng.choice(_SETTINGS, p=_SETTING_WEIGHTS))
    nouns = readable_objects(setting)
    first_noun = str(nouns[rng.integers(len(nouns))])
    if rng.random() >= TWO_PHRASE_SHARE:
        return SceneSpec(_phrase(first_noun, 3, rng), setting)
    first = _phrase(first_noun, 3, rng)
    second_noun = first_noun
    while second_noun == first_noun:
        second_noun = str(nouns[rng.integers(len(nouns))])
    second = _phrase(second_noun, MAX_OBJECTS - first.count, rng)
    relation = str(RELATIONS[rng.integers(len(RELATIONS))])
    return SceneSpec(first, setting, relation, second)


def draw_spec(rng: np.random.Generator, accept: Callable[[SceneSpec], bool]) -> SceneSpec:
    """The first random description that `accept` takes."""
    for _ in range(MAX_TRIES):
        spec = random_spec(rng)
        if accept(spec):
            return spec
    raise SpecSamplingError(f"no accepted scene description in {MAX_TRIES} tries")
