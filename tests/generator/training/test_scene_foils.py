"""Foils, the negatives CLIP's ranking phase learns from: the same scene, one object swapped."""

import numpy as np
from PIL import Image, ImageFilter

from generator.training.captions import Phrase, SceneSpec, caption, parse_caption
from generator.training.foils import foil_spec, scenes_with_foils, smeared
from generator.training.objects import objects_by_noun
from generator.training.scenes import readable_objects, render_scene
from generator.training.splits import held_out


def test_a_foil_swaps_exactly_one_object_and_keeps_the_rest_of_the_scene():
    spec = SceneSpec(Phrase("cat", 2, "small"), "beach", "above", Phrase("apple", 1, "big"))
    for seed in range(40):
        foil = foil_spec(spec, np.random.default_rng(seed))
        assert foil.setting == spec.setting and foil.relation == spec.relation
        changed = [
            (old, new) for old, new in zip(spec.phrases, foil.phrases, strict=True) if old != new
        ]
        assert len(changed) == 1
        old, new = changed[0]
        assert new.noun not in {"cat", "apple"}
        assert new.noun in readable_objects("beach")
        if not objects_by_noun()[new.noun].mass:
            assert (new.count, new.size) == (old.count, old.size)
        assert parse_caption(caption(foil)) == foil  # still a sentence of the grammar


def test_foils_never_show_a_held_out_pair_or_combination():
    spec = SceneSpec(Phrase("dog"), "snow")
    foils = [foil_spec(spec, np.random.default_rng(seed)) for seed in range(300)]
    assert not any(held_out().touches(foil) for foil in foils)
    assert len({foil.first.noun for foil in foils}) > 50  # and they still vary


def test_a_foil_is_drawn_on_the_same_background_in_the_same_place():
    captions, scenes, foils = scenes_with_foils(100, 24)
    assert scenes.shape == foils.shape == (24, 64, 64, 3)
    again = scenes_with_foils(100, 24)
    assert captions == again[0] and np.array_equal(foils, again[2])  # a pure function of seeds
    differing = (np.abs(scenes.astype(int) - foils.astype(int)).max(axis=-1) > 24).mean(axis=(1, 2))
    assert (differing > 0.005).all()  # every foil shows something else ...
    assert np.median(differing) < 0.15  # ... where an object stands, not all over the picture


def test_a_smeared_foil_keeps_the_colours_and_loses_the_outline():
    spec = SceneSpec(Phrase("pumpkin", 1, "big"), "white")
    scene = render_scene(spec, np.random.default_rng(0))
    background = np.full_like(scene, 0)
    background[:] = scene[0, 0]  # a plain white background: the corner's colour everywhere
    foil = smeared(scene, background, radius=3.0)

    def edges(image):
        return np.abs(np.diff(image.astype(float), axis=1)).mean()

    assert edges(foil) < 0.6 * edges(scene)  # the outline is gone ...
    covered = np.abs(scene.astype(int) - background.astype(int)).max(axis=-1) > 24
    orange = scene[covered].mean(axis=0)
    assert np.abs(foil[covered].mean(axis=0) - orange).max() < 40  # ... its colour is not
    far = ~np.asarray(
        Image.fromarray(covered.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(5))
    ).astype(bool)
    assert far.mean() > 0.3 and np.array_equal(foil[far], scene[far])  # the setting is kept
