"""Scoring guesses: the process-wide scorer, which embeds each text and word once (an LRU
cache) and builds each score with game.scoring.marking.

`score_guess(answer, guess)` is the entry point; `Scorer.score_many` scores a batch of guesses
with one model call for every text and word not already embedded. The model itself is
game.scoring.embedder's; how a score is made from the measurements is game.scoring.marking's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Generic, Literal, TypeVar

import numpy as np

from game.scoring.embedder import (
    Embedder,
    ScorerConfigError,
    export_folder,
    load_embedder,
    resolve_model_path,
)
from game.scoring.lexicon import Lexicon, get_lexicon
from game.scoring.marking import GuessScore, build_score
from game.scoring.words import tokens

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _LRU(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.capacity:
            self.items.popitem(last=False)


class Scorer:
    """Scores guesses with an embedder and WordNet, embedding each distinct word or text once
    and scoring each distinct guess at an answer once (LRU caches: many players send the same
    guesses, "a dog", "a cat in the snow").

    With `cache=False` every word and text is embedded again on every call (the benchmark's
    baseline). `sentence_embedder`, when given, embeds whole texts and `embedder` only words:
    the tuned model (game.scoring.tuning) ranks sentences by the picture they describe, while the
    word
    relations' thresholds (game.scoring.alignment) were measured on the packaged model's word
    vectors.
    """

    def __init__(
        self,
        embedder: Embedder,
        cache: bool = True,
        capacity: int = 50_000,
        lexicon: Lexicon | Literal["default"] | None = "default",
        sentence_embedder: Embedder | None = None,
    ) -> None:
        self.embedder = embedder
        self.sentence_embedder = sentence_embedder or embedder
        # WordNet, read once per process; None scores with the word embedding alone.
        self.lexicon = get_lexicon() if lexicon == "default" else lexicon
        self.cache_enabled = cache
        self._words: _LRU[str, np.ndarray] = _LRU(capacity)
        self._texts: _LRU[str, np.ndarray] = _LRU(capacity // 5)
        self._scores: _LRU[tuple[str, str], GuessScore] = _LRU(capacity // 5)
        self._lock = threading.Lock()

    def score(self, answer: str, guess: str) -> GuessScore:
        return self.score_many([(answer, guess)])[0]

    def scored(self, answer: str, guess: str) -> GuessScore | None:
        """The score of this guess at this answer if it was made before (cheap: no model)."""
        if not self.cache_enabled:
            return None
        with self._lock:
            return self._scores.get((answer, guess))

    def score_many(self, pairs: Sequence[tuple[str, str]]) -> list[GuessScore]:
        """Scores several (answer, guess) pairs with one model call for everything new."""
        known = {pair: self.scored(*pair) for pair in pairs}
        fresh = [pair for pair, score in known.items() if score is None]
        made = dict(zip(fresh, self._score_fresh(fresh), strict=True)) if fresh else {}
        if self.cache_enabled:
            with self._lock:
                for pair, score in made.items():
                    self._scores.put(pair, score)
        return [known[pair] or made[pair] for pair in pairs]

    def _score_fresh(self, pairs: Sequence[tuple[str, str]]) -> list[GuessScore]:
        texts = [text for pair in pairs for text in pair]
        words = [t.key for text in texts for t in tokens(text) if not t.is_function_word]
        vectors = self._vectors(texts, words)
        results = []
        for answer, guess in pairs:
            sentence = float(vectors[("t", answer)] @ vectors[("t", guess)])

            def word_similarity(a: str, b: str) -> float:
                return float(vectors[("w", a)] @ vectors[("w", b)])

            results.append(build_score(answer, guess, sentence, word_similarity, self.lexicon))
        return results

    def remember(self, kind: str, key: str, vector: np.ndarray) -> None:
        """Stores a vector computed elsewhere (kind "t" for a text, "w" for a word key)."""
        if self.cache_enabled:
            with self._lock:
                (self._texts if kind == "t" else self._words).put(key, vector)

    def vector(self, kind: str, key: str) -> np.ndarray:
        return self._vectors([key] if kind == "t" else [], [key] if kind == "w" else [])[
            (kind, key)
        ]

    @property
    def model_name(self) -> str:
        """Names the vectors this scorer makes (stored answer vectors are checked against it)."""
        words = _name(self.embedder)
        sentences = _name(self.sentence_embedder)
        return words if sentences == words else f"{words}+{sentences}"

    def _vectors(
        self, texts: Iterable[str], words: Iterable[str]
    ) -> dict[tuple[str, str], np.ndarray]:
        wanted = [("t", t) for t in texts] + [("w", w) for w in words]
        found: dict[tuple[str, str], np.ndarray] = {}
        if self.cache_enabled:
            with self._lock:
                for kind, key in wanted:
                    vector = (self._texts if kind == "t" else self._words).get(key)
                    if vector is not None:
                        found[(kind, key)] = vector
        # Without the cache nothing is shared, not even within one call (the baseline).
        missing = (
            list(dict.fromkeys(item for item in wanted if item not in found))
            if self.cache_enabled
            else wanted
        )
        # One model call for everything when one model embeds both, else one for each.
        groups = (
            [(self.embedder, missing)]
            if self.sentence_embedder is self.embedder
            else [
                (self.sentence_embedder, [item for item in missing if item[0] == "t"]),
                (self.embedder, [item for item in missing if item[0] == "w"]),
            ]
        )
        for embedder, items in groups:
            if items:
                encoded = embedder.encode([key for _, key in items])
                for item, vector in zip(items, encoded, strict=True):
                    found[item] = vector
                    self.remember(*item, vector)
        return found


def _name(embedder: Embedder) -> str:
    return str(getattr(embedder, "name", type(embedder).__name__))


@dataclasses.dataclass(frozen=True)
class ScorerSettings:
    """Everything that decides which scorer a process loads: one value, the key of its cache."""

    model_path: str | None = None  # a local sentence-transformers directory; None: the packaged
    device: str = "cpu"
    cache: bool = True  # embed each distinct word and text once
    threads: int | None = None  # None: half the cores, at most 4
    runtime: str = "onnx"  # or "torch" (game.scoring.embedder.load_embedder)
    export_dir: Path | None = None  # where the ONNX export and the tuned model are kept
    tuned: bool = True  # sentences by the shipped tuned layers (game.scoring.tuning)
    wordnet_dir: Path | None = None  # None: Debian's (game.scoring.lexicon)


_scorers: dict[ScorerSettings, Scorer] = {}
_scorers_lock = threading.Lock()
_standing_in: Scorer | None = None  # `standing_in` puts a scorer in place of every other


def get_scorer(settings: ScorerSettings | None = None) -> Scorer:
    """The process's scorer for these settings, loaded on first use (a few seconds) and kept."""
    found = loaded_scorer(settings)
    if found is not None:
        return found
    settings = settings or ScorerSettings()
    with _scorers_lock:
        if settings not in _scorers:
            _scorers[settings] = _load(settings)
        return _scorers[settings]


def loaded_scorer(settings: ScorerSettings | None = None) -> Scorer | None:
    """The scorer for these settings if it is loaded already, else None (no waiting)."""
    if _standing_in is not None:
        return _standing_in
    return _scorers.get(settings or ScorerSettings())


@contextlib.contextmanager
def standing_in(scorer: Scorer) -> Iterator[Scorer]:
    """Every `get_scorer` call answers with `scorer` meanwhile (tests put a small one in place
    of the sentence model)."""
    global _standing_in
    before, _standing_in = _standing_in, scorer
    try:
        yield scorer
    finally:
        _standing_in = before


def _load(settings: ScorerSettings) -> Scorer:
    path = resolve_model_path(settings.model_path or None)
    load = functools.partial(
        load_embedder,
        device=settings.device,
        threads=settings.threads,
        runtime=settings.runtime,
        export_dir=settings.export_dir,
    )
    embedder = load(path)
    sentences = None
    if settings.tuned:
        tuned_path = tuned_model_path(path, settings.export_dir)
        if tuned_path is not None:
            sentences = load(tuned_path)
    lexicon = get_lexicon(settings.wordnet_dir)
    return Scorer(embedder, settings.cache, lexicon=lexicon, sentence_embedder=sentences)


def tuned_model_path(base: Path, export_dir: Path | None = None) -> Path | None:
    """The model at `base` with the shipped tuned layers laid over it (written once into
    `export_dir`), or None when the shipped tuning was made from another model."""
    from game.scoring.tuning import layers

    if not (layers.SHIPPED_DIR / layers.NOTE_FILE).is_file():
        log.warning("no tuned layers in %s: sentences are scored untuned", layers.SHIPPED_DIR)
        return None
    try:
        return layers.tuned_model_dir(base, layers.SHIPPED_DIR, export_folder(export_dir))
    except layers.MadeFromAnotherModel as error:
        log.warning("%s: sentences are scored untuned", error)
        return None
    except layers.TuningError as error:
        raise ScorerConfigError(str(error)) from error
