"""The caption grammar: scene descriptions to English and back.

    CAPTION  := PHRASE [RELATION PHRASE] SETTING
    PHRASE   := COUNT [SIZE] NOUN | MASS_NOUN     "a big rocket", "two small cats", "grapes"
    COUNT    := a | an | two | three               a/an by the sound of the next word
    SIZE     := small | big                        big only with a count of one
    RELATION := above | below | to the left of | to the right of | next to
    SETTING  := in the sky | under a night sky | on a beach | in the snow | on the grass
              | underwater | in the desert | in outer space | on a COLOUR background

`caption(spec)` writes the English; `parse_caption(text)` reads it back and raises CaptionError
for anything outside the grammar (wrong article, wrong plural, "three big cats", ...). Tests use
the parser to prove that every drawn caption follows the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from generator.training.objects import SceneObject, objects_by_noun

RELATIONS = ("above", "below", "to the left of", "to the right of", "next to")
SIZES = ("small", "normal", "big")
COUNT_WORDS = {2: "two", 3: "three"}
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black")
PLACE_SETTINGS = {
    "sky": "in the sky",
    "night": "under a night sky",
    "beach": "on a beach",
    "snow": "in the snow",
    "grass": "on the grass",
    "underwater": "underwater",
    "desert": "in the desert",
    "space": "in outer space",
}


def article(next_word: str) -> str:
    """'a' or 'an' by the sound of the word that follows."""
    word = next_word.lower()
    if word.startswith(("uni", "use", "eu", "one")):  # "a unicorn": a consonant sound
        return "a"
    if word.startswith(("hour", "honest")):  # silent h
        return "an"
    return "an" if word[:1] in "aeiou" else "a"


def _colour_phrase(colour: str) -> str:
    return f"on {article(colour)} {colour} background"


SETTING_PHRASES: dict[str, str] = {
    **PLACE_SETTINGS,
    **{colour: _colour_phrase(colour) for colour in COLOURS},
}
SETTINGS = tuple(SETTING_PHRASES)


def vocabulary() -> list[str]:
    """Every word a caption of the grammar can use, sorted."""
    words = {"a", "an", *COUNT_WORDS.values(), "small", "big"}
    for item in objects_by_noun().values():
        words.update(item.noun.split())
        words.update(item.plural.split())
    for phrase in (*RELATIONS, *SETTING_PHRASES.values()):
        words.update(phrase.split())
    return sorted(words)


def write_vocabulary(path: Path) -> None:
    """One word per line: what a model trained on the grammar has seen."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(word + "\n" for word in vocabulary()), "utf-8")


class CaptionError(ValueError):
    """A caption or scene description outside the grammar; the message says what is wrong."""


@dataclass(frozen=True)
class Phrase:
    noun: str
    count: int = 1
    size: str = "normal"


@dataclass(frozen=True)
class SceneSpec:
    first: Phrase
    setting: str
    relation: str | None = None
    second: Phrase | None = None

    @property
    def phrases(self) -> tuple[Phrase, ...]:
        return (self.first,) if self.second is None else (self.first, self.second)


def check_spec(spec: SceneSpec) -> None:
    """Raise CaptionError if the description cannot be said in the grammar."""
    if spec.setting not in SETTING_PHRASES:
        raise CaptionError(f"unknown setting {spec.setting!r}")
    if (spec.relation is None) != (spec.second is None):
        raise CaptionError("a relation needs a second phrase and a second phrase needs a relation")
    if spec.relation is not None and spec.relation not in RELATIONS:
        raise CaptionError(f"unknown relation {spec.relation!r}")
    if spec.second is not None and spec.second.noun == spec.first.noun:
        raise CaptionError(f"both phrases name {spec.first.noun!r}")
    for phrase in spec.phrases:
        _check_phrase(phrase)


def _check_phrase(phrase: Phrase) -> None:
    item = objects_by_noun().get(phrase.noun)
    if item is None:
        raise CaptionError(f"unknown object {phrase.noun!r}")
    if phrase.size not in SIZES:
        raise CaptionError(f"unknown size {phrase.size!r}")
    if phrase.count not in (1, 2, 3):
        raise CaptionError(f"count must be 1, 2 or 3, got {phrase.count!r}")
    if item.mass and (phrase.count != 1 or phrase.size != "normal"):
        raise CaptionError(f"{phrase.noun!r} is a mass noun: no count and no size")
    if phrase.size == "big" and phrase.count != 1:
        raise CaptionError(f"'big' only goes with a count of one, got {phrase.count}")


def caption(spec: SceneSpec) -> str:
    """The English caption for a scene description."""
    check_spec(spec)
    words = [_phrase_text(spec.first)]
    if spec.second is not None:
        words += [str(spec.relation), _phrase_text(spec.second)]
    words.append(SETTING_PHRASES[spec.setting])
    return " ".join(words)


def _phrase_text(phrase: Phrase) -> str:
    item = objects_by_noun()[phrase.noun]
    if item.mass:
        return item.noun
    noun = item.noun if phrase.count == 1 else item.plural
    described = noun if phrase.size == "normal" else f"{phrase.size} {noun}"
    count = article(described) if phrase.count == 1 else COUNT_WORDS[phrase.count]
    return f"{count} {described}"


def parse_caption(text: str) -> SceneSpec:
    """Read a caption back into a scene description; CaptionError if it breaks the grammar."""
    match = _caption_pattern().fullmatch(text)
    if match is None:
        raise CaptionError(f"not a caption of the grammar: {text!r}")
    first = _read_phrase(match, "a", text)
    second = _read_phrase(match, "b", text) if match["b_noun"] else None
    setting = _setting_by_phrase()[match["setting"]]
    spec = SceneSpec(first, setting, match["relation"], second)
    try:
        check_spec(spec)
    except CaptionError as error:
        raise CaptionError(f"{error}: {text!r}") from None
    if caption(spec) != text:  # catches a wrong article, e.g. "a apple"
        raise CaptionError(f"expected {caption(spec)!r}, got {text!r}")
    return spec


def _read_phrase(match: re.Match[str], group: str, text: str) -> Phrase:
    count_word, size, noun_text = (
        match[f"{group}_count"],
        match[f"{group}_size"],
        match[f"{group}_noun"],
    )
    item, is_plural = _noun_forms()[noun_text]
    if item.mass:
        if count_word or size:
            raise CaptionError(f"{item.noun!r} takes no count or size: {text!r}")
        return Phrase(item.noun)
    if count_word is None:
        raise CaptionError(f"{noun_text!r} needs a count: {text!r}")
    count = 1 if count_word in ("a", "an") else 2 if count_word == "two" else 3
    if is_plural != (count > 1) and item.noun != item.plural:
        raise CaptionError(f"{count_word!r} does not agree with {noun_text!r}: {text!r}")
    return Phrase(item.noun, count, size or "normal")


@cache
def _noun_forms() -> dict[str, tuple[SceneObject, bool]]:
    forms: dict[str, tuple[SceneObject, bool]] = {}
    for item in objects_by_noun().values():
        forms[item.plural] = (item, True)
        forms[item.noun] = (item, False)
    return forms


@cache
def _setting_by_phrase() -> dict[str, str]:
    return {phrase: setting for setting, phrase in SETTING_PHRASES.items()}


def _alternatives(words: list[str]) -> str:
    # Longest first, so that "tropical fish" wins over "fish".
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@cache
def _caption_pattern() -> re.Pattern[str]:
    nouns = _alternatives(list(_noun_forms()))

    def phrase(group: str) -> str:
        return (
            rf"(?:(?P<{group}_count>a|an|two|three) )?(?:(?P<{group}_size>small|big) )?"
            rf"(?P<{group}_noun>{nouns})"
        )

    relations = _alternatives(list(RELATIONS))
    settings = _alternatives(list(SETTING_PHRASES.values()))
    return re.compile(
        rf"{phrase('a')}(?: (?P<relation>{relations}) {phrase('b')})? (?P<setting>{settings})"
    )
