"""The Celery wiring: the nightly beat entry (UTC, editable in the admin) and the tasks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_celery_beat.models import PeriodicTask

from config.celery_app import app
from puzzles import runs, tasks
from puzzles.models import Prompt, Puzzle

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in the calling process (the task body is what is under test here)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_nightly_job_is_scheduled_in_utc_by_the_database_scheduler(settings: Any) -> None:
    entry = PeriodicTask.objects.get(task="puzzles.prepare_puzzles")
    assert entry.enabled
    assert (entry.crontab.hour, entry.crontab.minute) == ("0", "30")
    assert str(entry.crontab.timezone) == "UTC"
    assert "puzzles.prepare_puzzles" in app.tasks and "puzzles.generate_puzzle" in app.tasks
    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    assert settings.CELERY_TIMEZONE == "UTC"


def test_generation_goes_to_its_own_queue(settings: Any) -> None:
    route = app.amqp.router.route({}, "puzzles.generate_puzzle")
    assert route["queue"].name == settings.SIXFOLD_GENERATION_QUEUE
    assert tasks.generate_puzzle.acks_late and tasks.generate_puzzle.reject_on_worker_lost


@pytest.mark.usefixtures("use_tiny_model", "eager_celery")
def test_the_nightly_task_prepares_and_generates_the_next_days(
    make_prompt: Callable[..., Prompt], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SIXFOLD_DAYS_AHEAD = 2
    for index in range(2):
        make_prompt(f"a sheep number {index} on the grass")
    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.prepare_puzzles.delay().get()
    assert len(queued) == 2
    assert list(Puzzle.objects.values_list("state", flat=True)) == [Puzzle.State.PUBLISHED] * 2


@pytest.mark.usefixtures("use_tiny_model", "eager_celery")
def test_the_generation_task_retries_then_falls_back(make_prompt: Callable[..., Prompt]) -> None:
    make_prompt("   ")  # the generator refuses an empty prompt, every time
    [puzzle_id] = runs.prepare_upcoming(1)
    assert tasks.generate_puzzle.delay(puzzle_id).get() == "generated"
    puzzle = Puzzle.objects.get(pk=puzzle_id)
    assert (puzzle.state, puzzle.fallback) == (Puzzle.State.PUBLISHED, Puzzle.Fallback.PROMPT)
    assert "Attempt 3 failed" in puzzle.error
