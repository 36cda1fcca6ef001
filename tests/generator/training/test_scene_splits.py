from generator.training.captions import caption
from generator.training.objects import default_objects
from generator.training.splits import (
    draw_spec_for,
    evaluation_samples,
    evaluation_seeds,
    held_out,
)


def test_held_out_pairs_and_combinations_never_appear_in_training():
    held = held_out()
    assert len(held.pairs) > 100 and len(held.combinations) > 50
    for seed in range(3000):
        spec, _ = draw_spec_for("train", seed)
        assert not held.touches(spec), caption(spec)


def test_every_held_out_scene_has_an_unseen_pair_or_combination():
    held = held_out()
    for seed in range(300):
        spec, _ = draw_spec_for("heldout", seed)
        assert held.touches(spec), caption(spec)


def test_training_still_sees_every_object():
    seen = set()
    for seed in range(4000):
        seen.update(phrase.noun for phrase in draw_spec_for("train", seed)[0].phrases)
    assert seen == {item.noun for item in default_objects()}


def test_the_evaluation_prompts_are_fixed_and_distinct():
    seeds = evaluation_seeds(100)
    assert len(seeds) == 100
    samples = evaluation_samples(10)
    assert [s.caption for s in samples] == [s.caption for s in evaluation_samples(10)]
    assert len({caption(draw_spec_for("heldout", seed)[0]) for seed in seeds}) == 100
