"""Recovery: a run that died is taken over as soon as its lease runs out, by whoever comes next
(a redelivered task, the recovery job every few minutes, a curator's Regenerate)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from puzzles import runs, services
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_tiny_model")]


class Killed(BaseException):
    """The worker process dying mid-run (no `except Exception` catches it)."""


def kill_while_sampling(stage: str, done: int, total: int) -> None:
    if stage == "sample":
        raise Killed("SIGKILL")


def killed_run(puzzle: Puzzle) -> Puzzle:
    with pytest.raises(Killed):
        runs.attempt_puzzle(puzzle.pk, observer=kill_while_sampling)
    return Puzzle.objects.get(pk=puzzle.pk)


def lease_runs_out(puzzle: Puzzle) -> None:
    past = timezone.now() - timedelta(seconds=1)
    Puzzle.objects.filter(pk=puzzle.pk).update(lease_expires_at=past)


def quiet_for(puzzle: Puzzle, seconds: float) -> None:
    """As if nothing had touched the puzzle for this long."""
    past = timezone.now() - timedelta(seconds=seconds)
    Puzzle.objects.filter(pk=puzzle.pk).update(updated_at=past)


@pytest.fixture
def todays_puzzle(make_prompt: Callable[..., Prompt]) -> Puzzle:
    make_prompt("a rabbit on the grass")
    [puzzle] = services.ensure_puzzles(puzzle_day(), 1)
    return puzzle


def test_a_redelivered_task_takes_over_a_dead_run_once_its_lease_ran_out(
    todays_puzzle: Puzzle,
) -> None:
    dead = killed_run(todays_puzzle)
    assert dead.state == Puzzle.State.GENERATING and not dead.run_stopped
    assert runs.attempt_puzzle(dead.pk) is runs.Outcome.SKIPPED  # its lease still runs
    lease_runs_out(dead)
    assert Puzzle.objects.get(pk=dead.pk).run_stopped
    assert runs.attempt_puzzle(dead.pk) is runs.Outcome.GENERATED
    puzzle = Puzzle.objects.get(pk=dead.pk)
    assert (puzzle.state, puzzle.attempts) == (Puzzle.State.PUBLISHED, 2)
    assert puzzle.images.count() == 6


def test_a_dead_run_on_its_last_attempt_falls_back_instead(
    todays_puzzle: Puzzle, settings: Any
) -> None:
    settings.SIXFOLD_MAX_ATTEMPTS = 1
    dead = killed_run(todays_puzzle)
    lease_runs_out(dead)
    assert runs.attempt_puzzle(dead.pk) is runs.Outcome.SKIPPED  # no attempt left to take
    queued = runs.recover()
    puzzle = Puzzle.objects.get(pk=dead.pk)
    assert puzzle.fallback == Puzzle.Fallback.PROMPT and puzzle.state == Puzzle.State.SCHEDULED
    assert queued == [dead.pk]
    assert runs.attempt_puzzle(dead.pk) is runs.Outcome.GENERATED


def test_the_recovery_job_queues_stopped_and_forgotten_puzzles_but_not_fresh_ones(
    make_prompt: Callable[..., Prompt], settings: Any
) -> None:
    settings.SIXFOLD_DAYS_AHEAD = 3
    for index in range(3):
        make_prompt(f"a cat number {index} on the grass")
    # Nothing exists yet (no nightly run happened): today's and tomorrow's are created.
    assert runs.recover() == []  # just created: the nightly job or `make run` queues them
    today, tomorrow = Puzzle.objects.order_by("date")
    assert (today.date, tomorrow.date) == (puzzle_day(), puzzle_day() + timedelta(days=1))
    quiet_for(tomorrow, settings.SIXFOLD_RECOVERY_QUIET_SECONDS + 1)
    assert runs.recover() == [tomorrow.pk]  # forgotten: queued again

    dead = killed_run(today)
    assert dead.pk not in runs.recover()  # its run is alive as far as anyone knows
    lease_runs_out(dead)
    queued = runs.recover()
    assert dead.pk in queued
    assert Puzzle.objects.get(pk=dead.pk).state == Puzzle.State.FAILED
    assert "stopped mid-generation" in Puzzle.objects.get(pk=dead.pk).error


def test_a_curator_may_regenerate_a_puzzle_whose_run_stopped(
    todays_puzzle: Puzzle, settings: Any
) -> None:
    future = services.ensure_puzzles(puzzle_day() + timedelta(days=1), 1)[0]
    dead = killed_run(future)
    with pytest.raises(services.CurationError, match="being generated"):
        services.request_regeneration(dead)
    lease_runs_out(dead)
    services.request_regeneration(Puzzle.objects.get(pk=dead.pk))
    puzzle = Puzzle.objects.get(pk=dead.pk)
    assert (puzzle.state, puzzle.claim_token, puzzle.attempts) == (Puzzle.State.SCHEDULED, None, 0)
    assert runs.attempt_puzzle(puzzle.pk) is runs.Outcome.GENERATED


def test_the_recovery_job_runs_every_five_minutes() -> None:
    entry = PeriodicTask.objects.get(task="puzzles.recover_puzzles")
    assert entry.enabled and (entry.interval.every, entry.interval.period) == (5, "minutes")


def test_the_review_page_offers_regenerate_for_a_stopped_run(
    todays_puzzle: Puzzle, curator: User
) -> None:
    future = services.ensure_puzzles(puzzle_day() + timedelta(days=1), 1)[0]
    dead = killed_run(future)
    lease_runs_out(dead)
    client = Client()
    client.force_login(curator)
    url = reverse("admin:puzzles_puzzle_review", args=[dead.pk])
    page = client.get(url).content.decode()
    assert "its run stopped" in page and 'name="regenerate"' in page


def test_the_worker_log_has_a_line_per_generation_stage_with_its_duration(
    todays_puzzle: Puzzle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="puzzles.runs")
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.GENERATED
    lines = [record.getMessage() for record in caplog.records]
    for stage in ("encode", "sample", "decode", "rank", "judge", "storing"):
        assert any(f": {stage} done in " in line and " s (attempt 1)" in line for line in lines), (
            stage,
            lines,
        )
