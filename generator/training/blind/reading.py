"""Scoring a filled answers form against a reading's key.

Per sheet: the main object named (the prompt's first noun, its plural, or a word WordNet counts
as the same thing), every object named, the main object's count right (for countable nouns),
and the setting right. Per kind of sheet (generated, codec, real), the share of sheets.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.training.blind.sheets import FORM_FILE, KEY_FILE, KINDS, SHEETS_DIR
from generator.training.blind.wordnet import NounSenses, noun_senses
from generator.training.captions import COLOURS
from generator.training.markdown import percent, table
from generator.training.objects import objects_by_noun

READINGS_DIR = "readings"  # in a run directory and in a shipped model's training/
SCORES_FILE = "scores.json"
TABLE_FILE = "scores.md"
_FILLER = frozenset({"a", "an", "the", "one", "two", "three", "some", "small", "big", "little"})
# Words that say a place setting, whole words of the answer (a colour background: the colour).
PLACE_WORDS: dict[str, tuple[str, ...]] = {
    "sky": ("sky", "clouds", "cloudy", "air"),
    "night": ("night", "nighttime", "moon", "moonlit"),
    "beach": ("beach", "seaside", "shore", "coast", "seashore"),
    "snow": ("snow", "snowy", "winter", "snowfield"),
    "grass": ("grass", "grassy", "lawn", "meadow", "field"),
    "underwater": ("underwater", "sea", "ocean", "seabed", "seafloor", "reef"),
    "desert": ("desert", "dunes", "dune"),
    "space": ("space", "cosmos", "galaxy", "universe", "stars", "starry", "starfield"),
}


class FormError(ValueError):
    """A filled answers form that cannot be read; the message names the sheet and the field."""


@dataclass(frozen=True)
class Answer:
    objects: list[tuple[str, int | None]]  # (name, count) as the reader wrote them
    setting: str


@dataclass(frozen=True)
class SheetScore:
    letter: str
    kind: str
    main_named: bool
    all_named: bool
    count_right: bool | None  # None: the main object is a mass noun (no count)
    setting_right: bool


def read_form(path: Path, expected: list[str]) -> dict[str, Answer]:
    """The answers, one per sheet letter, checked field by field."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormError(f"{path}: cannot read the answers ({error})") from None
    if not isinstance(data, dict):
        raise FormError(f"{path}: must be a JSON object with one entry per sheet letter")
    missing = [letter for letter in expected if letter not in data]
    if missing:
        raise FormError(f"{path}: no answer for sheet(s) {', '.join(missing)}")
    return {letter: _answer(path, letter, data[letter]) for letter in expected}


def _answer(path: Path, letter: str, entry: Any) -> Answer:
    where = f"{path}: sheet {letter}"
    if not isinstance(entry, dict):
        raise FormError(f"{where}: must be an object with 'objects' and 'setting'")
    objects = entry.get("objects", [])
    setting = entry.get("setting", "")
    if not isinstance(objects, list) or not isinstance(setting, str):
        raise FormError(f"{where}: 'objects' must be a list and 'setting' a text")
    named: list[tuple[str, int | None]] = []
    for item in objects:
        if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
            raise FormError(f"{where}: each object must be {{'name': text, 'count': number}}")
        count = item.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise FormError(f"{where}: the count of {item.get('name')!r} must be a whole number")
        if item.get("name", "").strip():
            named.append((item["name"], count or None))
    return Answer(named, setting)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("'", ""))


def names_noun(name: str, noun: str, senses: NounSenses | None) -> bool:
    """Whether a reader's name is the noun: the same words (singular or plural), or a word
    WordNet counts as the same thing."""
    words = [word for word in _words(name) if word not in _FILLER]
    if not words:
        return False
    item = objects_by_noun()[noun]
    phrase = " ".join(words)
    if phrase in (item.noun, item.plural):
        return True
    return senses is not None and senses.same_thing(phrase, noun)


def setting_named(answer: str, setting: str) -> bool:
    words = set(_words(answer))
    if setting in COLOURS:
        return setting in words
    return bool(words & set(PLACE_WORDS[setting]))


def score_sheet(key: dict[str, Any], answer: Answer, senses: NounSenses | None) -> SheetScore:
    objects = key["objects"]

    def found(noun: str) -> tuple[str, int | None] | None:
        return next((item for item in answer.objects if names_noun(item[0], noun, senses)), None)

    main = found(objects[0]["noun"])
    count_right = None
    if objects[0]["countable"]:
        count_right = main is not None and main[1] == objects[0]["count"]
    return SheetScore(
        letter=key["letter"],
        kind=key["kind"],
        main_named=main is not None,
        all_named=all(found(item["noun"]) is not None for item in objects),
        count_right=count_right,
        setting_right=setting_named(answer.setting, key["setting"]),
    )


def score_reading(directory: Path, answers: Path | None = None) -> dict[str, Any]:
    """Score `directory`'s filled form (or `answers`) against its key; write scores.json and
    scores.md beside the key, and return the figures per kind of sheet."""
    key = json.loads((directory / KEY_FILE).read_text("utf-8"))
    sheets = key["sheets"]
    form = read_form(answers or directory / SHEETS_DIR / FORM_FILE, [s["letter"] for s in sheets])
    senses = noun_senses()
    scores = [score_sheet(sheet, form[sheet["letter"]], senses) for sheet in sheets]
    figures = {kind: _figures([s for s in scores if s.kind == kind]) for kind in KINDS}
    result = {
        "seed": key["seed"],
        "model": key["model"],
        "wordnet": senses is not None,
        "kinds": {kind: value for kind, value in figures.items() if value["sheets"]},
        "sheets": [score.__dict__ for score in scores],
    }
    (directory / SCORES_FILE).write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    (directory / TABLE_FILE).write_text(scores_table(result) + "\n", "utf-8")
    return result


def _figures(scores: list[SheetScore]) -> dict[str, Any]:
    countable = [s for s in scores if s.count_right is not None]

    def share(hits: int, total: int) -> float | None:
        return hits / total if total else None

    return {
        "sheets": len(scores),
        "main_named": share(sum(s.main_named for s in scores), len(scores)),
        "all_named": share(sum(s.all_named for s in scores), len(scores)),
        "count_right": share(sum(bool(s.count_right) for s in countable), len(countable)),
        "countable": len(countable),
        "setting_right": share(sum(s.setting_right for s in scores), len(scores)),
    }


KIND_NAMES = {
    "generated": "generated (the six kept of 16)",
    "codec": "real scenes through the VQGAN",
    "real": "real renders (controls)",
}


def scores_table(result: dict[str, Any]) -> str:
    """The figures per kind of sheet, as a markdown table."""
    return readings_table([result])


def readings_tables(results: list[dict[str, Any]]) -> str:
    """Each reading's figures, then each model's readings added up (the card's blind section);
    empty when nothing was read."""
    if not results:
        return ""
    combined = combined_table(results)
    return readings_table(results) + (f"\n\nAdded up per model:\n\n{combined}" if combined else "")


def scored_readings(directories: list[Path]) -> list[dict[str, Any]]:
    """The scores of the readings in `directories` that have been read and scored, each with
    its label (from its key), in the given order."""
    results = []
    for directory in directories:
        path = directory / SCORES_FILE
        if path.exists():
            key = json.loads((directory / KEY_FILE).read_text("utf-8"))
            label = key.get("label") or directory.name
            results.append({**json.loads(path.read_text("utf-8")), "label": label})
    return results


def combined_table(results: list[dict[str, Any]]) -> str:
    """The readings of each model added up (a label's part after " · " names the model), when
    a model was read more than once; else empty."""
    models: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        model = str(result.get("label", "")).split(" · ")[-1]
        models.setdefault(model, []).append(result)
    if all(len(group) < 2 for group in models.values()):
        return ""
    rows = []
    for model, group in models.items():
        for kind in KINDS:
            parts = [r["kinds"][kind] for r in group if kind in r["kinds"]]
            if not parts:
                continue

            def total(field: str, of: str = "sheets", parts: list = parts) -> str:
                hits = sum(round((p[field] or 0) * p[of]) for p in parts)
                count = sum(p[of] for p in parts)
                return f"{percent(hits / count)} ({hits} of {count})" if count else "–"

            rows.append(
                (
                    model,
                    KIND_NAMES[kind],
                    sum(p["sheets"] for p in parts),
                    total("main_named"),
                    total("all_named"),
                    total("count_right", "countable"),
                    total("setting_right"),
                )
            )
    header = ["model, all its readings", "sheets", "n", "main object named"]
    header += ["every object named", "main count right", "setting right"]
    return table(header, rows)


def readings_table(results: list[dict[str, Any]]) -> str:
    """One row per kind of sheet of each reading; a reading's label heads its rows when there
    is more than one reading."""

    def cell(value: float | None, hits_of: int) -> str:
        if value is None:
            return "–"
        return f"{percent(value)} ({round(value * hits_of)} of {hits_of})"

    rows = []
    labelled = len(results) > 1
    for result in results:
        for kind, figures in result["kinds"].items():
            rows.append(
                (
                    *((result.get("label", ""),) if labelled else ()),
                    KIND_NAMES[kind],
                    figures["sheets"],
                    cell(figures["main_named"], figures["sheets"]),
                    cell(figures["all_named"], figures["sheets"]),
                    cell(figures["count_right"], figures["countable"]),
                    cell(figures["setting_right"], figures["sheets"]),
                )
            )
    header = [
        *(["reading"] if labelled else []),
        "sheets",
        "n",
        "main object named",
        "every object named",
        "main count right",
        "setting right",
    ]
    return table(header, rows)
