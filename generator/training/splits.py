"""Train and held-out samples, and the fixed evaluation prompts.

A fixed share of object pairs and of object–setting combinations is kept out of training, so that
evaluating on held-out scenes measures composition: every held-out scene contains at least one
pair or combination that no training scene has, made of objects and settings the models did see.
The held-out sets are derived from a fixed seed and the object table only, so they never change
between runs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np

from generator.training.captions import SETTINGS, SceneSpec, caption
from generator.training.objects import default_objects
from generator.training.scenes import render_scene
from generator.training.specs import draw_spec

SPLITS = ("train", "heldout")
HELD_OUT_SEED = 6_2024
HELD_OUT_PAIR_SHARE = 0.03
HELD_OUT_COMBINATION_SHARE = 0.04
EVALUATION_PROMPTS = 100


@dataclass(frozen=True)
class HeldOut:
    pairs: frozenset[frozenset[str]]  # unordered object pairs
    combinations: frozenset[tuple[str, str]]  # (noun, setting)

    def touches(self, spec: SceneSpec) -> bool:
        """Whether the description contains a held-out pair or combination."""
        nouns = [phrase.noun for phrase in spec.phrases]
        if any((noun, spec.setting) in self.combinations for noun in nouns):
            return True
        return len(nouns) == 2 and frozenset(nouns) in self.pairs


@cache
def held_out() -> HeldOut:
    rng = np.random.default_rng(HELD_OUT_SEED)
    nouns = sorted(item.noun for item in default_objects())
    pairs = list(itertools.combinations(nouns, 2))
    pair_draws = rng.random(len(pairs))
    combinations = list(itertools.product(nouns, SETTINGS))
    combination_draws = rng.random(len(combinations))
    return HeldOut(
        frozenset(
            frozenset(pair)
            for pair, u in zip(pairs, pair_draws, strict=True)
            if u < HELD_OUT_PAIR_SHARE
        ),
        frozenset(
            c
            for c, u in zip(combinations, combination_draws, strict=True)
            if u < HELD_OUT_COMBINATION_SHARE
        ),
    )


@dataclass(frozen=True)
class Sample:
    caption: str
    spec: SceneSpec
    image: np.ndarray  # uint8 [size, size, 3]


def _rng(split: str, seed: int) -> np.random.Generator:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return np.random.default_rng([SPLITS.index(split), seed])


def draw_spec_for(split: str, seed: int) -> tuple[SceneSpec, np.random.Generator]:
    """The description of sample `seed` of a split, and the generator that goes on to draw it."""
    rng = _rng(split, seed)
    held = held_out()
    wanted = split == "heldout"
    return draw_spec(rng, lambda spec: held.touches(spec) == wanted), rng


def draw_sample(seed: int, split: str = "train", size: int = 64) -> Sample:
    """Sample `seed` of a split: the same caption and the same pixels every time."""
    spec, rng = draw_spec_for(split, seed)
    return Sample(caption(spec), spec, render_scene(spec, rng, size))


def draw_samples(
    start: int, count: int, split: str = "train", size: int = 64
) -> tuple[list[str], np.ndarray]:
    """Captions and uint8 images [count, size, size, 3] of samples start..start+count-1."""
    images = np.empty((count, size, size, 3), np.uint8)
    captions = []
    for index in range(count):
        sample = draw_sample(start + index, split, size)
        captions.append(sample.caption)
        images[index] = sample.image
    return captions, images


# Validation prompts (for choosing sampling settings) are drawn from seeds this far on, so they
# are other held-out scenes than the evaluation prompts the model card reports on.
VALIDATION_FIRST_SEED = 1_000_000


@cache
def evaluation_seeds(count: int = EVALUATION_PROMPTS, first_seed: int = 0) -> tuple[int, ...]:
    """Held-out sample seeds with distinct captions, from `first_seed` on: the fixed evaluation
    prompts (from 0) or the validation prompts (from VALIDATION_FIRST_SEED)."""
    seeds: list[int] = []
    seen: set[str] = set()
    if first_seed:  # validation prompts never repeat an evaluation prompt
        seen.update(caption(draw_spec_for("heldout", s)[0]) for s in evaluation_seeds(count))
    for seed in itertools.count(first_seed):
        text = caption(draw_spec_for("heldout", seed)[0])
        if text not in seen:
            seen.add(text)
            seeds.append(seed)
            if len(seeds) == count:
                return tuple(seeds)
    raise AssertionError("unreachable")


def evaluation_samples(count: int = EVALUATION_PROMPTS, size: int = 64) -> list[Sample]:
    return [draw_sample(seed, "heldout", size) for seed in evaluation_seeds(count)]


def validation_samples(count: int = EVALUATION_PROMPTS, size: int = 64) -> list[Sample]:
    """Held-out samples apart from the evaluation prompts, for choosing sampling settings."""
    seeds = evaluation_seeds(count, VALIDATION_FIRST_SEED)
    return [draw_sample(seed, "heldout", size) for seed in seeds]
