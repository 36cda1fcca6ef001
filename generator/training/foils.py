"""Foils: a training scene with one object swapped for another, drawn in the same place.

CLIP ranks the pipeline's 16 candidates for one prompt, and those candidates share the prompt's
setting and layout; what tells a good one from a bad one is whether its objects are the prompted
ones. Random scenes of a batch differ from each other mostly in their settings, so CLIP learns
settings well and objects poorly (the shipped CLIP's kept six were no more legible than all 16).
A foil is the negative that teaches the difference, of one of two kinds (half each):
- swapped: the same caption's scene, same background and layout, with one object replaced;
- smeared: the same scene with its objects blurred into blobs, colours kept and outlines gone,
  which is how an illegible candidate looks ("the right colours on the right setting, never a
  nameable object").
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
from PIL import Image, ImageFilter

from generator.training.backgrounds import draw_background
from generator.training.captions import Phrase, SceneSpec, caption
from generator.training.objects import objects_by_noun
from generator.training.scenes import readable_objects, render_scene
from generator.training.specs import SpecSamplingError
from generator.training.splits import draw_spec_for, held_out

MAX_TRIES = 100
SMEARED_SHARE = 0.5
SMEAR_RADIUS = (1.5, 3.5)  # px at 64×64: an emoji's outline goes, its colours stay
SMEAR_MARGIN = 1  # px around an object's pixels (its anti-aliased edge)


def foil_spec(spec: SceneSpec, rng: np.random.Generator, avoid_held_out: bool = True) -> SceneSpec:
    """`spec` with one of its objects (chosen at random) replaced by another object that reads
    on the same setting and is not in the scene; count and size are kept where the grammar allows
    (a mass noun such as "grapes" has neither). A training foil (`avoid_held_out`) never shows a
    held-out pair or object-setting combination: those stay unseen by every model, negatives
    included."""
    for _ in range(MAX_TRIES):
        foil = _swapped(spec, rng)
        if not (avoid_held_out and held_out().touches(foil)):
            return foil
    raise SpecSamplingError(f"no foil outside the held-out set in {MAX_TRIES} tries: {spec}")


def _swapped(spec: SceneSpec, rng: np.random.Generator) -> SceneSpec:
    index = int(rng.integers(len(spec.phrases)))
    taken = {phrase.noun for phrase in spec.phrases}
    choices = [noun for noun in readable_objects(spec.setting) if noun not in taken]
    noun = str(choices[int(rng.integers(len(choices)))])
    old = spec.phrases[index]
    new = Phrase(noun) if objects_by_noun()[noun].mass else Phrase(noun, old.count, old.size)
    if index == 0:
        return dataclasses.replace(spec, first=new)
    return dataclasses.replace(spec, second=new)


def smeared(scene: np.ndarray, background: np.ndarray, radius: float) -> np.ndarray:
    """`scene` (uint8) with every pixel an object covers, and a margin of SMEAR_MARGIN, replaced
    by a Gaussian blur of `radius` px: where the objects were, their colours stay as blobs."""
    covered = np.abs(scene.astype(np.int16) - background.astype(np.int16)).max(axis=-1) > 24
    margin = Image.fromarray(covered.astype(np.uint8) * 255).filter(
        ImageFilter.MaxFilter(2 * SMEAR_MARGIN + 1)
    )
    region = np.asarray(margin)[..., None] > 0
    blurred = np.asarray(Image.fromarray(scene).filter(ImageFilter.GaussianBlur(radius)))
    return np.where(region, blurred, scene)


def scenes_with_foils(
    first_seed: int, count: int, size: int = 64, split: str = "train"
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Samples first_seed.. of a split with a foil each: (captions, uint8 scenes, uint8 foils).

    A swapped foil is rendered from the same random state as its scene, so that background and
    layout match as far as the new object's shape allows. Held-out scenes (for evaluation) get
    swapped foils from the whole world.
    """
    captions: list[str] = []
    scenes = np.empty((count, size, size, 3), np.uint8)
    foils = np.empty_like(scenes)
    for row in range(count):
        spec, rng = draw_spec_for(split, first_seed + row)
        foil_rng = np.random.default_rng([first_seed + row, 7])
        same_state = copy.deepcopy(rng)
        captions.append(caption(spec))
        scenes[row] = render_scene(spec, rng, size)
        if foil_rng.random() < SMEARED_SHARE:
            pixels = draw_background(spec.setting, size, same_state).pixels
            background = np.round(np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8)
            radius = float(foil_rng.uniform(*SMEAR_RADIUS)) * size / 64
            foils[row] = smeared(scenes[row], background, radius)
        else:
            foil = foil_spec(spec, foil_rng, avoid_held_out=split == "train")
            foils[row] = render_scene(foil, same_state, size)
    return captions, scenes, foils
