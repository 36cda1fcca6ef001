"""Celery tasks: thin wrappers that call runs.py.

`prepare_puzzles` runs nightly from beat (the schedule lives in django-celery-beat, editable in
the admin) and sends one `generate_puzzle` per puzzle to the generation queue, which a worker
with `--pool=solo` serves (JAX must not be forked). `recover_puzzles` runs every 5 minutes:
a run that died is taken over once its lease has run out, without waiting for the night.
"""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction

from puzzles import catch_up, runs


@shared_task(name="puzzles.prepare_puzzles")
def prepare_puzzles() -> list[int]:
    """Make sure the next days' puzzles exist and queue their generation."""
    return _enqueue_all(runs.prepare_upcoming())


@shared_task(name="puzzles.recover_puzzles")
def recover_puzzles() -> list[int]:
    """Every few minutes: take over stopped runs and queue due puzzles nothing is working on."""
    return _enqueue_all(runs.recover())


@worker_ready.connect
def _catch_up_at_start(**_: object) -> None:
    """A worker that starts asks for the recovery job at once: after a night without beat (or a
    machine that was off), the day's puzzle is queued now rather than at beat's next tick."""
    catch_up.ask_for_recovery("a worker started")


def _enqueue_all(puzzle_ids: list[int]) -> list[int]:
    for puzzle_id in puzzle_ids:
        enqueue_generation(puzzle_id)
    return puzzle_ids


@shared_task(
    bind=True,
    name="puzzles.generate_puzzle",
    # Acknowledge after the run, so a worker that dies mid-run gets the message again; the claim
    # makes a second delivery harmless.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # runs.after_failure decides when to stop
)
def generate_puzzle(self, puzzle_id: int) -> str:  # type: ignore[no-untyped-def]
    outcome = runs.attempt_puzzle(puzzle_id)
    if outcome is runs.Outcome.DEFERRED:  # the machine could not store it: later, as it was
        raise self.retry(countdown=settings.SIXFOLD_RETRY_BACKOFF_SECONDS)
    if outcome is runs.Outcome.FAILED:
        step = runs.after_failure(puzzle_id)
        if step.retry_in is not None:
            raise self.retry(countdown=step.retry_in)
    return outcome.value


def enqueue_generation(puzzle_id: int) -> None:
    """Queue a generation once the current transaction (if any) has committed."""
    transaction.on_commit(
        lambda: generate_puzzle.apply_async((puzzle_id,), queue=settings.SIXFOLD_GENERATION_QUEUE)
    )
