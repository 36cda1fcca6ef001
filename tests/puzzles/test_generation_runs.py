"""A generation run with the tiny random-weight model: claim, draw, rank, store, publish."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from puzzles import generation, runs, services
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle
from puzzles.signals import puzzle_published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_tiny_model")]


@pytest.fixture
def published_signals() -> Iterator[list[int]]:
    received: list[int] = []

    def receive(sender: Any, puzzle: Puzzle, **_: Any) -> None:
        received.append(puzzle.pk)

    puzzle_published.connect(receive)
    yield received
    puzzle_published.disconnect(receive)


@pytest.fixture
def todays_puzzle(make_prompt: Callable[..., Prompt]) -> Puzzle:
    make_prompt("a fox on the grass")
    [puzzle] = services.ensure_puzzles(puzzle_day(), 1)
    return puzzle


def test_it_draws_ranks_and_publishes_six_of_the_candidates(
    todays_puzzle: Puzzle,
    media_root: Path,
    published_signals: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.GENERATED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert puzzle.state == Puzzle.State.PUBLISHED
    candidates = list(puzzle.candidates.order_by("rank"))
    assert len(candidates) == 7  # settings.SIXFOLD_CANDIDATES in the test settings
    scores = [image.score for image in candidates]
    assert scores == sorted(scores, reverse=True)
    assert [image.position for image in candidates] == [1, 2, 3, 4, 5, 6, None]
    assert list(puzzle.images) == candidates[:6]
    assert len({image.seed for image in candidates}) == 7
    for image in candidates:
        assert re.fullmatch(r"puzzles/[0-9a-f]{32}\.png", image.file.name)
        assert (media_root / image.file.name).read_bytes().startswith(b"\x89PNG")
    assert puzzle.model_name and puzzle.seed is not None and puzzle.duration > 0
    assert (puzzle.attempts, puzzle.claim_token, puzzle.error) == (1, None, "")
    assert (puzzle.progress_stage, puzzle.progress_done, puzzle.progress_total) == ("done", 7, 7)
    assert published_signals == [puzzle.pk]


def test_it_leaves_the_puzzle_for_review_when_auto_publish_is_off(
    todays_puzzle: Puzzle, settings: Any, published_signals: list[int]
) -> None:
    settings.SIXFOLD_AUTO_PUBLISH = False
    runs.attempt_puzzle(todays_puzzle.pk)
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert puzzle.state == Puzzle.State.REVIEW and puzzle.published_at is None
    assert puzzle.images.count() == 6
    assert published_signals == []


def test_a_claimed_puzzle_cannot_be_claimed_or_generated_again(todays_puzzle: Puzzle) -> None:
    claim = runs.claim_puzzle(todays_puzzle.pk)
    assert claim is not None
    assert runs.claim_puzzle(todays_puzzle.pk) is None
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.SKIPPED
    assert runs.prepare_upcoming(1) == []
    assert not todays_puzzle.candidates.exists()


def test_running_the_job_again_after_success_changes_nothing(todays_puzzle: Puzzle) -> None:
    runs.attempt_puzzle(todays_puzzle.pk)
    first = sorted(
        Puzzle.objects.get(pk=todays_puzzle.pk).candidates.values_list("file", flat=True)
    )
    assert runs.prepare_upcoming(1) == []
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.SKIPPED
    again = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert sorted(again.candidates.values_list("file", flat=True)) == first
    assert again.attempts == 1


def test_the_recorded_seed_reproduces_the_images(todays_puzzle: Puzzle) -> None:
    runs.attempt_puzzle(todays_puzzle.pk)
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    again = generation.generate_images(puzzle.prompt.text, 7, puzzle.seed)
    stored = [image.file.read() for image in puzzle.candidates.order_by("rank")]
    assert [image.png for image in again.images] == stored


def test_progress_is_stored_while_the_run_goes(todays_puzzle: Puzzle) -> None:
    seen: list[tuple[str, str, int]] = []

    def look(stage: str, done: int, total: int) -> None:
        puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
        seen.append((stage, puzzle.state, puzzle.progress_total))

    runs.attempt_puzzle(todays_puzzle.pk, observer=look)
    stages = [stage for stage, _, _ in seen]
    assert {"sample", "storing"} <= set(stages)
    assert all(state == Puzzle.State.GENERATING for _, state, _ in seen)
    # Reports reach the database (the observer runs first, so it sees the one before).
    assert any(total == 7 for stage, _, total in seen if stage == "storing")


def test_the_next_days_are_generated_and_today_is_not_redone(
    make_prompt: Callable[..., Prompt],
) -> None:
    for index in range(3):
        make_prompt(f"prompt {index} on the grass")
    ids = runs.prepare_upcoming(3)
    assert len(ids) == 3
    for puzzle_id in ids:
        assert runs.generate_with_retries(puzzle_id) is runs.Outcome.GENERATED
    days = list(Puzzle.objects.order_by("date").values_list("date", "state"))
    assert days == [
        (puzzle_day() + timedelta(days=offset), Puzzle.State.PUBLISHED) for offset in range(3)
    ]
