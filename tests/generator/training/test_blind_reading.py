"""A blind reading: lettered sheets with a key kept apart, a form, and its scoring."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.pipeline import Generator
from generator.training.blind.__main__ import main
from generator.training.blind.reading import (
    FormError,
    names_noun,
    readings_table,
    score_reading,
    scored_readings,
    setting_named,
)
from generator.training.blind.sheets import (
    FIRST_SEED,
    draw_reading,
    letters,
    reading_prompts,
)
from generator.training.blind.wordnet import noun_senses
from generator.training.captions import caption
from generator.training.splits import held_out

COUNTS = {"generated": 2, "codec": 1, "real": 1}


@pytest.fixture(scope="module")
def reading(tiny_model_dir: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reading") / "r"
    draw_reading(out, Generator(tiny_model_dir, batch_size=8), 3, COUNTS, "tiny")
    return out


def test_each_reading_draws_its_own_held_out_prompts():
    first, again, other = reading_prompts(3, 6), reading_prompts(3, 6), reading_prompts(4, 6)
    assert first == again
    assert not {caption(s) for s in first} & {caption(s) for s in other}
    assert len({caption(s) for s in first}) == 6
    assert all(held_out().touches(spec) for spec in first)  # unseen pairs or combinations
    with pytest.raises(ValueError, match="seed must be in"):
        reading_prompts(-1, 2)
    assert FIRST_SEED > 1_000_000  # apart from the evaluation and validation prompts


def test_sheets_are_named_by_letter_only_and_the_key_stays_apart(reading: Path):
    sheets = reading / "sheets"
    names = sorted(path.name for path in sheets.iterdir())
    assert names == [
        "README.md",
        "answers.json",
        "sheet-A.png",
        "sheet-B.png",
        "sheet-C.png",
        "sheet-D.png",
    ]
    key = json.loads((reading / "key.json").read_text())
    assert sorted(sheet["kind"] for sheet in key["sheets"]) == [
        "codec",
        "generated",
        "generated",
        "real",
    ]
    assert key["label"] == "tiny" and key["seed"] == 3
    # Nothing the reader is given names a prompt: not the form, the instructions or a file name.
    given = (sheets / "answers.json").read_text() + (sheets / "README.md").read_text()
    for sheet in key["sheets"]:
        for item in sheet["objects"]:
            assert item["noun"] not in given
    image = Image.open(sheets / "sheet-A.png")
    assert image.size == (3 * 96 + 4 * 8, 2 * 96 + 3 * 8)  # six 32 px pictures enlarged 3×
    with pytest.raises(FileExistsError):
        draw_reading(reading, Generator(None), 3, COUNTS)


def test_real_sheets_show_the_prompt_s_own_scenes(reading: Path):
    key = json.loads((reading / "key.json").read_text())
    real = next(sheet for sheet in key["sheets"] if sheet["kind"] == "real")
    pixels = np.asarray(Image.open(reading / "sheets" / f"sheet-{real['letter']}.png"))
    assert pixels.std() > 10  # six rendered scenes, not a blank sheet


def fill(reading: Path, right: set[str]) -> None:
    """Answer the sheets in `right` as the key says, the others with a wrong object."""
    key = json.loads((reading / "key.json").read_text())
    form = {}
    for sheet in key["sheets"]:
        main = sheet["objects"][0]
        if sheet["letter"] in right:
            objects = [{"name": item["noun"], "count": item["count"]} for item in sheet["objects"]]
            setting = "a " + sheet["setting"] + " background" if sheet["setting"] else ""
        else:
            objects = [{"name": "zebra" if main["noun"] != "zebra" else "lion", "count": 1}]
            setting = "somewhere"
        form[sheet["letter"]] = {"objects": objects, "setting": setting, "notes": ""}
    (reading / "sheets" / "answers.json").write_text(json.dumps(form))


def test_a_filled_form_is_scored_per_kind_of_sheet(reading: Path):
    key = json.loads((reading / "key.json").read_text())
    real = next(sheet["letter"] for sheet in key["sheets"] if sheet["kind"] == "real")
    fill(reading, {real})
    result = score_reading(reading)
    assert result["kinds"]["real"]["main_named"] == 1.0
    assert result["kinds"]["real"]["setting_right"] == 1.0
    assert result["kinds"]["generated"]["main_named"] == 0.0
    assert result["kinds"]["generated"]["all_named"] == 0.0
    table = (reading / "scores.md").read_text()
    assert "| real renders (controls) | 1 | 100% (1 of 1) |" in table
    assert scored_readings([reading])[0]["label"] == "tiny"
    two = readings_table([{**result, "label": "one"}, {**result, "label": "two"}])
    assert two.splitlines()[0].startswith("| reading |") and "| two |" in two


def test_a_broken_form_is_named_and_changes_nothing(reading: Path, capsys):
    form = reading / "sheets" / "answers.json"
    fill(reading, set())
    score_reading(reading)
    before = (reading / "scores.json").read_text()
    data = json.loads(form.read_text())
    data["A"]["objects"] = [{"name": "cat", "count": "three"}]
    form.write_text(json.dumps(data))
    with pytest.raises(FormError, match="sheet A: the count of 'cat' must be a whole number"):
        score_reading(reading)
    del data["B"]
    form.write_text(json.dumps(data))
    assert main(["score", str(reading)]) == 2
    assert "no answer for sheet(s) B" in capsys.readouterr().err
    form.write_text("{not json")
    with pytest.raises(FormError, match="cannot read the answers"):
        score_reading(reading)
    assert (reading / "scores.json").read_text() == before


def test_a_name_counts_when_it_is_the_noun_its_plural_or_a_wordnet_synonym():
    senses = noun_senses()
    assert names_noun("Two mice", "mouse", senses)
    assert names_noun("a police car", "police car", senses)
    assert not names_noun("car", "police car", senses)  # a kind of thing is not the thing
    assert not names_noun("", "mouse", senses)
    if senses is None:
        pytest.skip("WordNet is not installed (Debian's wordnet-base): synonyms not checked")
    assert names_noun("automobile", "car", senses)
    assert names_noun("blowfish", "pufferfish", senses)
    assert not names_noun("jack-o'-lantern", "pumpkin", senses)


def test_a_setting_counts_by_its_words_or_its_colour():
    assert setting_named("in outer space, stars around", "space")
    assert setting_named("Underwater, near the sea floor", "underwater")
    assert setting_named("on a plain purple background", "purple")
    assert not setting_named("on a pink background", "purple")
    assert not setting_named("on a beach", "desert")


def test_letters_go_on_past_z():
    names = letters()
    drawn = [next(names) for _ in range(28)]
    assert drawn[0] == "A" and drawn[25] == "Z" and drawn[26:] == ["AA", "AB"]
