"""The scorer as the Django side uses it: configured from settings, answers embedded when their
puzzle is published (stored in the database so that every server process can load them instead
of computing them), and guesses scored in batches or one by one.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading

import numpy as np

from game import conf
from game.models import AnswerEmbedding
from game.scoring.batching import batcher_for_loop
from game.scoring.marking import GuessScore
from game.scoring.scorer import Scorer, ScorerSettings, get_scorer, loaded_scorer
from game.scoring.words import tokens

log = logging.getLogger(__name__)

_primed: set[tuple[int, str]] = set()  # (puzzle id, answer) whose vectors this process holds
_primed_lock = threading.Lock()


def scorer_settings() -> ScorerSettings:
    """The site's scorer settings (game.conf), as the one value the scorer is keyed by."""
    return ScorerSettings(
        model_path=conf.scorer_model_path(),
        device=conf.scorer_device(),
        cache=conf.cache_enabled(),
        threads=conf.scorer_threads(),
        runtime=conf.scorer_runtime(),
        export_dir=conf.scorer_export_dir(),
        tuned=conf.scorer_tuned(),
        wordnet_dir=conf.wordnet_dir(),
    )


def scorer() -> Scorer:
    """The process's scorer (loaded on first use from the configured local directory)."""
    return get_scorer(scorer_settings())


def _pack(active: Scorer, answer: str) -> bytes:
    keys = sorted({t.key for t in tokens(answer) if not t.is_function_word})
    arrays = {"text": active.vector("t", answer)}
    arrays.update({f"w:{key}": active.vector("w", key) for key in keys})
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return buffer.getvalue()


def store_answer_vectors(puzzle_id: int, answer: str) -> AnswerEmbedding:
    """Embeds an answer and its words and stores them (run when a puzzle is published)."""
    active = scorer()
    embedding, _ = AnswerEmbedding.objects.update_or_create(
        puzzle_id=puzzle_id,
        defaults={
            "answer": answer,
            "model_name": active.model_name,
            "vectors": _pack(active, answer),
        },
    )
    with _primed_lock:
        _primed.add((puzzle_id, answer))
    return embedding


def holds_answer_vectors(puzzle_id: int, answer: str) -> bool:
    """Whether this process needs nothing from the database to score guesses on this answer."""
    return not conf.cache_enabled() or (puzzle_id, answer) in _primed


def ensure_answer_vectors(puzzle_id: int, answer: str) -> None:
    """Makes sure this process holds the answer's vectors: from the database when they were
    stored at publication, computed (and stored) otherwise. Runs in a database thread."""
    if holds_answer_vectors(puzzle_id, answer):
        return
    active = scorer()
    stored = AnswerEmbedding.objects.filter(puzzle_id=puzzle_id).first()
    if stored is None or stored.answer != answer or stored.model_name != active.model_name:
        store_answer_vectors(puzzle_id, answer)
        return
    with np.load(io.BytesIO(bytes(stored.vectors))) as arrays:
        for name in arrays.files:
            kind, key = ("t", answer) if name == "text" else ("w", name[2:])
            active.remember(kind, key, arrays[name])
    with _primed_lock:
        _primed.add((puzzle_id, answer))


def on_puzzle_published(sender: object, puzzle: object, **kwargs: object) -> None:
    """Signal receiver: a failure here must not undo or block a publication."""
    try:
        store_answer_vectors(puzzle.pk, puzzle.prompt.text)  # type: ignore[attr-defined]
    except Exception:
        log.exception("could not embed the answer of published puzzle %s", puzzle)


async def score(answer: str, guess: str) -> GuessScore:
    """Scores a guess: batched with concurrent guesses, unless batching is switched off."""
    # Loading the model takes seconds (and may be under way in the warm-up thread): never in
    # the event loop. Once loaded, it is taken without a trip to a thread.
    active = loaded_scorer(scorer_settings())
    if active is None:
        active = await asyncio.to_thread(scorer)
    known = active.scored(answer, guess)  # a guess many players make: no thread, no batch
    if known is not None:
        return known
    if conf.batching_enabled():
        return await batcher_for_loop(active.score_many).score(answer, guess)
    return await asyncio.to_thread(active.score, answer, guess)


def warm_up() -> None:
    """Loads the model and today's answer vectors, so that the first player after a (re)start
    does not wait for them. The web process calls it as it starts, before it serves anyone;
    the work runs in a thread of its own because the server may already be running an event
    loop (in which Django refuses database calls)."""

    def load() -> None:
        from django.db import close_old_connections

        from puzzles.calendar import puzzle_day
        from puzzles.services import published_puzzle_for_day

        try:
            scorer().score("a warm up", "a warm up")
            puzzle = published_puzzle_for_day(puzzle_day())
            if puzzle is not None:
                ensure_answer_vectors(puzzle.pk, puzzle.prompt.text)
                scorer().score(puzzle.prompt.text, "a warm up")
            log.info("scorer ready%s", f" with puzzle #{puzzle.number}" if puzzle else "")
        except Exception:  # the server still starts; the first guess loads what is missing
            log.exception("could not load the scorer")
        finally:
            close_old_connections()

    thread = threading.Thread(target=load, name="sixfold-scorer-warm-up", daemon=True)
    thread.start()
    thread.join()
