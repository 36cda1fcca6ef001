"""Words of a prompt: splitting, the comparison key of a word, function words, contrast sets.

Pure string functions, no model. Two words are "the same word" when their keys are equal: the
key ignores case, accents, surrounding punctuation and a plural ending.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Short grammatical words shown from the start: finding them would be a chore, not a clue.
# Spatial words (under, above, behind, next, left...) are NOT here: they tell two scenes apart.
FUNCTION_WORDS: frozenset[str] = _set(
    """
    a an the of on in at to and or nor but with by for from into onto as
    is are was were be been being am it its this that these those
    his her hers their theirs our ours my your yours he she they we you i me him them us
    some any each very so than then there here while
    """
)

# Members of a set are mutually exclusive in a picture (three penguins are not two penguins, a
# blue car is not a red one), yet their embeddings sit close together (two~three 0.81,
# black~white 0.76 with all-MiniLM-L6-v2). Inside a set, different words never count as related.
CONTRAST_SETS: tuple[frozenset[str], ...] = (
    _set(
        "zero one two three four five six seven eight nine ten eleven twelve twenty hundred "
        "single pair couple dozen several many few"
    ),
    _set(
        "red orange yellow green blue purple violet pink brown black white grey gray "
        "gold golden silver crimson scarlet"
    ),
    _set("left right"),
    _set("up down"),
    _set("above below over under beneath underneath top bottom"),
    _set("front behind back"),
    _set("inside outside"),
    _set("big small large little tiny huge giant"),
    _set("hot cold warm cool chilly"),
    _set("day night morning evening"),
    _set("old young new"),
    _set("happy sad angry"),
    _set("man woman boy girl"),
    _set("sun moon"),
    # What a thing is made of, said as an adjective ("a wooden table", "a glass table"); kinds
    # of one another (steel is a metal, marble a stone) are left out.
    _set(
        "wooden metal metallic plastic glass stone paper leather woollen woolen cotton silk "
        "ceramic brick wicker rubber concrete"
    ),
)

# Adjectives said only after their noun, as a verb form is ("an infant asleep in a cot"), and
# the verb form each says (WordNet has no link between the two).
PREDICATIVE: dict[str, str] = {
    "asleep": "sleeping",
    "awake": "waking",
    "afloat": "floating",
    "adrift": "drifting",
    "aloft": "flying",
    "ablaze": "burning",
    "afire": "burning",
    "alight": "burning",
    "alive": "living",
}

# How players say the built-in model's settings (generator/training/captions.py) in other
# words: the setting's word, then the prepositions that must lead the phrase (empty: any that
# leads to a setting) and the nouns that head it. "under the sea", "beneath the waves" are
# underwater ("in the sea" is not); "among the stars" is outer space; "on the sand" a beach or a
# desert. WordNet links none of these (underwater is "beneath the surface of water", a noun it
# names for no noun), and MiniLM puts stars and space at 0.39, below unrelated settings.
SETTING_PHRASES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "underwater": (_set("under below beneath underneath"), _set("water sea ocean wave deep")),
    "space": (frozenset(), _set("star cosmos universe galaxy orbit")),
    "sky": (frozenset(), _set("air cloud heaven")),
    "beach": (frozenset(), _set("seaside shore seashore sand coast")),
    "desert": (frozenset(), _set("dune sand sahara")),
    "grass": (frozenset(), _set("lawn meadow turf")),
    "snow": (frozenset(), _set("snowfield snowdrift blizzard")),
}

# Synonyms inside one contrast set are still the same meaning (big/large, tiny/little...).
_SAME_MEANING: tuple[frozenset[str], ...] = (
    _set("big large huge giant"),
    _set("small little tiny"),
    _set("couple pair two"),
    _set("grey gray"),
    # One hue to most speakers (WordNet puts them in one synset): "on violet" for "on purple".
    _set("purple violet"),
    _set("red crimson scarlet"),
    _set("gold golden"),
    _set("metal metallic"),
    _set("woollen woolen"),
    _set("below under beneath underneath"),
    _set("above over"),
    # A warm mug of tea is a hot one; only hot/cold and warm/cool are rival values.
    _set("hot warm"),
    _set("cold cool chilly"),
)

# Plurals that a suffix rule gets wrong.
IRREGULAR_PLURALS: dict[str, str] = {
    "mice": "mouse",
    "geese": "goose",
    "teeth": "tooth",
    "feet": "foot",
    "men": "man",
    "women": "woman",
    "children": "child",
    "people": "person",
    "oxen": "ox",
    "cacti": "cactus",
    "fungi": "fungus",
    "octopi": "octopus",
    "dice": "die",
    "leaves": "leaf",
    "wolves": "wolf",
    "knives": "knife",
    "wives": "wife",
    "lives": "life",
    "loaves": "loaf",
    "halves": "half",
    "calves": "calf",
    "shelves": "shelf",
    "elves": "elf",
    "thieves": "thief",
    "scarves": "scarf",
    "hooves": "hoof",
    "potatoes": "potato",
    "tomatoes": "tomato",
    "heroes": "hero",
    "volcanoes": "volcano",
    "mangoes": "mango",
    "echoes": "echo",
    "movies": "movie",
    "cookies": "cookie",
    "pies": "pie",
    "ties": "tie",
    "zombies": "zombie",
    "brownies": "brownie",
    "hippies": "hippie",
    "species": "species",
}

# Irregular plurals long enough to end a compound too ("bookshelves", "grandchildren");
# shorter ones would catch other words ("olives" ends in "lives", "omen" in "men").
_COMPOUND_PLURALS = tuple(p for p in IRREGULAR_PLURALS if len(p) >= 6)

# Words ending in "s" that are not plurals.
_NOT_PLURAL: frozenset[str] = _set(
    """
    bus gas yes its his has was is this us plus lens news chess glass grass class moss dress
    boss cross bass mass kiss octopus cactus platypus hippopotamus rhinoceros walrus circus
    iris bonus virus campus census status canvas atlas bias tennis pants jeans scissors
    glasses trousers shorts series sheep fish deer moose bison aircraft cosmos chaos
    """
)

_WORD_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


@dataclass(frozen=True)
class Token:
    """One word as written (``text``) and its comparison key (``key``)."""

    text: str
    key: str

    @property
    def is_function_word(self) -> bool:
        return self.key in FUNCTION_WORDS


def fold(text: str) -> str:
    """Case, width and accents folded: 'Café' and 'CAFE' fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def singular(word: str) -> str:
    """A small plural-to-singular rule set for nouns that appear in prompts."""
    if word in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[word]
    if word.endswith(_COMPOUND_PLURALS):  # one check for the common case: no such ending
        plural = next(p for p in _COMPOUND_PLURALS if word.endswith(p))
        return word[: -len(plural)] + IRREGULAR_PLURALS[plural]
    if len(word) <= 3 or word in _NOT_PLURAL or not word.endswith("s"):
        return word
    if word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("es") and word[:-2] in _NOT_PLURAL:  # buses, lenses, walruses
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return word[:-2]
    return word[:-1]


# Players type counts as digits ("3 mice") as often as words: both spell the same word.
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve"
NUMERALS: dict[int, str] = dict(enumerate(_NUMBER_WORDS.split()))


def word_key(word: str) -> str:
    """The key two spellings of the same word share; empty for a word with no letters."""
    folded = fold(word).replace("’", "'")
    if folded.endswith("'s"):
        folded = folded[:-2]
    letters = re.sub(r"[^\w\-]", "", folded).strip("-_")
    if letters.isascii() and letters.isdigit():
        return NUMERALS.get(int(letters), letters)
    return singular(letters)


def tokens(text: str) -> list[Token]:
    """Words of a prompt or guess in order, with punctuation dropped."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[Token, ...]:
    # Cached: a guess splits today's answer four times (its marks, the rules, the tiles), and
    # the guesses that many players type alike come back often.
    found = _WORD_RE.findall(unicodedata.normalize("NFKC", text))
    return tuple(Token(text=w, key=key) for w in found if (key := word_key(w)))


def contrasting(key_a: str, key_b: str) -> bool:
    """True when two different words are rival values of one attribute (red vs blue)."""
    if key_a == key_b or same_meaning(key_a, key_b):
        return False
    return any(key_a in group and key_b in group for group in CONTRAST_SETS)


def on_other_scales(key_a: str, key_b: str) -> bool:
    """True for values of two different attributes (red and three, big and wooden): neither
    says anything about the other."""
    scales_a = {n for n, group in enumerate(CONTRAST_SETS) if key_a in group}
    scales_b = {n for n, group in enumerate(CONTRAST_SETS) if key_b in group}
    return bool(scales_a) and bool(scales_b) and not scales_a & scales_b


def same_meaning(key_a: str, key_b: str) -> bool:
    """True for listed synonyms in contrast sets (big/large), where embeddings are unreliable,
    and for a predicative adjective and its verb form (asleep/sleeping)."""
    if PREDICATIVE.get(key_a) == key_b or PREDICATIVE.get(key_b) == key_a:
        return True
    return any(key_a in group and key_b in group for group in _SAME_MEANING)
