"""How two words relate, from WordNet: the same thing, a kind of it, a part, a rival, a sibling.

WordNet 3.0 comes from Debian's `wordnet-base` package (/usr/share/wordnet, or the directory
the caller names: the game passes its SIXFOLD_WORDNET_DIR setting) and is read with NLTK's
reader; nothing is ever downloaded. Without it, `get_lexicon()` logs one warning and returns
None, and the scorer falls back to word-embedding cosines alone (see game.scoring.alignment).

Why WordNet and not only the sentence model's word vectors: all-MiniLM-L6-v2 puts puppy~dog
(0.80) and two~three (0.81) or cat~dog (0.66) too close together to draw a line between "names
the same thing" and "names a neighbouring thing". WordNet says it outright: a puppy is a dog,
a teepee is a tent, cat and dog are both carnivores (siblings), big is the antonym of small.
"""

from __future__ import annotations

import enum
import io
import logging
import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from game.scoring.words import contrasting, same_meaning

log = logging.getLogger(__name__)

DEFAULT_WORDNET_DIR = "/usr/share/wordnet"


class Relation(enum.Enum):
    """What a guess word is to an answer word, best first."""

    SAME = "same"  # same word, synonym, spelling variant, attribute said as its noun
    KIND = "kind"  # one is a kind of the other (puppy/dog, tent/shelter)
    PART = "part"  # one is a part or member of the other (wheel/car)
    SIBLING = "sibling"  # kinds of one nearby thing (cat/dog, car/truck)
    OTHER = "other"  # both known, no relation found
    RIVAL = "rival"  # rival values of one attribute (red/blue, big/small, two/three)
    UNKNOWN = "unknown"  # a word WordNet does not know, or no WordNet: the embedding decides


# A "near" mark: the guess word names the same thing, a kind of it, or what it is a kind of.
NEAR_RELATIONS = frozenset({Relation.SAME, Relation.KIND})

# Debian's wordnet-base ships the database files but not `lexnames`, which NLTK's reader opens
# first; its content is fixed by the WordNet 3.0 format (lexnames(5WN)): number, name, category.
_LEXNAMES = tuple(
    str.split(
        "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
        "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
        "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
        "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
        "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
        "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
        "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
    )
)
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}

# A kind-of link counts within this many hypernym steps, and only when the more general word
# is a concrete thing: min_depth >= 5 keeps "woman" (5) and "shelter" (6) for lady and tent
# but not "artifact" (4) or "object" (2), and WordNet's top categories (noun.Tops: animal,
# person, organism...) never count, which would make nearly every object near every other.
KIND_MAX_STEPS = 5
KIND_MIN_DEPTH = 5
# A direct hypernym counts as what a word is a kind of from this depth on, though a farther
# one needs KIND_MIN_DEPTH: a pond is a lake (depth 4), a sea a body of water (3).
KIND_DIRECT_MIN_DEPTH = 3
# Siblings share a hypernym at most this many steps above each (cat->feline->carnivore<-canine
# <-dog), not too abstract (min_depth >= 5).
SIBLING_MAX_STEPS = 3
SIBLING_MIN_DEPTH = 5
# A sense takes part when it is the word's first in its part of speech or is used at least
# this share as often as the most used sense (SemCor counts in cntlist.rev); rare senses
# ("cat" as a slang word for a man) would otherwise relate words that players never mean.
SENSE_SHARE = 0.1
UNCOUNTED_SENSES = 3
# A verb's senses take part when verbs carry this share of the word's counted uses: "dog" the
# verb (2 uses against 42) would make dog a synonym of chase.
POS_SHARE = 0.25

# British spellings and their American forms, as suffix rewrites (colour/color,
# theatre/theater, realise/realize); checked on the words themselves, so they work without
# WordNet too.
_SPELLING_REWRITES = (
    ("our", "or"),
    ("ours", "ors"),
    ("tre", "ter"),
    ("ise", "ize"),
    ("yse", "yze"),
    ("ogue", "og"),
    ("ence", "ense"),
)
_SPELLING_INFIXES = (("ae", "e"), ("oe", "e"), ("ll", "l"))

# Where a gloss's first noun phrase ends: "young domestic cat" (kitten), "a Native American
# tent; usually of conical shape" (teepee). Its last word is the genus, what the thing is a
# kind of, which WordNet does not always link (kitten's hypernym is "young mammal"; meadow's
# is "grassland", its gloss "a field where grass or alfalfa are grown").
_GLOSS_STOP = re.compile(
    r"[;,(:]| (?:of|that|with|in|on|for|used|who|which|where|having|from|by|or|and|as|to|"
    r"especially|usually|typically|often)\b"
)
_GLOSS_LEAD = re.compile(r"^(?:\([^)]*\)\s*)?(?:especially |usually |any |an? |the )*")


class LexiconMissing(RuntimeError):
    """WordNet cannot be read from the configured directory."""


def spelling_variants(a: str, b: str) -> bool:
    """True when a and b are British and American spellings of one word (colour/color)."""
    if a == b or abs(len(a) - len(b)) > 2:
        return False
    for british, american in _SPELLING_REWRITES:
        for x, y in ((a, b), (b, a)):
            stem = x[: -len(british)]
            # At least three letters before the ending: four/for and hour/hor are not variants.
            if x.endswith(british) and len(stem) >= 3 and stem + american == y:
                return True
    for british, american in _SPELLING_INFIXES:
        for x, y in ((a, b), (b, a)):
            if british in x and x.replace(british, american, 1) == y:
                return True
    return False


def _open_reader(root: Path) -> Any:
    """NLTK's WordNet reader on a directory of WordNet 3.0 database files."""
    if not (root / "data.noun").is_file() or not (root / "index.noun").is_file():
        raise LexiconMissing(f"no WordNet database in {root} (install Debian's wordnet-base)")
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    # NLTK refuses to open files outside the directories on its data path.
    if str(root) not in nltk.data.path:
        nltk.data.path.append(str(root))

    class DebianWordNetReader(WordNetCorpusReader):
        def open(self, file: str) -> Any:
            if file == "lexnames":
                return io.StringIO(
                    "".join(
                        f"{n:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n"
                        for n, name in enumerate(_LEXNAMES)
                    )
                )
            return super().open(file)

        def map_wn(self, version: str = "wordnet") -> None:
            # The mapping to another WordNet version is for the multilingual data, which this
            # reader does not use; building it would need NLTK's downloaded copy.
            return None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available"
        return DebianWordNetReader(str(root), None)


@dataclass(frozen=True)
class _Profile:
    """What a word's senses are and reach, computed once per word so that relating two words
    is a few set operations (relating a new guess word to an answer's words is on the guess
    path)."""

    senses: frozenset[Any]
    every_sense: frozenset[Any]  # its first senses too, to match another word's common sense
    similar: frozenset[Any]  # adjective heads and satellites of its senses (tiny -> small)
    antonyms: frozenset[Any]
    ancestors: dict[Any, int]  # hypernyms up to KIND_MAX_STEPS (2 for verbs) -> steps
    kind_targets: frozenset[Any]  # its senses concrete enough to be what another is a kind of
    leading_targets: frozenset[Any]  # the same among its leading but rarely used senses
    leading_parents: frozenset[Any]  # direct hypernyms of those senses (novel -> book)
    sibling_roots: frozenset[Any]  # near, not too abstract hypernyms
    direct_targets: frozenset[Any]  # its senses concrete enough to be a direct hypernym
    genus: frozenset[str]  # what its noun glosses say it is ("kitten: young domestic cat")
    material: frozenset[str]  # nouns its adjective senses are made of or pertain to
    parts: frozenset[Any]  # its part, substance and member meronyms
    domains: frozenset[str]  # lexicographer files of its noun senses (noun.object, ...)
    names: frozenset[str]  # its lemmas, in every sense (sea: sea; hilltop: hilltop, brow...)
    mentions: frozenset[str]  # words its glosses, examples and parents' glosses use, as keys
    # Lemmas of the verbs its noun senses derive from or give, and of the nouns its verb senses
    # do (bicycle: the verb "cycle"; fisherman: "fish"; skiing: the noun "ski").
    derived: frozenset[str]
    bases: frozenset[str]  # the word and its noun and verb base forms (skis: ski)
    defined_by: frozenset[str]  # the words of its common senses' glosses (girl: young, woman)


class Lexicon:
    """Relations between two word keys (see game.scoring.words.word_key), cached per word and
    pair."""

    def __init__(self, reader: Any, counts: dict[str, int] | None = None) -> None:
        self.wn = reader
        # SemCor sense counts (cntlist.rev), read once: NLTK looks each up in the file.
        self.counts = counts if counts is not None else _read_counts(Path(reader.root.path))
        self.relation = lru_cache(maxsize=200_000)(self._relation)
        self.phrasal = lru_cache(maxsize=20_000)(self._phrasal)
        self.profile = lru_cache(maxsize=50_000)(self._locked_profile)
        self._min_depth = lru_cache(maxsize=200_000)(lambda synset: synset.min_depth())
        # NLTK's reader seeks and reads shared file objects: guesses scored on several threads
        # must not read WordNet at once. Cached relations and profiles never take the lock.
        self._reading = threading.RLock()

    def _locked_profile(self, word: str) -> _Profile:
        with self._reading:
            return self._profile(word)

    def knows(self, word: str) -> bool:
        return bool(self.profile(word).senses)

    # ---------------------------------------------------------------- one word

    def _senses(self, word: str) -> tuple[list[Any], list[Any]]:
        """The senses of a word that players mean (common ones, in common parts of speech),
        and those with its first few senses in those parts of speech."""
        by_pos: dict[str, list[tuple[Any, int]]] = {}
        for synset in self.wn.synsets(word.replace("-", "_")):
            lemma = self._lemma_for(synset, word)
            if lemma is None or lemma.name()[:1].isupper():  # proper nouns: "Snow", "Burger"
                continue
            pos = "a" if synset.pos() == "s" else synset.pos()
            by_pos.setdefault(pos, []).append((synset, self.counts.get(lemma.key(), 0)))
        totals = {pos: sum(c for _, c in senses) for pos, senses in by_pos.items()}
        grand = sum(totals.values())
        kept: list[Any] = []
        leading: list[Any] = []  # the first few senses of each part of speech kept
        for pos, senses in by_pos.items():
            if pos == "v" and grand and totals[pos] < POS_SHARE * grand:
                continue
            leading += [s for s, _ in senses[:UNCOUNTED_SENSES]]
            top = max(c for _, c in senses)
            if top == 0:  # a word SemCor never saw: its first few senses, in WordNet's order
                kept += [s for s, _ in senses[:UNCOUNTED_SENSES]]
                continue
            floor = max(1, SENSE_SHARE * top)
            kept += [s for n, (s, c) in enumerate(senses) if n == 0 or c >= floor]
        return kept, kept + leading

    def _lemma_for(self, synset: Any, word: str) -> Any | None:
        wanted = {word.replace("-", "_"), self.wn.morphy(word, synset.pos()) or word}
        for lemma in synset.lemmas():
            if lemma.name().lower() in wanted:
                return lemma
        return None

    def _profile(self, word: str) -> _Profile:
        senses, every_sense = self._senses(word)
        ancestors: dict[Any, int] = {}
        for s in senses:
            frontier, limit = [s], KIND_MAX_STEPS if s.pos() == "n" else 2
            for step in range(1, limit + 1):
                frontier = [h for f in frontier for h in f.hypernyms() + f.instance_hypernyms()]
                for h in frontier:
                    ancestors[h] = min(ancestors.get(h, step), step)
        adjectives = [s for s in senses if s.pos() in "as"]
        nouns = [s for s in senses if s.pos() == "n"]
        return _Profile(
            senses=frozenset(senses),
            every_sense=frozenset(every_sense),
            similar=frozenset(h for s in adjectives for h in s.similar_tos()),
            antonyms=frozenset(
                a.synset() for s in senses for lemma in s.lemmas() for a in lemma.antonyms()
            ),
            ancestors=ancestors,
            kind_targets=frozenset(s for s in senses if self._concrete(s)),
            leading_targets=frozenset(
                s for s in every_sense if s not in senses and self._concrete(s)
            ),
            leading_parents=frozenset(
                h for s in every_sense if s not in senses for h in s.hypernyms()
            ),
            sibling_roots=frozenset(
                h
                for h, steps in ancestors.items()
                if steps <= SIBLING_MAX_STEPS and self._min_depth(h) >= SIBLING_MIN_DEPTH
            ),
            direct_targets=frozenset(
                s
                for s in senses
                if s.pos() != "n"
                or (self._min_depth(s) >= KIND_DIRECT_MIN_DEPTH and s.lexname() != "noun.Tops")
            ),
            genus=frozenset(g for s in nouns if (g := self._genus(s))),
            material=frozenset(
                self._materials(adjectives, [s for s in every_sense if s.pos() in "as"])
            ),
            parts=frozenset(
                m
                for s in senses
                for m in s.part_meronyms() + s.substance_meronyms() + s.member_meronyms()
            ),
            domains=frozenset(s.lexname() for s in nouns),
            names=frozenset(lemma.name().lower() for s in every_sense for lemma in s.lemmas())
            | {word},
            mentions=frozenset(self._mentions(every_sense)),
            derived=frozenset(self._derived(word, senses)),
            bases=frozenset({word} | {b for pos in "nv" if (b := self.wn.morphy(word, pos))}),
            defined_by=frozenset(w for s in senses for w in _definition_words(s.definition())),
        )

    def _derived(self, word: str, senses: list[Any]) -> set[str]:
        """The lemmas of every synset that a sense's own lemma of the word derives from or gives,
        across noun and verb (bicycle -> bicycle, cycle, bike, pedal, wheel: the verb). Only
        through the word's own lemma: "reading" is also a meter's record, which does not make
        a book, another "record", an act of reading."""
        found: set[str] = set()
        for s in senses:
            pos = "v" if s.pos() == "v" else "n"
            lemma = self._lemma_for(s, word)
            if lemma is not None:
                for form in lemma.derivationally_related_forms():
                    other = form.synset()
                    if other.pos() in "nv" and other.pos() != pos:
                        found.update(name.name().lower() for name in other.lemmas())
        return found

    def _mentions(self, senses: list[Any]) -> set[str]:
        """The things a player might picture with a word, as its definitions name them: a
        beach's sand, a forest's trees, a kitchen's stove (in the stove's gloss). Nouns only:
        "underwater" is "beneath the surface", and "beneath" names no thing."""
        found: set[str] = set()
        for s in senses:
            glosses = [s.definition(), *s.examples(), *(h.definition() for h in s.hypernyms())]
            for word in re.findall(r"[a-z]+", " ".join(glosses).lower()):
                noun = self.wn.morphy(word, "n")
                if noun and len(noun) > 2:
                    found.add(noun)
        return found

    def _concrete(self, synset: Any) -> bool:
        """Concrete enough to be what another word is a kind of (see KIND_MIN_DEPTH)."""
        return synset.pos() != "n" or (
            self._min_depth(synset) >= KIND_MIN_DEPTH and synset.lexname() != "noun.Tops"
        )

    def _materials(self, adjective_senses: list[Any], leading_senses: list[Any]) -> set[str]:
        """Nouns an adjective says a thing is made of or covered with (wooden: wood, snowy:
        snow): the derivations and pertainyms of its common and leading senses (sandy's sand
        sense is a leading one, behind "flaxen"), and the nouns early in its common senses'
        glosses ("made or consisting of ... wood"), but not the gloss's other words, so that
        "made" in "a house made of wood" is not taken for "wooden" ahead of "wood"."""
        found: set[str] = set()
        for s in leading_senses:
            for lemma in s.lemmas():
                related = lemma.derivationally_related_forms() + lemma.pertainyms()
                found.update(r.name().lower() for r in related)
        for s in adjective_senses:
            gloss = re.sub(r"\([^)]*\)", " ", s.definition()).split()[:8]
            found.update(k for word in gloss if self.wn.synsets(k := self._noun_key(word), "n"))
        return found

    def _noun_key(self, word: str) -> str:
        return self.wn.morphy(word.strip(".,;").lower(), "n") or word.lower()

    def _genus(self, synset: Any) -> str:
        """The head of a noun gloss's first phrase: "young domestic cat" -> cat."""
        gloss = _GLOSS_LEAD.sub("", synset.definition().lower())
        head = _GLOSS_STOP.split(gloss, maxsplit=1)[0].split()
        if not head:
            return ""
        key = self._noun_key(head[-1])
        # A plural genus names a group ("forest: the trees and other plants..."), not a kind,
        # and a word with no noun sense is no genus ("left: location near or direction...").
        if key != head[-1].strip(".,;") or not self.wn.synsets(key, "n"):
            return ""
        return key

    # ---------------------------------------------------------------- two words

    def leading_kind(self, a: str, b: str) -> bool:
        """Is one word a kind of a leading but rarely used sense of the other (a boy is a
        son, a son is a child, and "kid" is first of all a child; a dolphin is a whale)? Too
        loose to count alone: the scorer asks the embedding as well."""
        pa, pb = self.profile(a), self.profile(b)
        if pa.leading_parents & pb.kind_targets or pb.leading_parents & pa.kind_targets:
            return True  # a novel is first a work of fiction, then a printed book
        return any(t in pa.ancestors for t in pb.leading_targets) or any(
            t in pb.ancestors for t in pa.leading_targets
        )

    def derives(self, a: str, b: str) -> bool:
        """Do an action and a thing name each other, a verb and a noun made one from the other
        (cycling and a bicycle, fishing and a fisherman, skiing and skis)? WordNet's
        derivational links between the two words' own lemmas, or one base form (ski)."""
        pa, pb = self.profile(a), self.profile(b)
        return bool(pa.bases & pb.bases or pa.derived & pb.bases or pb.derived & pa.bases)

    def _phrasal(self, verb: str, particle: str) -> str | None:
        """The phrasal verb a verb form and its particle make ("sitting down": sit_down), or the
        one its more general verb makes with that particle ("running after": run is a way to
        go, and go_after is chasing); None when WordNet has neither (cached as `phrasal`)."""
        with self._reading:
            base = self.wn.morphy(verb, "v")
            if base is None:
                return None
            if self.wn.synsets(f"{base}_{particle}", "v"):
                return f"{base}_{particle}"
            # The verb's first senses in WordNet's order (most used first), each up to two
            # steps more general: run -> travel rapidly -> travel, whose lemma "go" makes
            # go_after.
            for sense in self.wn.synsets(base, "v")[:UNCOUNTED_SENSES]:
                frontier = [sense]
                for _ in range(2):
                    frontier = [h for f in frontier for h in f.hypernyms()]
                    for general in frontier:
                        for lemma in general.lemmas():
                            name = f"{lemma.name().lower()}_{particle}"
                            if self.wn.synsets(name, "v"):
                                return name
        return None

    def implies(self, thing: str, attribute: str) -> bool:
        """Does the thing's own definition say the attribute ("girl: a young woman", "kitten:
        young domestic cat")? Then "a young girl" says no more than "a girl"."""
        return attribute in self.profile(thing).defined_by

    def associated(self, a: str, b: str) -> bool:
        """Does one word's WordNet entry name the other (sand in "a beach: ...sand...", the
        stove's "a kitchen appliance")? Places are said by what is found there ("among the
        trees" for "in a forest"); see game.scoring.alignment.ASSOCIATED_CREDIT."""
        pa, pb = self.profile(a), self.profile(b)
        return bool(pa.names & pb.mentions or pb.names & pa.mentions)

    def same_domain(self, a: str, b: str) -> bool:
        """Do a and b have noun senses in one lexicographer file (both noun.object: sea and
        ocean; not snow, noun.phenomenon, and winter, noun.time)?"""
        return bool(self.profile(a).domains & self.profile(b).domains)

    def _relation(self, a: str, b: str) -> Relation:
        if a == b or same_meaning(a, b) or spelling_variants(a, b):
            return Relation.SAME
        if contrasting(a, b):
            return Relation.RIVAL
        pa, pb = self.profile(a), self.profile(b)
        if not pa.senses or not pb.senses:
            return Relation.UNKNOWN
        # One word's common sense may be a leading but uncounted sense of the other: a
        # chopper is a helicopter to players, though SemCor only counted it as a cut of meat.
        if pa.senses & pb.every_sense or pb.senses & pa.every_sense:
            return Relation.SAME
        if pa.similar & pb.senses or pb.similar & pa.senses:
            return Relation.SAME
        if pa.antonyms & pb.senses or pb.antonyms & pa.senses:
            return Relation.RIVAL
        if b in pa.material or a in pb.material:  # wooden/wood
            return Relation.SAME
        if self._kind_of(pa, pb, b) or self._kind_of(pb, pa, a):
            return Relation.KIND
        if pa.parts & pb.senses or pb.parts & pa.senses:
            return Relation.PART
        if pa.sibling_roots & pb.sibling_roots:
            return Relation.SIBLING
        return Relation.OTHER

    @staticmethod
    def _kind_of(specific: _Profile, general: _Profile, general_word: str) -> bool:
        """Is a sense of `specific` a kind of a sense of `general` (or glossed as one)?"""
        if not general.direct_targets:
            return False
        if general.kind_targets and general_word in specific.genus:
            return True
        if any(specific.ancestors.get(t) == 1 for t in general.direct_targets):
            return True
        return any(t in specific.ancestors for t in general.kind_targets)


# Where a definition stops saying what the thing is and starts telling about it: a dog is "a
# member of the genus Canis", and the rest ("that has been domesticated by man ...") names
# other things.
_DEFINITION_END = re.compile(r";|\b(?:that|which|who|whose|where|when)\b")


def _definition_words(definition: str) -> list[str]:
    """The words of a definition's first clause, asides in brackets left out ("(probably
    descended from the common wolf)")."""
    plain = re.sub(r"\([^)]*\)", " ", definition.lower())
    return re.findall(r"[a-z]+", _DEFINITION_END.split(plain, maxsplit=1)[0])


def _read_counts(root: Path) -> dict[str, int]:
    """Sense key -> how often SemCor tagged it, from cntlist.rev ("key sense_number count")."""
    counts: dict[str, int] = {}
    path = root / "cntlist.rev"
    if not path.is_file():
        return counts
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            fields = line.split()
            if len(fields) == 3 and fields[2].isdigit():
                counts[fields[0]] = int(fields[2])
    return counts


_lexicon: Lexicon | None = None
_loaded = False
_lock = threading.Lock()


def get_lexicon(directory: Path | None = None) -> Lexicon | None:
    """The process-wide lexicon, read once (about 2 s) from `directory` (default: Debian's) on
    the first call, which decides; None, with one warning, without WordNet."""
    global _lexicon, _loaded
    with _lock:
        if not _loaded:
            _loaded = True
            try:
                _lexicon = Lexicon(_open_reader(directory or Path(DEFAULT_WORDNET_DIR)))
            except (LexiconMissing, ImportError, OSError) as error:
                log.warning(
                    "WordNet is not available (%s): word marks and scores fall back to word "
                    "embeddings alone, so synonyms and kinds-of are often missed. Install "
                    "Debian's wordnet-base (apt-get install wordnet-base) or set "
                    "SIXFOLD_WORDNET_DIR to its directory.",
                    error,
                )
        return _lexicon


def wordnet_missing(directory: Path | None = None) -> str | None:
    """Why WordNet cannot be used, or None when it can (for tests that need it)."""
    root = directory or Path(DEFAULT_WORDNET_DIR)
    if not (root / "data.noun").is_file():
        return f"needs WordNet: install Debian's wordnet-base (no database in {root})"
    try:
        import nltk  # noqa: F401
    except ImportError:
        return "needs WordNet: the nltk package is not installed"
    return None
