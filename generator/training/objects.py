"""The curated table of emoji objects that scenes are drawn from.

The table (`objects.json` beside this file) was derived from
`shared/reference/emoji-objects.json`: thin, grey or text-like emoji that do not read at 16-24 px
were dropped, nouns were renamed where the emoji name does not read as a caption ("t-shirt" ->
"shirt", "bread" -> "loaf of bread"), and ZWJ sequences were left out so that scenes render the
same with or without Pillow's RAQM layout engine.

Each entry: `noun`, optional `plural` (only where the regular English rule gets it wrong),
optional `mass` (plural-only or uncountable nouns such as "grapes" or "popcorn": no article, no
count, no size), `category`, `emoji`, and `ground` (the object stands on the ground band of
settings that have one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from generator.text import regular_plural

OBJECTS_PATH = Path(__file__).with_name("objects.json")
CATEGORIES = ("animal", "plant", "food", "vehicle", "place", "sky", "thing", "character")
ZERO_WIDTH_JOINER = "\u200d"
_NOUN_PATTERN = re.compile(r"[a-z]+(?: [a-z]+)*")


class ObjectTableError(ValueError):
    """The object table file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class SceneObject:
    noun: str
    plural: str
    category: str
    emoji: str
    ground: bool
    mass: bool


def load_objects(path: str | Path = OBJECTS_PATH) -> tuple[SceneObject, ...]:
    """Read and validate an object table; raises ObjectTableError naming what is wrong."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ObjectTableError(f"{path}: cannot read the object table: {error}") from error
    entries = document.get("objects") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ObjectTableError(f"{path}: expected an object with a non-empty 'objects' list")
    objects = tuple(_parse_entry(path, index, entry) for index, entry in enumerate(entries))
    _check_unique(path, objects)
    return objects


def _parse_entry(path: Path, index: int, entry: object) -> SceneObject:
    where = f"{path}: entry {index}"
    if not isinstance(entry, dict):
        raise ObjectTableError(f"{where}: expected a JSON object, got {type(entry).__name__}")
    unknown = set(entry) - {"noun", "plural", "mass", "category", "emoji", "ground"}
    if unknown:
        raise ObjectTableError(f"{where}: unknown keys {sorted(unknown)}")
    noun = entry.get("noun")
    if not isinstance(noun, str) or not _NOUN_PATTERN.fullmatch(noun):
        raise ObjectTableError(f"{where}: 'noun' must be lower-case words, got {noun!r}")
    where = f"{path}: entry {index} ({noun!r})"
    # A mass noun ("grapes", "popcorn") is never counted: its plural is itself, not "grapeses".
    plural = entry.get("plural", noun if entry.get("mass") else regular_plural(noun))
    if not isinstance(plural, str) or not _NOUN_PATTERN.fullmatch(plural):
        raise ObjectTableError(f"{where}: 'plural' must be lower-case words, got {plural!r}")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise ObjectTableError(f"{where}: 'category' must be one of {CATEGORIES}, got {category!r}")
    emoji = entry.get("emoji")
    if not isinstance(emoji, str) or not emoji or emoji.isascii():
        raise ObjectTableError(f"{where}: 'emoji' must be an emoji string, got {emoji!r}")
    if ZERO_WIDTH_JOINER in emoji:
        # ZWJ sequences only render as one glyph with the RAQM layout engine.
        raise ObjectTableError(f"{where}: ZWJ sequences are not allowed, got {emoji!r}")
    ground, mass = entry.get("ground"), entry.get("mass", False)
    if not isinstance(ground, bool) or not isinstance(mass, bool):
        raise ObjectTableError(f"{where}: 'ground' and 'mass' must be true or false")
    return SceneObject(noun, plural, category, emoji, ground, mass)


def _check_unique(path: Path, objects: tuple[SceneObject, ...]) -> None:
    seen: dict[str, str] = {}
    for index, item in enumerate(objects):
        if item.noun in (other.noun for other in objects[:index]):
            raise ObjectTableError(
                f"{path}: {item.noun!r} names both entry {index} and an earlier one"
            )
        for word in {item.noun, item.plural}:
            if seen.get(word, item.noun) != item.noun:
                raise ObjectTableError(
                    f"{path}: {word!r} names both {seen[word]!r} and {item.noun!r}"
                )
            seen[word] = item.noun


@cache
def default_objects() -> tuple[SceneObject, ...]:
    """The shipped table, read once."""
    return load_objects()


@cache
def objects_by_noun() -> dict[str, SceneObject]:
    return {item.noun: item for item in default_objects()}
