"""Aligning a guess's words with the answer's, by role and by meaning.

Each answer content word is paired with at most one guess content word (and the other way
round). A pair earns credit by how the two words relate (game.scoring.lexicon: the same word, a
synonym, a kind of it, a sibling, a rival) and whether they play the same role in their prompt
(game.scoring.roles: main object, second object, relation, setting). The marks follow:

    exact    the same word in a role the guess gives it ("owl" in "a tiny owl" for "a big owl
             next to a small tree")
    present  the same word in another role ("elsewhere": "ball" as the main object when the
             answer's ball is the second)
    near     a word that names the same thing, a kind of it or what it is a kind of (teepee for
             tent, puppy for dog), or an action by what it is done with or by (skis for
             skiing, fisherman for fishing), never a rival value or a sibling
    absent   nothing in the guess

and `words` is a weighted F1 of the credit, where the main object weighs most and an attribute
least, so that naming the right thing in other words beats repeating the answer's other words
around a wrong thing. A guess word that a definition already says ("a young girl") weighs
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from game.scoring import phrases
from game.scoring.lexicon import NEAR_RELATIONS, Lexicon, Relation, spelling_variants
from game.scoring.marks import ABSENT, EXACT, NEAR, NEAR_THRESHOLD, PRESENT, RELATED_THRESHOLD
from game.scoring.phrases import Pair
from game.scoring.roles import MADE_WORDS, MAIN, RELATION, SECOND, SETTING, RoleParse
from game.scoring.words import contrasting, on_other_scales, same_meaning

WordSimilarity = Callable[[str, str], float]


# Credit of a pair by relation, before the role factor. A kind-of names the picture's thing as
# well as a synonym does (a teepee is the tent). The embedding cosine stands in where WordNet
# has nothing to say (UNKNOWN) and caps the credit of loose relations. A rival value in the same
# role is worse than saying nothing: it draws another picture (a blue car is not a red one).
# The constants here and SENTENCE_WEIGHT in game.scoring.marking were chosen on the dev half of
# game/scoring/evaluation/cases.py with `benchmarks/scoring_eval.py --tune` (its GRID); the grid's
# best rows differ by one or two dev triples.
RELATION_CREDIT: dict[Relation, float] = {
    Relation.SAME: 1.0,
    Relation.KIND: 1.0,
    Relation.PART: 0.2,
    Relation.SIBLING: 0.2,
    Relation.OTHER: 0.2,
    Relation.RIVAL: -1.0,
}
# Two unrelated things in one object role (a dog where the answer has a tent, the desert where
# it has snow) draw another picture, which is worse than naming nothing there: -0.6 ordered
# two more dev triples right than 0 (and -1.0 no more than -0.6).
CONTRADICTION_CREDIT = -0.6
LOOSE_RELATIONS = frozenset({Relation.PART, Relation.SIBLING, Relation.OTHER})
# WordNet links some pairs that name one thing only as siblings or not at all (sea/ocean:
# "other", cosine 0.87; boat/sailboat: siblings, 0.81). The embedding rescues such a pair as
# near when its cosine is at least RESCUE_THRESHOLD and both words have a noun sense in one of
# WordNet's lexicographer files (sea and ocean: noun.object), which keeps out words that merely
# go together (snow/winter 0.81: noun.phenomenon, noun.time; snowy/winter: an adjective).
# Measured on the objects of the built-in grammar and the dev half's words, the same-file pairs
# above 0.8 are sail/sailboat 0.90, ocean/sea 0.87, boat/sailboat 0.81; just below it come
# sailboat/speedboat 0.79 and knitting/yarn 0.79, which must not be near, and crab/lobster
# 0.74, city/town 0.77, car/truck 0.69, cat/dog 0.66. Rival values never reach this rule: the
# lexicon calls them RIVAL first (two~three 0.81, big/small).
RESCUED_RELATIONS = frozenset({Relation.SIBLING, Relation.OTHER})
RESCUE_THRESHOLD = 0.8
# A kind-of link through a leading but rarely used sense (game.scoring.lexicon.Lexicon.leading_kind:
# a boy is a son, a son is a child, and a kid is a child) is near when the embedding agrees
# this far. Among the same words, such links at 0.7 or more are metal/steel 0.78, boy/kid 0.73,
# baby/kid 0.71; below it dolphin/whale 0.69 (a dolphin is a toothed whale, but not the
# picture of one), cake/cupcake 0.64, girl/kid 0.60. On dev it turned boy/kid near (marks
# 49/50 -> 50/50) and changed no triple.
LEADING_KIND_THRESHOLD = 0.7
# A pair WordNet knows as unrelated ("other") earns nothing, not a loose relation's 0.2, when
# its embedding also says so (cosine below UNRELATED_THRESHOLD: tent/dog 0.32, car/camel 0.30,
# classroom/prison 0.33, field/road 0.37), so that in an object role it counts as a
# contradiction like a rival setting does. 0.4 ordered two more dev triples right than no such
# rule (paraphrase 13/15 -> 15/15) and 0.35 one; 0.45 no more than 0.4. Siblings keep their
# 0.2 (cat/dog): counting them too changed no dev triple.
ASSOCIATED_CREDIT = 0.5
UNRELATED_RELATIONS = frozenset({Relation.OTHER})
UNRELATED_THRESHOLD = 0.4
# A word in another role than in the answer earns this share of its credit, and the share of
# the answer's weight found only in other roles lowers the whole similarity by ROLE_PENALTY
# times itself: the right things in the wrong places make a different picture ("a ball
# chasing a dog"), which the sentence cosine hardly sees (0.96).
ROLE_SHIFT_CREDIT = 0.3
ROLE_PENALTY = 0.5
# How much each word counts in the weighted F1: the main thing most; the setting as much as the
# second thing (1.5 ordered 3 more dev triples right than 1.0). "background" says little once
# its colour is said ("on a red background", "on red").
ROLE_WEIGHT = {MAIN: 2.0, SECOND: 1.5, SETTING: 1.5, RELATION: 1.0}
ATTRIBUTE_WEIGHT = 0.6
LIGHT_WORDS = frozenset({"background", "scene", "picture", "image"})
# "made", "covered", "full" in "a house made of wood" only link a thing to its material, which
# is the attribute; at an attribute's weight an unmatched "made" cost a paraphrase as much as a
# wrong adjective does.
LIGHT_WEIGHT = 0.3


@dataclass(frozen=True)
class Alignment:
    """Answer token position -> its pair; `words` is the weighted F1 in [0, 1]."""

    pairs: dict[int, Pair]
    words: float
    shifted: float  # share of the answer's weight found only in another role, in [0, 1]
    # Guess position -> its pair, for the first word of a guess compound ("sailing" in "a
    # sailing ship") whose head was paired through the compound.
    guess_modifiers: dict[int, Pair] = field(default_factory=dict)

    def guess_states(self) -> dict[int, str]:
        states = {j: pair.state for j, pair in self.guess_modifiers.items()}
        return states | {pair.guess_index: pair.state for pair in self.pairs.values()}


class Relater:
    """How two word keys relate and how near they are, from the lexicon and the embedding."""

    def __init__(self, lexicon: Lexicon | None, word_similarity: WordSimilarity) -> None:
        self.lexicon = lexicon
        self.word_similarity = word_similarity

    def credit_and_near(self, a: str, b: str) -> tuple[float, bool]:
        if a == b:
            return 1.0, True
        if self.lexicon is not None:
            relation = self.lexicon.relation(a, b)
        # Without WordNet, only the rules that need no database.
        elif same_meaning(a, b) or spelling_variants(a, b):
            relation = Relation.SAME
        elif contrasting(a, b):
            relation = Relation.RIVAL
        else:
            relation = Relation.UNKNOWN
        if relation is Relation.UNKNOWN:
            # Near from the cosine; below that, related words earn what a loose relation does
            # (cat~dog 0.66 must not earn two thirds of a point in the dog's place).
            cosine = self.word_similarity(a, b)
            if cosine >= NEAR_THRESHOLD:
                return cosine, True
            credit = min(cosine, RELATION_CREDIT[Relation.OTHER])
            return (credit if cosine >= RELATED_THRESHOLD else 0.0), False
        credit = RELATION_CREDIT[relation]
        if relation in LOOSE_RELATIONS:
            cosine = self.word_similarity(a, b)
            if self._embedding_agrees(relation, a, b, cosine):
                return cosine, True
            if relation in UNRELATED_RELATIONS and cosine < UNRELATED_THRESHOLD:
                return 0.0, False
            credit = min(credit, max(cosine, 0.0))
        return credit, relation in NEAR_RELATIONS

    def lexical_credit(self, a: str, b: str) -> float | None:
        """The credit of a near relation WordNet alone finds (for compounds, which have no
        word embedding), or None. A compound spelled as one word is that word (snow_man and
        snowman)."""
        if a.replace("_", "") == b.replace("_", ""):
            return RELATION_CREDIT[Relation.SAME]
        if self.lexicon is None:
            return None
        relation = self.lexicon.relation(a, b)
        return RELATION_CREDIT[relation] if relation in NEAR_RELATIONS else None

    def _embedding_agrees(self, relation: Relation, a: str, b: str, cosine: float) -> bool:
        """Does the embedding rescue a pair WordNet calls siblings or unrelated as naming one
        thing (see RESCUE_THRESHOLD)?"""
        if relation not in RESCUED_RELATIONS or self.lexicon is None:
            return False
        if cosine >= RESCUE_THRESHOLD and self.lexicon.same_domain(a, b):
            return True
        return cosine >= LEADING_KIND_THRESHOLD and self.lexicon.leading_kind(a, b)

    def setting_credit(self, a: str, b: str) -> float:
        """Settings are said loosely ("in the desert", "among sand dunes", "in the sky",
        "among clouds"): a related word there earns its embedding cosine, while rival
        settings sit below RELATED_THRESHOLD (desert~snow 0.42, sky~underwater 0.34)."""
        cosine = self.word_similarity(a, b)
        credit = cosine if cosine >= RELATED_THRESHOLD else 0.0
        # "background" says only that there is no scene: nothing is found there (WordNet's
        # background is also "ground", which every gloss of snow or grass mentions).
        light = a in LIGHT_WORDS or b in LIGHT_WORDS
        if self.lexicon is not None and not light and self.lexicon.associated(a, b):
            credit = max(credit, ASSOCIATED_CREDIT)
        if self.lexicon is not None and self.lexicon.relation(a, b) is Relation.SIBLING:
            credit = max(credit, RELATION_CREDIT[Relation.SIBLING])
        return credit


def _weight(parse: RoleParse, i: int, answer_role: str | None = None) -> float:
    roles = parse.roles[i]
    role = answer_role if answer_role in roles else min(roles, key=lambda r: ROLE_WEIGHT[r])
    if parse.tokens[i].key in LIGHT_WORDS or parse.tokens[i].key in MADE_WORDS:
        return LIGHT_WEIGHT
    return ROLE_WEIGHT[role] * (ATTRIBUTE_WEIGHT if parse.attribute[i] else 1.0)


def _settle_open_phrases(answer: RoleParse, guess: RoleParse, relater: Relater) -> RoleParse:
    """A guess phrase that could play several roles ("a small owl" alone) plays the role of
    the answer word its head names best, and its attributes with it: against "a big owl next
    to a small tree", that small is the owl's, not the tree's."""
    roles = list(guess.roles)
    for j, head_roles in enumerate(guess.roles):
        if len(head_roles) < 2 or guess.attribute[j] or guess.phrase[j] < 0:
            continue
        best: tuple[float, str] | None = None
        for i, answer_roles in enumerate(answer.roles):
            (role,) = answer_roles or (None,)
            if role is None or role not in head_roles:
                continue
            credit, near = relater.credit_and_near(answer.tokens[i].key, guess.tokens[j].key)
            if near and (best is None or credit > best[0]):
                best = (credit, role)
        if best is None:
            continue
        for k, phrase in enumerate(guess.phrase):
            if phrase == guess.phrase[j]:
                roles[k] = frozenset({best[1]})
    return RoleParse(guess.tokens, roles, guess.attribute, guess.phrase)


def _contradicts(answer: RoleParse, guess: RoleParse, i: int, j: int) -> bool:
    """Two unrelated heads in one object role name two different things there; a link word
    ("beneath" in "beneath the waves", "among" in "among the stars") names no thing."""
    (role,) = answer.roles[i]
    return (
        CONTRADICTION_CREDIT < 0
        and role != RELATION
        and not answer.attribute[i]
        and not guess.attribute[j]
        and answer.phrase[i] >= 0
        and guess.phrase[j] >= 0
    )


def align(answer: RoleParse, guess: RoleParse, relater: Relater) -> Alignment:
    """Pairs answer and guess content words one to one, best credit first."""
    guess = _settle_open_phrases(answer, guess, relater)
    answer_words = [i for i, r in enumerate(answer.roles) if r]
    guess_words = [j for j, r in enumerate(guess.roles) if r]
    answer_keys = {answer.tokens[i].key for i in answer_words}
    guess_keys = {guess.tokens[j].key for j in guess_words}
    lexicon = relater.lexicon
    answer_compounds = phrases.compounds(answer, lexicon, guess_keys)
    guess_compounds = phrases.compounds(guess, lexicon, answer_keys)
    via_compound: set[tuple[int, int]] = set()
    candidates = []
    for i in answer_words:
        (answer_role,) = answer.roles[i]
        key = answer.tokens[i].key
        for j in guess_words:
            # An action said through its thing plays the action's part ("on skis", skiing).
            same_role = answer_role in guess.roles[j]
            same_role = same_role or phrases.names_action(answer, guess, i, j, lexicon)
            same_word = key == guess.tokens[j].key
            both_attributes = answer.attribute[i] and guess.attribute[j]
            if both_attributes and on_other_scales(key, guess.tokens[j].key):
                continue  # a colour for a count: each is left for its own rival
            credit, near = relater.credit_and_near(key, guess.tokens[j].key)
            if not near and phrases.same_setting(answer, guess, i, j):
                credit, near = RELATION_CREDIT[Relation.SAME], True
            if not near and (i in answer_compounds or j in guess_compounds):
                # A compound may name what its head alone does not: a lion is a big cat, a
                # sailboat a sailing ship.
                a = answer_compounds[i][1] if i in answer_compounds else key
                b = guess_compounds[j][1] if j in guess_compounds else guess.tokens[j].key
                compound_credit = relater.lexical_credit(a, b)
                if compound_credit is not None:
                    credit, near = compound_credit, True
                    via_compound.add((i, j))
            setting_head = answer_role == SETTING and not answer.attribute[i]
            if same_role and setting_head and 0 <= credit < 1 and not near:
                credit = relater.setting_credit(key, guess.tokens[j].key)
            if credit == 0 and not same_word:
                if not (same_role and _contradicts(answer, guess, i, j)):
                    continue
                credit = CONTRADICTION_CREDIT  # a different thing in the thing's place
            if credit < 0 and not same_role:
                continue  # a rival value elsewhere contradicts nothing
            if same_word:
                state = EXACT if same_role else PRESENT
            elif near:  # in any role: there is no "near elsewhere"
                state = NEAR
            else:
                state = ABSENT
            credit *= 1.0 if same_role else ROLE_SHIFT_CREDIT
            # Best first: credit, then the same word, then the same role, then a word that is
            # not a link like "made" or "covered" (snowy is both "covered" and "snow" in "a
            # mountain covered in snow"; the snow is what it says); ties keep order.
            link = guess.tokens[j].key in MADE_WORDS
            candidates.append((-credit, not same_word, not same_role, link, i, j, state))
    # Positive credit first, best first; rivals only pair words left over.
    candidates.sort(key=lambda c: (c[0] > 0, *c))
    pairs: dict[int, Pair] = {}
    shifted: set[int] = set()
    used: set[int] = set()
    for negative_credit, _, other_role, _, i, j, state in candidates:
        if i in pairs or j in used:
            continue
        pairs[i] = Pair(j, state, -negative_credit)
        used.add(j)
        if other_role and state != ABSENT:
            shifted.add(i)
    answer_total = sum(_weight(answer, i) for i, r in enumerate(answer.roles) if r)
    shift = sum(_weight(answer, i) for i in shifted) / answer_total if answer_total else 0.0
    modifiers = phrases.pair_compound_modifiers(
        pairs, used, via_compound, answer_compounds, guess_compounds
    )
    modifiers |= phrases.pair_actions(answer, guess, pairs, used, lexicon)
    compounds = (answer_compounds, guess_compounds)
    modifiers |= phrases.pair_setting_links(answer, guess, pairs, used, compounds)
    # A guess's attribute that its thing already says ("a young girl") adds nothing to look
    # for; paired, it says the answer's value or a rival one and counts as any word does.
    paired = {pair.guess_index for pair in pairs.values()} | set(modifiers)
    said = phrases.said_already(answer, guess, lexicon) - paired
    words = _weighted_f1(answer, guess, pairs, modifiers, said)
    return Alignment(pairs, words, shift, modifiers)


def _weighted_f1(
    answer: RoleParse,
    guess: RoleParse,
    pairs: dict[int, Pair],
    guess_modifiers: dict[int, Pair],
    said: set[int] | None = None,
) -> float:
    """Weighted recall and precision of the credit; `guess_modifiers` (guess position -> pair,
    its guess_index the answer position) count on the guess side only; the guess positions in
    `said` weigh nothing."""

    def guess_weight(j: int, answer_role: str | None = None) -> float:
        return 0.0 if said and j in said else _weight(guess, j, answer_role)

    answer_total = sum(_weight(answer, i) for i, r in enumerate(answer.roles) if r)
    guess_total = sum(guess_weight(j) for j, r in enumerate(guess.roles) if r)
    if not answer_total or not guess_total:
        return 0.0
    recall = sum(p.credit * _weight(answer, i) for i, p in pairs.items()) / answer_total
    found = [(p.guess_index, p.credit, i) for i, p in pairs.items() if not p.modifier]
    found += [(j, p.credit, p.guess_index) for j, p in guess_modifiers.items()]
    precision = (
        sum(credit * guess_weight(j, next(iter(answer.roles[i]))) for j, credit, i in found)
        / guess_total
    )
    # A rival's negative credit can take a side below zero: nothing found, no less (an F1 of
    # two negative or mixed-sign shares has no meaning and can even blow up).
    recall, precision = max(recall, 0.0), max(precision, 0.0)
    if recall + precision == 0:
        return 0.0
    return 2 * recall * precision / (recall + precision)
