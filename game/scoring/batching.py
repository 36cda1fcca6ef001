"""Scoring guesses from many connections in one model call.

Nothing waits on a timer: the first guess is scored at once, and every guess that arrives while
a batch is being scored joins the next batch. Under light load a guess costs one small model
call; under heavy load the batches grow and the cost per guess falls.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence

from game.scoring.marking import GuessScore

ScoreMany = Callable[[Sequence[tuple[str, str]]], list[GuessScore]]


class ScoreBatcher:
    def __init__(self, score_many: ScoreMany, max_batch: int = 128) -> None:
        self._score_many = score_many
        self._max_batch = max_batch
        self._pending: list[tuple[str, str, asyncio.Future[GuessScore]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def score(self, answer: str, guess: str) -> GuessScore:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[GuessScore] = loop.create_future()
        self._pending.append((answer, guess, future))
        if self._worker is None or self._worker.done():
            self._worker = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            pairs = [(answer, guess) for answer, guess, _ in batch]
            try:
                # The model call runs in a thread so that the server keeps answering meanwhile.
                results = await asyncio.to_thread(self._score_many, pairs)
            except Exception as error:  # every waiting guess learns of the failure
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, _, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ScoreBatcher] = (
    weakref.WeakKeyDictionary()
)


def batcher_for_loop(score_many: ScoreMany) -> ScoreBatcher:
    """The batcher of the running event loop (futures belong to one loop)."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = ScoreBatcher(score_many)
    return batcher
