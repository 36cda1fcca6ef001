"""The scorer as it was before issue 11, on the word embedding alone.

Its similarity is 0.7 x sentence cosine + 0.3 x a soft F1 of word-embedding matches, times an
order penalty for neighbouring matched words that come reversed. With WordNet,
game.scoring.alignment orders more of the evaluation triples right (benchmarks/scoring_eval.py,
where this is the "old" column); without WordNet this one still does better, so game.scoring
falls back to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from game.scoring.marks import ABSENT, EXACT, NEAR, NEAR_THRESHOLD, PRESENT, RELATED_THRESHOLD
from game.scoring.words import contrasting, same_meaning, tokens

SENTENCE_WEIGHT = 0.7
ORDER_PENALTY = 0.8

WordSimilarity = Callable[[str, str], float]


def _longest_common_subsequence(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence; among equally long ones, the one whose words
    sit nearest the same relative place in both (so in "a ball chasing a dog" against "a dog
    chasing a ball" it is "chasing" that is in place, not "dog")."""
    n, m = len(a), len(b)

    def displacement(i: int, j: int) -> float:
        return abs((i + 0.5) / n - (j + 0.5) / m)

    # best[i][j] = (length, -total displacement) of the best common subsequence of a[i:], b[j:]
    best = [[(0, 0.0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            options = [best[i + 1][j], best[i][j + 1]]
            if a[i] == b[j]:
                length, score = best[i + 1][j + 1]
                options.append((length + 1, score - displacement(i, j)))
            best[i][j] = max(options)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            length, score = best[i + 1][j + 1]
            if best[i][j] == (length + 1, score - displacement(i, j)):
                pairs.append((i, j))
                i, j = i + 1, j + 1
                continue
        if best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _related(a: str, b: str, word_similarity: WordSimilarity) -> float:
    if a == b or same_meaning(a, b):
        return 1.0
    if contrasting(a, b):
        return 0.0
    return word_similarity(a, b)


@dataclass
class _Matching:
    """Answer content position -> (guess content position, state, weight)."""

    pairs: dict[int, tuple[int, str, float]]


def match_words(
    answer: Sequence[str], guess: Sequence[str], word_similarity: WordSimilarity
) -> _Matching:
    """Matches content-word keys: exact (same word, same order), present, near; one-to-one.

    "Exact" follows a longest common subsequence, so a word counts as in place when it keeps its
    order relative to the other words found; shared words out of that order are "present".
    """
    pairs: dict[int, tuple[int, str, float]] = {}
    for i, j in _longest_common_subsequence(answer, guess):
        pairs[i] = (j, EXACT, 1.0)
    used = {j for j, _, _ in pairs.values()}
    for i, key in enumerate(answer):
        if i in pairs:
            continue
        found = next((j for j, g in enumerate(guess) if g == key and j not in used), None)
        if found is not None:
            j = found
            pairs[i] = (j, PRESENT, 1.0)
            used.add(j)
    candidates = sorted(
        (
            (_related(answer[i], guess[j], word_similarity), i, j)
            for i in range(len(answer))
            if i not in pairs
            for j in range(len(guess))
            if j not in used
        ),
        reverse=True,
    )
    for weight, i, j in candidates:
        if weight < RELATED_THRESHOLD:
            break
        if i in pairs or j in used:
            continue
        state = NEAR if weight >= NEAR_THRESHOLD else ABSENT
        pairs[i] = (j, state, weight)
        used.add(j)
    return _Matching(pairs)


def discordant_share(matching: _Matching) -> float:
    """Share of neighbouring matched answer words whose guess words come in the reverse order.

    Only neighbours are compared (in the order of the answer's matched words): swapping two
    nouns breaks the links around both, while comparing every pair would dilute one swap in a
    long prompt (measured: 0.935 of the dev triples ordered right with neighbours, 0.677 with
    every pair, at the same weights).
    """
    ordered = sorted((i, j) for i, (j, _, _) in matching.pairs.items())
    if len(ordered) < 2:
        return 0.0
    reversed_links = sum(after[1] < before[1] for before, after in pairwise(ordered))
    return reversed_links / (len(ordered) - 1)


def soft_f1(matching: _Matching, answer_count: int, guess_count: int) -> float:
    if not answer_count or not guess_count:
        return 0.0
    credit = sum(weight for _, _, weight in matching.pairs.values())
    recall, precision = credit / answer_count, credit / guess_count
    return 0.0 if credit == 0 else 2 * recall * precision / (recall + precision)


def combine(sentence: float, words: float, discordant: float) -> float:
    """The similarity in [0, 100] from its three measurements (see the module docstring)."""
    blended = SENTENCE_WEIGHT * max(sentence, 0.0) + (1 - SENTENCE_WEIGHT) * words
    return round(100.0 * min(max(blended * (1 - ORDER_PENALTY * discordant), 0.0), 1.0), 1)


def baseline_similarity(
    answer: str, guess: str, sentence_cosine: float, word_similarity: WordSimilarity
) -> float:
    """The old similarity in [0, 100] (100 only for the same content words in order)."""
    answer_keys = [t.key for t in tokens(answer) if not t.is_function_word]
    guess_keys = [t.key for t in tokens(guess) if not t.is_function_word]
    if answer_keys and answer_keys == guess_keys:
        return 100.0
    matching = match_words(answer_keys, guess_keys, word_similarity)
    similarity = combine(
        sentence_cosine,
        soft_f1(matching, len(answer_keys), len(guess_keys)),
        discordant_share(matching),
    )
    return min(similarity, 99.9)


def baseline_answer_states(
    answer: str, guess: str, word_similarity: WordSimilarity
) -> dict[int, str]:
    """The old marks: answer content-word index -> exact, present, near or absent."""
    answer_keys = [t.key for t in tokens(answer) if not t.is_function_word]
    guess_keys = [t.key for t in tokens(guess) if not t.is_function_word]
    matching = match_words(answer_keys, guess_keys, word_similarity)
    return {i: matching.pairs.get(i, (0, ABSENT, 0.0))[1] for i in range(len(answer_keys))}
