"""Words that share a pair beyond one answer word for one guess word (game.scoring.alignment).

A name of two words is one thing ("a police car", "outer space"), a verb and its particle one
action ("running after"), a phrase can say a setting whole ("beneath the waves" for
"underwater"), an action can be said through its thing ("a fisherman" for "a man fishing"),
and a word can add nothing a definition does not already say ("a young girl"). Each helper
finds such words from the two role parses (game.scoring.roles) and WordNet (game.scoring.lexicon);
the
alignment decides what they earn.
"""

from __future__ import annotations

from dataclasses import dataclass

from game.scoring.lexicon import Lexicon
from game.scoring.marks import NEAR
from game.scoring.roles import RELATION, SETTING, RoleParse
from game.scoring.words import SETTING_PHRASES

# An action said through its thing ("a fisherman" for "a man fishing"; pair_actions) names
# what the answer's word does.
IMPLIED_CREDIT = 1.0
# Particles that make a phrasal verb with the verb before them ("running after", "sitting down").
PARTICLES = frozenset({"after", "up", "down", "off", "out", "away", "over", "at", "around"})


@dataclass(frozen=True)
class Pair:
    """What one answer word is paired with (game.scoring.alignment), and the mark and credit it
    earns."""

    guess_index: int  # token position in the guess
    state: str
    credit: float
    modifier: bool = False  # the first word of an answer compound its head's pair names


def compounds(
    parse: RoleParse, lexicon: Lexicon | None, other_keys: set[str]
) -> dict[int, tuple[int, str]]:
    """Head position -> (the position of its modifier, the name the two make) when the two are
    one name: in WordNet ("a sailing ship", "a big cat", "a living room", "a police car"), or
    spelled as one word on the other side ("a snow man" for "a snowman"); the modifier comes
    before the head or after it with "of" ("a castle of sand" for "a sandcastle"). A verb and
    the particle after it are one too ("running after": game.scoring.lexicon.Lexicon.phrasal). A
    player
    may name the answer's thing or action by such a compound, or the answer may be one."""
    found: dict[int, tuple[int, str]] = {}
    for i, phrase in enumerate(parse.phrase):
        if phrase < 0:
            if lexicon is not None and (verb := _phrasal_verb(parse, lexicon, i)) is not None:
                found[i] = verb
            continue
        if parse.attribute[i]:
            continue
        modifiers = [i - 1] if i > 0 else []
        if i + 2 < len(parse.tokens) and parse.tokens[i + 1].key == "of":
            modifiers.append(i + 2)
        for m in modifiers:
            if parse.phrase[m] != phrase or (m > i and not parse.attribute[m]):
                continue
            key = f"{parse.tokens[m].key}_{parse.tokens[i].key}"
            if key.replace("_", "") in other_keys or (lexicon is not None and lexicon.knows(key)):
                found[i] = (m, key)
                break
    return found


def _phrasal_verb(parse: RoleParse, lexicon: Lexicon, i: int) -> tuple[int, str] | None:
    """(the particle's position, the phrasal verb) for a relation word followed by a particle
    ("running after" -> go_after), or None."""
    if RELATION not in parse.roles[i]:
        return None
    if i + 1 >= len(parse.tokens) or parse.phrase[i + 1] >= 0:
        return None
    particle = parse.tokens[i + 1].key
    if particle not in PARTICLES:
        return None
    verb = lexicon.phrasal(parse.tokens[i].key, particle)
    return (i + 1, verb) if verb is not None else None


def pair_compound_modifiers(
    pairs: dict[int, Pair],
    used: set[int],
    via_compound: set[tuple[int, int]],
    answer_compounds: dict[int, tuple[int, str]],
    guess_compounds: dict[int, tuple[int, str]],
) -> dict[int, Pair]:
    """A compound names one thing: when two heads were paired through a compound, its first
    word shares the pair ("police" in "a police car" found by "a squad car"). Adds the answer's
    such words to `pairs` and returns the guess's, keyed by guess position."""
    guess_modifiers: dict[int, Pair] = {}
    for i, pair in list(pairs.items()):
        if (i, pair.guess_index) not in via_compound:
            continue
        if i in answer_compounds and (modifier := answer_compounds[i][0]) not in pairs:
            pairs[modifier] = Pair(pair.guess_index, pair.state, pair.credit, modifier=True)
        j = pair.guess_index
        if j in guess_compounds and (modifier := guess_compounds[j][0]) not in used:
            guess_modifiers[modifier] = Pair(i, pair.state, pair.credit)
    return guess_modifiers


def _link_before(parse: RoleParse, j: int) -> list[int]:
    """Positions of the link words (prepositions) just before the phrase of position j."""
    k = min(n for n, phrase in enumerate(parse.phrase) if phrase == parse.phrase[j])
    found = []
    while k > 0 and (parse.phrase[k - 1] < 0 or parse.tokens[k - 1].is_function_word):
        k -= 1
        if parse.phrase[k] < 0 and not parse.tokens[k].is_function_word:
            found.append(k)
    return found


def _says_in_a_phrase(one: RoleParse, i: int, other: RoleParse, j: int) -> bool:
    """Does `other`'s phrase headed at j say the setting at i in other words ("beneath the
    waves" for "underwater", "among the stars" for "in outer space";
    game.scoring.words.SETTING_PHRASES,
    whose prepositions, when it names any, must lead the phrase)?"""
    forms = SETTING_PHRASES.get(one.tokens[i].key)
    if forms is None or SETTING not in one.roles[i]:
        return False
    if SETTING not in other.roles[j] or other.attribute[j] or other.phrase[j] < 0:
        return False
    prepositions, nouns = forms
    if other.tokens[j].key not in nouns:
        return False
    links = {other.tokens[k].key for k in _link_before(other, j)}
    return not prepositions or bool(links & prepositions)


def same_setting(answer: RoleParse, guess: RoleParse, i: int, j: int) -> bool:
    return _says_in_a_phrase(answer, i, guess, j) or _says_in_a_phrase(guess, j, answer, i)


def pair_setting_links(
    answer: RoleParse,
    guess: RoleParse,
    pairs: dict[int, Pair],
    used: set[int],
    compounds: tuple[dict[int, tuple[int, str]], dict[int, tuple[int, str]]],
) -> dict[int, Pair]:
    """A phrase that says a setting in other words says it whole: the prepositions before both
    heads and the first word of a compound head ("outer" in "outer space") share the heads'
    pair ("among the stars" for "in outer space"). Adds the answer's such words to `pairs` and
    returns the guess's, keyed by guess position."""
    guess_links: dict[int, Pair] = {}
    for i, pair in list(pairs.items()):
        j = pair.guess_index
        if pair.state != NEAR or pair.modifier or not same_setting(answer, guess, i, j):
            continue
        for k in _phrase_words(answer, i, compounds[0]):
            if k not in pairs:
                pairs[k] = Pair(j, NEAR, pair.credit, modifier=True)
        for k in _phrase_words(guess, j, compounds[1]):
            if k not in used:
                guess_links[k] = Pair(i, NEAR, pair.credit)
    return guess_links


def _phrase_words(parse: RoleParse, head: int, compounds: dict[int, tuple[int, str]]) -> list[int]:
    """The prepositions before a head and the first word of the compound it ends."""
    words = _link_before(parse, head)
    return [*words, compounds[head][0]] if head in compounds else words


def names_action(
    answer: RoleParse, guess: RoleParse, i: int, j: int, lexicon: Lexicon | None
) -> bool:
    """Is one of the two an action (a link word: "cycling", "fishing") and the other a thing
    (a phrase's head: "bicycle", "fisherman") that WordNet derives from the action's lemma?"""
    if lexicon is None or answer.attribute[i] or guess.attribute[j]:
        return False
    answer_action = answer.roles[i] == {RELATION} and answer.phrase[i] < 0
    guess_action = RELATION in guess.roles[j] and guess.phrase[j] < 0
    if answer_action == guess_action or (answer.phrase[i] < 0 and guess.phrase[j] < 0):
        return False
    return lexicon.derives(answer.tokens[i].key, guess.tokens[j].key)


def pair_actions(
    answer: RoleParse,
    guess: RoleParse,
    pairs: dict[int, Pair],
    used: set[int],
    lexicon: Lexicon | None,
) -> dict[int, Pair]:
    """An action said through its thing, or a thing through its action: "a fisherman" for "a
    man fishing", "a kid cycling" for "a boy riding a bicycle", "on skis" for "skiing". A
    relation word left unpaired on one side is found by an object word of the other that
    WordNet derives from the same lemma (game.scoring.lexicon.Lexicon.derives), and the other way
    round; the word that names it may already name something else. Adds the answer's such
    words to `pairs` and returns the guess's, keyed by guess position (as compounds do)."""
    if lexicon is None:
        return {}
    answer_words = [i for i, r in enumerate(answer.roles) if r and not answer.attribute[i]]
    guess_words = [j for j, r in enumerate(guess.roles) if r and not guess.attribute[j]]
    for i in answer_words:
        if i in pairs:
            continue
        for j in guess_words:
            if names_action(answer, guess, i, j, lexicon):
                pairs[i] = Pair(j, NEAR, IMPLIED_CREDIT, modifier=j in used)
                used.add(j)
                break
    guess_modifiers: dict[int, Pair] = {}
    for j in guess_words:
        if j in used:
            continue
        for i in answer_words:
            if names_action(answer, guess, i, j, lexicon):
                guess_modifiers[j] = Pair(i, NEAR, IMPLIED_CREDIT)
                break
    return guess_modifiers


def said_already(answer: RoleParse, guess: RoleParse, lexicon: Lexicon | None) -> set[int]:
    """Guess positions whose word a definition already says: of its own phrase's thing ("young"
    in "a young girl": a girl is "a young woman") or of one of the answer's words ("tea" in "a
    kettle for tea" for a teapot, "pot for brewing tea"; "made" in "made of wood" for wooden,
    "made of or consisting of wood"). Such a word draws nothing the answer lacks."""
    if lexicon is None:
        return set()
    heads = {p: j for j, p in enumerate(guess.phrase) if p >= 0 and not guess.attribute[j]}
    things = [
        answer.tokens[i].key for i, r in enumerate(answer.roles) if r and answer.phrase[i] >= 0
    ]
    said = set()
    for j, phrase in enumerate(guess.phrase):
        if phrase < 0 or not guess.roles[j]:
            continue
        key = guess.tokens[j].key
        own = [guess.tokens[heads[phrase]].key] if guess.attribute[j] and phrase in heads else []
        if any(lexicon.implies(thing, key) for thing in own + things):
            said.add(j)
    return said
