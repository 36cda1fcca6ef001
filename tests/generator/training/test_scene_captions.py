import pytest

from generator.training.captions import (
    SETTINGS,
    CaptionError,
    Phrase,
    SceneSpec,
    caption,
    parse_caption,
)
from generator.training.splits import draw_spec_for


def test_it_writes_natural_english_with_counts_sizes_and_relations():
    spec = SceneSpec(Phrase("penguin", 2, "small"), "beach", "to the left of", Phrase("sailboat"))
    assert caption(spec) == "two small penguins to the left of a sailboat on a beach"
    assert caption(SceneSpec(Phrase("rocket", 1, "big"), "space")) == "a big rocket in outer space"
    assert caption(SceneSpec(Phrase("fish", 3), "underwater")) == "three fish underwater"


def test_it_picks_a_or_an_by_the_next_word():
    assert caption(SceneSpec(Phrase("apple"), "sky")) == "an apple in the sky"
    assert caption(SceneSpec(Phrase("apple", 1, "big"), "sky")) == "a big apple in the sky"
    assert caption(SceneSpec(Phrase("unicorn"), "sky")) == "a unicorn in the sky"
    assert caption(SceneSpec(Phrase("cat"), "orange")) == "a cat on an orange background"
    assert caption(SceneSpec(Phrase("umbrella"), "night")) == "an umbrella under a night sky"


@pytest.mark.parametrize(
    ("noun", "count", "expected"),
    [
        ("mouse", 2, "two mice"),
        ("sheep", 3, "three sheep"),
        ("cactus", 2, "two cacti"),
        ("die", 2, "two dice"),
        ("maple leaf", 3, "three maple leaves"),
        ("snowman", 2, "two snowmen"),
        ("tomato", 2, "two tomatoes"),
        ("butterfly", 2, "two butterflies"),
        ("bus", 3, "three buses"),
        ("peach", 2, "two peaches"),
        ("gift box", 2, "two gift boxes"),
        ("monkey", 2, "two monkeys"),
        ("loaf of bread", 2, "two loaves of bread"),
    ],
)
def test_it_spells_plurals_right(noun, count, expected):
    assert caption(SceneSpec(Phrase(noun, count), "sky")) == f"{expected} in the sky"


def test_it_writes_mass_nouns_without_count():
    spec = SceneSpec(Phrase("grapes"), "snow", "next to", Phrase("mouse", 3))
    assert caption(spec) == "grapes next to three mice in the snow"
    with pytest.raises(CaptionError, match="mass noun"):
        caption(SceneSpec(Phrase("popcorn", 2), "sky"))


def test_it_refuses_descriptions_outside_the_grammar():
    with pytest.raises(CaptionError, match="big"):
        caption(SceneSpec(Phrase("cat", 3, "big"), "sky"))
    with pytest.raises(CaptionError, match="both phrases"):
        caption(SceneSpec(Phrase("cat"), "sky", "above", Phrase("cat")))
    with pytest.raises(CaptionError, match="unknown object"):
        caption(SceneSpec(Phrase("spaceship"), "sky"))
    with pytest.raises(CaptionError, match="setting"):
        caption(SceneSpec(Phrase("cat"), "moon"))


@pytest.mark.parametrize(
    "text",
    [
        "a apple in the sky",
        "an cat in the sky",
        "two mouses in the sky",
        "two mouse in the sky",
        "a mice in the sky",
        "three big cats in the sky",
        "two grapes in the sky",
        "a cat next to a cat in the sky",
        "a cat",
        "a cat on the moon",
        "cat in the sky",
        "a cat beside a dog in the sky",
        "a cat  in the sky",
        "A cat in the sky",
    ],
)
def test_the_parser_rejects_captions_that_break_the_grammar(text):
    with pytest.raises(CaptionError):
        parse_caption(text)


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_every_drawn_caption_follows_the_grammar(split):
    settings_seen = set()
    for seed in range(1500):
        spec, _ = draw_spec_for(split, seed)
        text = caption(spec)
        assert parse_caption(text) == spec, text
        settings_seen.add(spec.setting)
    assert settings_seen == set(SETTINGS)


def test_the_vocabulary_is_what_the_grammar_can_write():
    from generator.training.captions import (
        RELATIONS,
        SETTINGS,
        Phrase,
        SceneSpec,
        caption,
        vocabulary,
    )
    from generator.training.objects import default_objects

    written: set[str] = set()
    for item in default_objects():
        phrases = [Phrase(item.noun)]
        if not item.mass:
            phrases += [Phrase(item.noun, 1, "small"), Phrase(item.noun, 1, "big")]
            phrases += [Phrase(item.noun, 2, "small"), Phrase(item.noun, 3)]
        for phrase in phrases:
            written.update(caption(SceneSpec(phrase, "sky")).split())
    other = Phrase("apple") if default_objects()[0].noun != "apple" else Phrase("pear")
    for relation in RELATIONS:
        written.update(caption(SceneSpec(Phrase("cat"), "sky", relation, other)).split())
    for setting in SETTINGS:
        written.update(caption(SceneSpec(Phrase("cat"), setting)).split())
    assert set(vocabulary()) == written
    assert not [word for word in written if word.endswith(("eses", "ieses"))]
