"""The nightly job run twice at the same moment, on PostgreSQL: one puzzle per day, each
generated once, no prompt used twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from threads_at_once import run_in_threads

from puzzles import generation, runs
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def nightly_job() -> list[tuple[int, runs.Outcome]]:
    """What the beat task and its generation tasks do, in one thread."""
    return [(pk, runs.generate_with_retries(pk)) for pk in runs.prepare_upcoming(3)]


@pytest.mark.usefixtures("use_tiny_model")
def test_two_jobs_at_once_give_one_puzzle_per_day_each_generated_once(
    make_prompt: Callable[..., Prompt],
) -> None:
    assert connection.vendor == "postgresql"
    for index in range(6):
        make_prompt(f"a cat number {index} on the grass")
    generation.load_generator()  # load the model once, before the race starts
    results = run_in_threads(nightly_job, 2)

    puzzles = list(Puzzle.objects.order_by("date"))
    assert [puzzle.date for puzzle in puzzles] == [
        puzzle_day() + timedelta(days=offset) for offset in range(3)
    ]
    assert len({puzzle.prompt_id for puzzle in puzzles}) == 3
    for puzzle in puzzles:
        assert (puzzle.state, puzzle.attempts) == (Puzzle.State.PUBLISHED, 1)
        assert puzzle.candidates.count() == 7 and puzzle.images.count() == 6
    generated = [
        pk for result in results for pk, outcome in result if outcome is runs.Outcome.GENERATED
    ]
    assert sorted(generated) == sorted(puzzle.pk for puzzle in puzzles)


def test_two_claims_at_once_on_the_same_puzzle_have_one_winner(
    make_prompt: Callable[..., Prompt],
) -> None:
    make_prompt("a horse in the snow")
    [puzzle_id] = runs.prepare_upcoming(1)
    claims = run_in_threads(lambda: runs.claim_puzzle(puzzle_id), 8)
    assert sum(claim is not None for claim in claims) == 1
    assert Puzzle.objects.get(pk=puzzle_id).attempts == 1
