"""Scenes to caption for tuning: who or what, doing what, where, said in plain English (pure).

The words come from WordNet by rule, not from a hand-picked list, so that the tuning data is
not written with the evaluation set in mind: single-word lemmas under a few broad categories,
in the sense the word has first, that SemCor saw often enough that players use them
(`Vocabulary.from_wordnet`). Actions,
relations and attribute values are the closed lists a picture prompt draws from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Categories a noun is drawn from, with the least SemCor uses of the word in that sense.
ACTOR_ROOTS = {"person.n.01": 8, "animal.n.01": 1}
THING_ROOTS = {"artifact.n.01": 6, "food.n.02": 3, "plant.n.02": 2, "food.n.01": 4}
PLACE_ROOTS = {
    "geological_formation.n.01": 1,
    "body_of_water.n.01": 1,
    "room.n.01": 1,
    "building.n.01": 2,
    "tract.n.01": 2,
    "geographical_area.n.01": 3,
}
# How far below a root to look (a horse is eight steps below animal); the SemCor counts, not
# the depth, keep out words too specialised to appear in a prompt.
MAX_DEPTH_BELOW_ROOT = 20

TRANSITIVE = _words(
    "chasing holding eating reading riding carrying watching kicking throwing catching pushing "
    "pulling painting drawing building fixing cleaning washing feeding hugging climbing driving "
    "following lifting"
)
INTRANSITIVE = _words(
    "sleeping running flying swimming dancing singing sitting standing jumping walking crying "
    "laughing fishing cooking playing waiting"
)
# Relations a scene is drawn with; "with" only stands for an action in a paraphrase ("a girl
# with a kite" for "a girl flying a kite").
RELATIONS = (
    "next to",
    "above",
    "below",
    "to the left of",
    "to the right of",
    "behind",
    "in front of",
    "near",
)
COLOURS = _words("red orange yellow green blue purple pink white black brown grey")
SIZES = ("big", "small")
AGES = ("old", "young")
MOODS = ("happy", "sad", "angry", "sleepy")
# Adjectives that say what a thing is made of or covered with, and that noun.
MATERIALS = {
    "wooden": "wood",
    "golden": "gold",
    "glass": "glass",
    "stone": "stone",
    "paper": "paper",
    "metal": "metal",
    "woollen": "wool",
    "leather": "leather",
    "silver": "silver",
    "plastic": "plastic",
    "iron": "iron",
    "rusty": "rust",
    "snowy": "snow",
    "sandy": "sand",
    "icy": "ice",
}
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "colour": tuple(COLOURS),
    "size": SIZES,
    "age": AGES,
    "mood": MOODS,
    "material": tuple(MATERIALS),
}
COUNT_WORDS = {1: "a", 2: "two", 3: "three"}
# Counts said otherwise ("a pair of penguins"); a paraphrase may use them.
OTHER_COUNT_WORDS = {2: ("a pair of", "a couple of"), 3: ("a trio of",)}


@dataclass(frozen=True)
class Vocabulary:
    actors: tuple[str, ...]
    things: tuple[str, ...]
    places: tuple[str, ...]

    @classmethod
    @lru_cache(maxsize=2)  # a few seconds of WordNet reading; one reader per process
    def from_wordnet(cls, wn: Any) -> Vocabulary:
        return cls(
            actors=_lemmas_under(wn, ACTOR_ROOTS),
            things=_lemmas_under(wn, THING_ROOTS),
            places=_lemmas_under(wn, PLACE_ROOTS),
        )


def _lemmas_under(wn: Any, roots: dict[str, int]) -> tuple[str, ...]:
    found: set[str] = set()
    for root_name, least_uses in roots.items():
        frontier = [wn.synset(root_name)]
        for _ in range(MAX_DEPTH_BELOW_ROOT):
            frontier = [h for s in frontier for h in s.hyponyms()]
            for synset in frontier:
                for lemma in synset.lemmas():
                    name = lemma.name()
                    if (
                        name.isalpha()
                        and name.islower()
                        and lemma.count() >= least_uses
                        and wn.synsets(name, "n")[0] == synset  # what the word means first
                    ):
                        found.add(name)
    return tuple(sorted(found))


@dataclass(frozen=True)
class Scene:
    """One picture: `main` (with an attribute and a count), what it does, to what, where."""

    main: str
    count: int = 1
    attribute: str | None = None  # a key of ATTRIBUTES
    adjective: str | None = None
    made_of: bool = False  # the material said as "made of wood" instead of "wooden"
    action: str | None = None
    second: str | None = None
    relation: str | None = None
    place: str | None = None
    place_words: tuple[str, str] = ("in", "the")  # preposition and article before the place
    count_words: str | None = None  # the count said otherwise ("a pair of"), if it is


def random_scene(vocabulary: Vocabulary, rng: random.Random) -> Scene:
    attribute = rng.choice([*ATTRIBUTES, None, None])
    adjective = rng.choice(ATTRIBUTES[attribute]) if attribute else None
    place = rng.choice(vocabulary.places) if rng.random() < 0.8 else None
    anything = vocabulary.actors + vocabulary.things
    kind = rng.random()
    if kind < 0.4:
        scene = Scene(
            rng.choice(vocabulary.actors),
            action=rng.choice(TRANSITIVE),
            second=rng.choice(anything),
        )
    elif kind < 0.6:
        scene = Scene(rng.choice(vocabulary.actors), action=rng.choice(INTRANSITIVE))
    elif kind < 0.85:
        scene = Scene(
            rng.choice(anything), relation=rng.choice(RELATIONS), second=rng.choice(anything)
        )
    else:
        scene = Scene(rng.choice(anything))
    count = rng.choice((2, 3)) if rng.random() < 0.15 and attribute != "size" else 1
    return replace(scene, count=count, attribute=attribute, adjective=adjective, place=place)


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def plural(noun: str) -> str:
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    return noun + "s"


def render(scene: Scene) -> str:
    """The scene as a prompt: "two wooden boats next to a lighthouse in the harbour"."""
    words = [scene.main if scene.count == 1 else plural(scene.main)]
    if scene.adjective and scene.made_of and scene.attribute == "material":
        words.append(f"made of {MATERIALS[scene.adjective]}")
    elif scene.adjective:
        words.insert(0, scene.adjective)
    head = " ".join(words)
    count = scene.count_words or COUNT_WORDS[scene.count]
    parts = [f"{article(head) if scene.count == 1 else count} {head}"]
    if scene.action:
        parts.append(scene.action)
    if scene.relation:
        parts.append(scene.relation)
    if scene.second:
        parts.append(f"{article(scene.second)} {scene.second}")
    if scene.place:
        preposition, determiner = scene.place_words
        parts.append(f"{preposition} {determiner} {scene.place}")
    return " ".join(parts)
