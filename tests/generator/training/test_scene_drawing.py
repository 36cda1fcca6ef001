import numpy as np

from generator.training.backgrounds import draw_background
from generator.training.captions import SETTINGS, Phrase, SceneSpec
from generator.training.objects import objects_by_noun
from generator.training.scenes import layout, readable_objects, render_scene
from generator.training.splits import draw_sample


def test_the_same_seed_draws_the_same_scene():
    first, again = draw_sample(7), draw_sample(7)
    assert first.caption == again.caption
    assert first.image.dtype == np.uint8 and first.image.shape == (64, 64, 3)
    assert first.image.tobytes() == again.image.tobytes()
    assert draw_sample(8).image.tobytes() != first.image.tobytes()


def test_it_draws_at_other_sizes():
    assert draw_sample(3, size=96).image.shape == (96, 96, 3)


def test_every_setting_has_its_own_look():
    means = [
        draw_background(s, 64, np.random.default_rng(0)).pixels.mean(axis=(0, 1)) for s in SETTINGS
    ]
    for i in range(len(means)):
        for j in range(i):
            assert np.abs(means[i] - means[j]).max() > 0.02, (SETTINGS[i], SETTINGS[j])


def _covered_pixels(spec, seed):
    """Pixels that differ clearly from the white background."""
    scene = render_scene(spec, np.random.default_rng(seed))
    return int((np.abs(scene.astype(int) - 245).max(axis=-1) > 40).sum())


def test_big_objects_cover_more_than_small_ones():
    big = _covered_pixels(SceneSpec(Phrase("apple", 1, "big"), "white"), 0)
    small = _covered_pixels(SceneSpec(Phrase("apple", 1, "small"), "white"), 0)
    assert big > 2.5 * small > 0


def _centre(placements):
    return np.mean([(p.x + p.side / 2, p.y + p.side / 2) for p in placements], axis=0)


def test_relations_put_the_groups_where_the_caption_says():
    checks = {
        "above": (1, -1),
        "below": (1, 1),
        "to the left of": (0, -1),
        "to the right of": (0, 1),
    }
    for relation, (axis, sign) in checks.items():
        for seed in range(20):
            spec = SceneSpec(Phrase("star", 2), "sky", relation, Phrase("car"))
            placements = layout(spec, 64, None, np.random.default_rng(seed))
            first = [p for p in placements if p.emoji == objects_by_noun()["star"].emoji]
            second = [p for p in placements if p.emoji == objects_by_noun()["car"].emoji]
            assert len(first) == 2 and len(second) == 1
            assert sign * (_centre(first)[axis] - _centre(second)[axis]) > 8, (relation, seed)


def test_ground_objects_stand_on_the_ground_and_stay_on_the_canvas():
    for seed in range(30):
        spec = SceneSpec(Phrase("house", 3), "grass")
        for p in layout(spec, 64, 0.6, np.random.default_rng(seed)):
            assert 0.6 * 64 < p.y + p.side <= 64
            assert p.x >= 0 and p.x + p.side <= 64


def test_low_contrast_combinations_are_never_drawn():
    assert "snowman" not in readable_objects("snow")
    assert "ghost" not in readable_objects("white")
    assert "snowman" in readable_objects("night")
    for seed in range(300):
        spec = draw_sample(seed).spec
        for phrase in spec.phrases:
            assert phrase.noun in readable_objects(spec.setting)
