"""Crashes and failures: a rerun completes the puzzle, retries back off, and every day still
gets a puzzle (the earlier images, the fallback prompt, or a replay)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from puzzles import runs, services
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_tiny_model")]


class SimulatedCrash(BaseException):
    """Stands for the process dying: like SystemExit, no `except Exception` catches it."""


def crash_at(crash_stage: str, crash_done: int) -> Callable[[str, int, int], None]:
    def observer(stage: str, done: int, total: int) -> None:
        if stage == crash_stage and done == crash_done:
            raise SimulatedCrash(f"killed during {stage} {done}/{total}")

    return observer


def broken_model(tmp_path: Path) -> str:
    """A model directory with the three parts but no weights in them: loading it fails."""
    for part in ("dalle_bart", "vqgan", "clip"):
        (tmp_path / "broken-model" / part).mkdir(parents=True)
    return str(tmp_path / "broken-model")


def stored_files(media_root: Path) -> list[Path]:
    return sorted(media_root.rglob("*.png"))


def lease_runs_out(puzzle: Puzzle) -> None:
    Puzzle.objects.filter(pk=puzzle.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def todays_puzzle(make_prompt: Callable[..., Prompt]) -> Puzzle:
    make_prompt("a rabbit on the grass")
    [puzzle] = services.ensure_puzzles(puzzle_day(), 1)
    return puzzle


@pytest.mark.parametrize(("stage", "done"), [("sample", 0), ("storing", 3)])
def test_a_rerun_after_a_crash_mid_generation_gives_one_complete_puzzle(
    stage: str, done: int, todays_puzzle: Puzzle, media_root: Path
) -> None:
    with pytest.raises(SimulatedCrash):
        runs.attempt_puzzle(todays_puzzle.pk, observer=crash_at(stage, done))
    crashed = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert crashed.state == Puzzle.State.GENERATING
    assert not crashed.candidates.exists()
    assert stored_files(media_root) == []

    # While the crashed run's lease lasts, nobody else touches the puzzle.
    assert runs.prepare_upcoming(1) == []
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.SKIPPED

    lease_runs_out(crashed)
    assert runs.prepare_upcoming(1) == [todays_puzzle.pk]
    assert runs.generate_with_retries(todays_puzzle.pk) is runs.Outcome.GENERATED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert (puzzle.state, puzzle.attempts, puzzle.error) == (Puzzle.State.PUBLISHED, 2, "")
    assert puzzle.candidates.count() == 7 and puzzle.images.count() == 6
    assert [image.position for image in puzzle.images] == [1, 2, 3, 4, 5, 6]
    assert len(stored_files(media_root)) == 7


def test_a_run_that_lost_its_claim_does_not_overwrite_the_new_one(
    todays_puzzle: Puzzle, media_root: Path
) -> None:
    def taken_over(stage: str, done: int, total: int) -> None:
        if stage == "storing" and done == 2:
            # Meanwhile our lease ran out and another run claimed the puzzle.
            lease_runs_out(todays_puzzle)
            runs.expire_stale_claims()
            assert runs.claim_puzzle(todays_puzzle.pk) is not None

    assert runs.attempt_puzzle(todays_puzzle.pk, observer=taken_over) is runs.Outcome.SKIPPED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert puzzle.state == Puzzle.State.GENERATING and puzzle.attempts == 2
    assert not puzzle.candidates.exists()
    assert stored_files(media_root) == []


def test_failures_retry_with_backoff_then_switch_to_the_fallback_prompt(
    make_prompt: Callable[..., Prompt], settings: Any
) -> None:
    settings.SIXFOLD_RETRY_BACKOFF_SECONDS = 5
    # The generator refuses an empty prompt: a real failure, every time.
    make_prompt("   ")
    [puzzle] = services.ensure_puzzles(puzzle_day(), 1)
    waits: list[float] = []
    assert runs.generate_with_retries(puzzle.pk, wait=waits.append) is runs.Outcome.GENERATED
    assert waits == [5.0, 10.0, 0.0]  # two backed-off retries, then the fallback prompt at once
    puzzle.refresh_from_db()
    assert puzzle.state == Puzzle.State.PUBLISHED
    assert puzzle.prompt.text == settings.SIXFOLD_FALLBACK_PROMPT
    assert puzzle.fallback == Puzzle.Fallback.PROMPT
    assert "Attempt 3 failed" in puzzle.error and "switched to the fallback prompt" in puzzle.error
    assert puzzle.images.count() == 6


def test_a_broken_generator_replays_an_earlier_puzzle(
    make_prompt: Callable[..., Prompt], settings: Any, tmp_path: Path
) -> None:
    make_prompt("a duck on the grass")
    make_prompt("a cow on the grass")
    yesterday = puzzle_day() - timedelta(days=1)
    [earlier] = services.ensure_puzzles(yesterday, 1)
    runs.attempt_puzzle(earlier.pk)
    settings.SIXFOLD_MODEL_DIR = broken_model(tmp_path)
    [today] = services.ensure_puzzles(puzzle_day(), 1)
    assert runs.generate_with_retries(today.pk, wait=lambda _: None) is runs.Outcome.FAILED
    today.refresh_from_db()
    assert (today.state, today.fallback) == (Puzzle.State.PUBLISHED, Puzzle.Fallback.REPLAY)
    assert today.prompt_id == earlier.prompt_id
    assert "cannot load the model" in today.error and f"replayed puzzle {earlier}" in today.error
    copies = [image.file.read() for image in today.images]
    originals = [image.file.read() for image in Puzzle.objects.get(pk=earlier.pk).images]
    assert copies == originals
    names = {image.file.name for image in today.images}
    assert names.isdisjoint(image.file.name for image in earlier.images)


def test_with_no_fallback_left_the_failure_shows_and_a_curator_must_act(
    make_prompt: Callable[..., Prompt], settings: Any, tmp_path: Path, curator: Any
) -> None:
    from django.test import Client
    from django.urls import reverse

    settings.SIXFOLD_MODEL_DIR = broken_model(tmp_path)
    make_prompt("a goat on the grass")
    [puzzle] = services.ensure_puzzles(puzzle_day(), 1)
    assert runs.generate_with_retries(puzzle.pk, wait=lambda _: None) is runs.Outcome.FAILED
    puzzle.refresh_from_db()
    assert puzzle.state == Puzzle.State.FAILED
    assert puzzle.error.endswith("No fallback is left: a curator must act.")
    assert runs.prepare_upcoming(1) == []  # no endless retries
    client = Client()
    client.force_login(curator)
    listing = client.get(reverse("admin:puzzles_puzzle_changelist")).content.decode()
    assert "No fallback is left: a curator must act." in listing


def test_a_failed_regeneration_keeps_the_earlier_images(
    make_prompt: Callable[..., Prompt], settings: Any, tmp_path: Path
) -> None:
    make_prompt("a pig in the snow")
    [puzzle] = services.ensure_puzzles(puzzle_day() + timedelta(days=1), 1)
    runs.attempt_puzzle(puzzle.pk)
    before = list(Puzzle.objects.get(pk=puzzle.pk).images.values_list("file", flat=True))
    settings.SIXFOLD_AUTO_PUBLISH = False
    services.request_regeneration(Puzzle.objects.get(pk=puzzle.pk))
    settings.SIXFOLD_MODEL_DIR = broken_model(tmp_path)
    runs.generate_with_retries(puzzle.pk, wait=lambda _: None)
    puzzle.refresh_from_db()
    assert puzzle.state == Puzzle.State.REVIEW
    assert list(puzzle.images.values_list("file", flat=True)) == before
    assert "Kept the images of the earlier generation" in puzzle.error


def test_without_any_model_puzzles_wait_without_spending_attempts(
    todays_puzzle: Puzzle, settings: Any, tmp_path: Path
) -> None:
    settings.SIXFOLD_MODEL_DIR = str(tmp_path / "not-installed")
    assert runs.generate_with_retries(todays_puzzle.pk) is runs.Outcome.WAITING
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert (puzzle.state, puzzle.attempts, puzzle.error) == (Puzzle.State.SCHEDULED, 0, "")
    assert runs.prepare_upcoming(1) == [puzzle.pk]  # still waiting for its generation
