"""Concurrent guesses are scored together, with the same results as one at a time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from game.scoring.batching import ScoreBatcher
from game.scoring.marking import GuessScore
from game.scoring.scorer import get_scorer

ANSWER = "two small penguins to the left of a sailboat on a beach"
GUESSES = [f"{n} penguins on a beach" for n in ("two", "three", "four", "five", "six", "many")]


async def test_guesses_that_arrive_together_share_a_model_call() -> None:
    scorer = get_scorer()
    calls: list[int] = []

    def score_many(pairs: Sequence[tuple[str, str]]) -> list[GuessScore]:
        calls.append(len(pairs))
        return scorer.score_many(pairs)

    batcher = ScoreBatcher(score_many)
    results = await asyncio.gather(*(batcher.score(ANSWER, g) for g in GUESSES))
    assert calls == [6]
    alone = [scorer.score(ANSWER, g) for g in GUESSES]
    assert [r.marks for r in results] == [a.marks for a in alone]


async def test_guesses_arriving_during_a_model_call_make_the_next_batch() -> None:
    scorer = get_scorer()
    calls: list[int] = []
    first_call_started, first_call_may_end = threading.Event(), threading.Event()

    def score_many(pairs: Sequence[tuple[str, str]]) -> list[GuessScore]:
        calls.append(len(pairs))
        if len(calls) == 1:
            first_call_started.set()
            first_call_may_end.wait(timeout=10)
        return scorer.score_many(pairs)

    batcher = ScoreBatcher(score_many)
    first = asyncio.create_task(batcher.score(ANSWER, GUESSES[0]))
    # The first guess is scored at once, without waiting for company.
    assert await asyncio.to_thread(first_call_started.wait, 10)
    later = [asyncio.create_task(batcher.score(ANSWER, g)) for g in GUESSES[1:]]
    await asyncio.sleep(0)  # each later guess queues itself behind the running call
    first_call_may_end.set()
    await asyncio.gather(first, *later)
    assert calls == [1, 5]


async def test_a_failed_batch_reports_the_error_to_every_waiting_guess() -> None:
    def broken(pairs: Sequence[tuple[str, str]]) -> list[GuessScore]:
        raise RuntimeError("the model is gone")

    batcher = ScoreBatcher(broken)
    outcomes = await asyncio.gather(
        *(batcher.score(ANSWER, g) for g in GUESSES[:3]), return_exceptions=True
    )
    assert all(isinstance(o, RuntimeError) for o in outcomes)
