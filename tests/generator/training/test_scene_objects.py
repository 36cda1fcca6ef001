import json

import pytest

from generator.training.glyphs import glyph
from generator.training.objects import (
    CATEGORIES,
    ObjectTableError,
    default_objects,
    load_objects,
    regular_plural,
)


def test_the_table_has_at_least_200_objects_in_every_category():
    objects = default_objects()
    assert len(objects) >= 200
    assert {item.category for item in objects} == set(CATEGORIES)
    assert len({item.noun for item in objects}) == len(objects)


def test_every_emoji_draws_as_one_visible_glyph():
    for item in default_objects():
        image = glyph(item.emoji, 24)
        assert max(image.shape[:2]) == 24, item.noun
        assert (image[..., 3] > 0.5).mean() > 0.2, item.noun  # not a thin sliver


def test_the_regular_plural_rule():
    assert regular_plural("cat") == "cats"
    assert regular_plural("box") == "boxes"
    assert regular_plural("strawberry") == "strawberries"
    assert regular_plural("ice cream cone") == "ice cream cones"


def _write_table(tmp_path, entries):
    path = tmp_path / "objects.json"
    path.write_text(json.dumps({"objects": entries}), encoding="utf-8")
    return path


def test_a_malformed_table_is_refused_with_the_entry_named(tmp_path):
    good = {"noun": "cat", "category": "animal", "emoji": "🐱", "ground": True}
    assert load_objects(_write_table(tmp_path, [good]))[0].plural == "cats"
    cases = [
        ({**good, "category": "beast"}, "category"),
        ({**good, "noun": "Cat"}, "noun"),
        ({**good, "emoji": "🐻\u200d❄️"}, "ZWJ"),
        ({**good, "ground": "yes"}, "ground"),
        ({**good, "colour": "red"}, "unknown keys"),
    ]
    for entry, message in cases:
        with pytest.raises(ObjectTableError, match=message):
            load_objects(_write_table(tmp_path, [entry]))
    with pytest.raises(ObjectTableError, match="names both"):
        load_objects(_write_table(tmp_path, [good, {**good, "emoji": "🐈"}]))
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ObjectTableError, match=r"broken\.json"):
        load_objects(tmp_path / "broken.json")
