"""(caption, the same picture in other words, another picture in the same words) for tuning.

The other words come from WordNet through the scorer's lexicon (common senses only, lemmas
SemCor saw): a synonym or a kind of a thing, a synonym of an action, a size or age said
otherwise, a material said as "made of ...", a relation said otherwise, a looser article and
preposition before the place. The other picture changes one thing a player would see: the main
or second thing (a sibling in WordNet, or anything), the place, an attribute's value, the
action, a relation to its opposite, the count, or the roles of the two things.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from game.scoring.tuning.scenes import (
    ATTRIBUTES,
    INTRANSITIVE,
    OTHER_COUNT_WORDS,
    TRANSITIVE,
    Scene,
    Vocabulary,
    random_scene,
    render,
)

SIZE_WORDS: dict[str, tuple[str, ...]] = {"big": ("large", "huge"), "small": ("little", "tiny")}
AGE_WORDS: dict[str, tuple[str, ...]] = {"old": ("elderly", "aged"), "young": ("little",)}
RELATION_WORDS = {
    "next to": ("beside", "by"),
    "above": ("over",),
    "below": ("under", "beneath"),
    "near": ("close to", "by"),
    "in front of": ("before",),
}
OPPOSITE_RELATIONS = {
    "above": "below",
    "below": "above",
    "to the left of": "to the right of",
    "to the right of": "to the left of",
    "in front of": "behind",
    "behind": "in front of",
}
PLACE_WORDS = (("in", "a"), ("at", "the"), ("by", "the"), ("in", "the"), ("at", "a"))
MOUNTED_ACTIONS = frozenset({"riding", "driving"})

Triple = tuple[str, str, str]


class WordSource:
    """Synonyms, kinds and siblings of a word's common sense, from the scorer's lexicon."""

    def __init__(self, lexicon: Any) -> None:
        self.lexicon = lexicon

    def _sense(self, word: str, pos: str) -> Any | None:
        for sense in self.lexicon.profile(word).senses:
            if sense.pos() == pos:
                return sense
        return None

    @staticmethod
    def _names(synsets: list[Any], word: str) -> list[str]:
        return sorted(
            {
                lemma.name().replace("_", " ")
                for s in synsets
                for lemma in s.lemmas()
                if lemma.name().islower() and lemma.count() > 0 and lemma.name() != word
            }
        )

    def synonyms(self, word: str, pos: str = "n") -> list[str]:
        sense = self._sense(word, pos)
        return self._names([sense], word) if sense is not None else []

    def kinds(self, word: str) -> list[str]:
        sense = self._sense(word, "n")
        return self._names(sense.hyponyms(), word) if sense is not None else []

    def siblings(self, word: str) -> list[str]:
        sense = self._sense(word, "n")
        if sense is None:
            return []
        others = [c for h in sense.hypernyms() for c in h.hyponyms() if c != sense]
        return [n for n in self._names(others, word) if " " not in n]


def _ing(verb: str) -> str:
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith("ee"):
        return verb[:-1] + "ing"
    return verb + "ing"


def paraphrase(scene: Scene, words: WordSource, rng: random.Random) -> Scene | None:
    """The same picture with one to three things said otherwise; None when nothing could be."""
    edits: list[Callable[[Scene], Scene | None]] = [
        lambda s: _renamed(s, "main", words.synonyms(s.main) + words.kinds(s.main)[:4], rng),
        lambda s: _renamed(s, "second", _alternatives(s.second, words), rng),
        lambda s: _renamed(s, "place", words.synonyms(s.place) if s.place else [], rng),
        lambda s: _reworded_action(s, words, rng),
        lambda s: _reworded_attribute(s, rng),
        lambda s: _reworded_relation(s, rng),
        lambda s: _action_as_company(s, rng),
        lambda s: _count_said_otherwise(s, rng),
    ]
    wanted, done = rng.choice((1, 2, 3)), 0
    for edit in rng.sample(edits, len(edits)):
        changed = edit(scene)
        if changed is not None:
            scene, done = changed, done + 1
        if done == wanted:
            break
    if scene.place and rng.random() < 0.5:
        scene = replace(scene, place_words=rng.choice(PLACE_WORDS))
    return scene if done else None


def _alternatives(word: str | None, words: WordSource) -> list[str]:
    return words.synonyms(word) + words.kinds(word)[:4] if word else []


def _renamed(scene: Scene, field: str, options: list[str], rng: random.Random) -> Scene | None:
    if not options:
        return None
    change: dict[str, Any] = {field: rng.choice(options)}
    return replace(scene, **change)


def _reworded_action(scene: Scene, words: WordSource, rng: random.Random) -> Scene | None:
    if not scene.action:
        return None
    base = words.lexicon.wn.morphy(scene.action, "v") or scene.action
    options = [v for v in words.synonyms(base, "v") if " " not in v]
    return replace(scene, action=_ing(rng.choice(options))) if options else None


def _reworded_attribute(scene: Scene, rng: random.Random) -> Scene | None:
    if scene.attribute == "material" and scene.count == 1 and not scene.made_of:
        return replace(scene, made_of=True)
    tables: dict[str, dict[str, tuple[str, ...]]] = {"size": SIZE_WORDS, "age": AGE_WORDS}
    table = tables.get(scene.attribute or "", {})
    options = table.get(scene.adjective or "", ())
    return replace(scene, adjective=rng.choice(options)) if options else None


def _action_as_company(scene: Scene, rng: random.Random) -> Scene | None:
    """Who does something with a thing is pictured with it: "a girl with a kite" for "a girl
    flying a kite", "a man on a horse" for "a man riding a horse"."""
    if not scene.action or not scene.second:
        return None
    word = "on" if scene.action in MOUNTED_ACTIONS and rng.random() < 0.7 else "with"
    return replace(scene, action=None, relation=word)


def _count_said_otherwise(scene: Scene, rng: random.Random) -> Scene | None:
    options = OTHER_COUNT_WORDS.get(scene.count, ())
    return replace(scene, count_words=rng.choice(options)) if options else None


def _reworded_relation(scene: Scene, rng: random.Random) -> Scene | None:
    options = RELATION_WORDS.get(scene.relation or "", ())
    return replace(scene, relation=rng.choice(options)) if options else None


def other_picture(
    scene: Scene, vocabulary: Vocabulary, words: WordSource, rng: random.Random
) -> Scene | None:
    """The scene with one thing a player would see changed, its other words kept."""
    anything = vocabulary.actors + vocabulary.things
    changes: list[Callable[[], Scene | None]] = [
        lambda: replace(scene, main=_another(scene.main, words, anything, rng)),
        lambda: (
            replace(scene, second=_another(scene.second, words, anything, rng))
            if scene.second
            else None
        ),
        lambda: (
            replace(scene, place=rng.choice([p for p in vocabulary.places if p != scene.place]))
            if scene.place
            else None
        ),
        lambda: (
            replace(scene, main=scene.second, second=scene.main)
            if scene.second and scene.second != scene.main
            else None
        ),
        lambda: _other_value(scene, rng),
        lambda: _other_action(scene, rng),
        lambda: (
            replace(scene, relation=OPPOSITE_RELATIONS[scene.relation])
            if scene.relation in OPPOSITE_RELATIONS
            else None
        ),
        lambda: replace(
            scene,
            count=rng.choice([c for c in (1, 2, 3) if c != scene.count]),
            count_words=None,
            adjective=None if scene.attribute == "size" else scene.adjective,
        ),
    ]
    for change in rng.sample(changes, len(changes)):
        changed = change()
        if changed is not None:
            return changed
    return None


def _another(
    word: str | None, words: WordSource, anything: tuple[str, ...], rng: random.Random
) -> str:
    siblings = words.siblings(word) if word else []
    if siblings and rng.random() < 0.6:
        return rng.choice(siblings)
    return rng.choice([w for w in anything if w != word])


def _other_value(scene: Scene, rng: random.Random) -> Scene | None:
    if not scene.attribute or not scene.adjective:
        return None
    values = [v for v in ATTRIBUTES[scene.attribute] if v != scene.adjective]
    return replace(scene, adjective=rng.choice(values), made_of=False)


def _other_action(scene: Scene, rng: random.Random) -> Scene | None:
    if not scene.action:
        return None
    pool = TRANSITIVE if scene.second else INTRANSITIVE
    return replace(scene, action=rng.choice([a for a in pool if a != scene.action]))


def triples(lexicon: Any, seed: int) -> Iterator[Triple]:
    """Endless distinct-text triples, the same for the same seed and WordNet."""
    rng = random.Random(seed)
    vocabulary = Vocabulary.from_wordnet(lexicon.wn)
    words = WordSource(lexicon)
    while True:
        scene = random_scene(vocabulary, rng)
        same = paraphrase(scene, words, rng)
        other = other_picture(scene, vocabulary, words, rng)
        if same is None or other is None:
            continue
        texts = (render(scene), render(same), render(other))
        if len(set(texts)) == 3:
            yield texts
