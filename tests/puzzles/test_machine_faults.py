"""Faults of the machine while a puzzle is stored and published: a full or read-only media disk,
a database connection that drops. The day still gets its puzzle, no attempt is spent on the
machine's fault, nothing half-written is kept and nothing published is lost."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import OperationalError

from puzzles import runs, services, storing
from puzzles.calendar import puzzle_day
from puzzles.models import Prompt, Puzzle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_tiny_model")]


@pytest.fixture
def todays_puzzle(make_prompt: Callable[..., Prompt]) -> Puzzle:
    make_prompt("a rabbit on the grass")
    [puzzle] = services.ensure_puzzles(puzzle_day(), 1)
    return puzzle


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(storing.time, "sleep", waits.append)
    monkeypatch.setattr(runs.time, "sleep", waits.append)
    return waits


def storage_refuses(monkeypatch: pytest.MonkeyPatch, code: int, times: int) -> list[int]:
    """The next `times` writes fail half way with `code`, leaving half a file, as a disk that
    fills up mid-write does."""
    real_save = FileSystemStorage._save
    refused = [0]

    def save(self: FileSystemStorage, name: str, content: Any) -> str:
        if refused[0] < times:
            refused[0] += 1
            path = Path(self.path(name))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.read()[:40])
            raise OSError(code, "No space left on device" if code == errno.ENOSPC else "denied")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    return refused


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_puzzle_waits_for_storage_and_is_published_when_it_takes_files_again(
    code: int,
    todays_puzzle: Puzzle,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_waiting: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage_refuses(monkeypatch, code, times=5)
    with caplog.at_level(logging.WARNING):
        assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.GENERATED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert (puzzle.state, puzzle.attempts) == (Puzzle.State.PUBLISHED, 1)
    assert len(no_waiting) == 5
    files = sorted(media_root.rglob("*.png"))
    assert len(files) == 7  # the candidates, and no half-written file beside them
    assert {f.name for f in files} == {Path(i.file.name).name for i in puzzle.candidates.all()}
    assert all(f.stat().st_size > 40 for f in files)
    warnings = [r.getMessage() for r in caplog.records if r.name == "puzzles.storing"]
    assert len(warnings) == 2  # once when it starts, once when it ends; no traceback
    assert "cannot take" in warnings[0] and "again" in warnings[1]


def test_storage_that_stays_full_gives_the_puzzle_back_without_spending_an_attempt(
    todays_puzzle: Puzzle,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_waiting: list[float],
    settings: Any,
) -> None:
    settings.SIXFOLD_STORAGE_PATIENCE_SECONDS = 60
    refused = storage_refuses(monkeypatch, errno.ENOSPC, times=1_000)
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.DEFERRED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert (puzzle.state, puzzle.attempts) == (Puzzle.State.SCHEDULED, 0)
    assert "media storage refused" in puzzle.error
    assert list(media_root.rglob("*.png")) == []
    assert sum(no_waiting) == 60
    refused[0] = 1_000_000  # space is back: the next run publishes it
    monkeypatch.undo()
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.GENERATED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert (puzzle.state, puzzle.attempts) == (Puzzle.State.PUBLISHED, 1)


def test_another_storage_error_is_a_failed_attempt(
    todays_puzzle: Puzzle, media_root: Path, monkeypatch: pytest.MonkeyPatch, no_waiting: list
) -> None:
    storage_refuses(monkeypatch, errno.ENAMETOOLONG, times=1)
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.FAILED
    assert Puzzle.objects.get(pk=todays_puzzle.pk).state == Puzzle.State.FAILED
    assert list(media_root.rglob("*.png")) == []


def connection_drops(monkeypatch: pytest.MonkeyPatch, before: int, after: int) -> list[int]:
    """Publishing meets a dropped connection: `before` times before it reaches the database,
    then `after` times once its commit went through (the answer lost); the calls, counted."""
    real_finish = runs._finish
    calls = [0]

    def finish(*args: Any) -> None:
        calls[0] += 1
        if calls[0] <= before:
            raise OperationalError("server closed the connection unexpectedly")
        real_finish(*args)
        if calls[0] <= before + after:
            raise OperationalError("connection lost before the commit was acknowledged")

    monkeypatch.setattr(runs, "_finish", finish)
    return calls


def test_publishing_waits_out_a_dropped_database_connection(
    todays_puzzle: Puzzle,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_waiting: list[float],
) -> None:
    connection_drops(monkeypatch, before=2, after=0)
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.GENERATED
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert (puzzle.state, puzzle.attempts, puzzle.images.count()) == (Puzzle.State.PUBLISHED, 1, 6)
    assert no_waiting == list(runs.DATABASE_RETRY_DELAYS[:2])


def test_a_publication_whose_answer_was_lost_with_the_connection_keeps_its_pictures(
    todays_puzzle: Puzzle,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_waiting: list[float],
) -> None:
    calls = connection_drops(monkeypatch, before=0, after=1)
    assert runs.attempt_puzzle(todays_puzzle.pk) is runs.Outcome.GENERATED
    assert calls[0] == 1  # recognised as done, not published twice (nor its files deleted)
    puzzle = Puzzle.objects.get(pk=todays_puzzle.pk)
    assert puzzle.state == Puzzle.State.PUBLISHED and puzzle.images.count() == 6
    for image in puzzle.images:
        assert Path(image.file.path).is_file()


# --- a night without beat ----------------------------------------------------------------------


@pytest.fixture
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from celery import current_app
    from django.core.cache import cache

    from puzzles.catch_up import ASKED_KEY

    cache.delete(ASKED_KEY)  # the shared cache may remember an earlier test's request
    sent: list[str] = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **_: sent.append(name))
    return sent


def test_a_starting_worker_asks_for_the_recovery_job(sent_tasks: list[str]) -> None:
    from celery.signals import worker_ready

    worker_ready.send(sender=None)
    assert sent_tasks == ["puzzles.recover_puzzles"]


def test_todays_page_without_a_puzzle_asks_for_recovery_once_in_a_while(
    sent_tasks: list[str], settings: Any
) -> None:
    from django.test import Client

    for _ in range(3):
        assert Client().get("/").status_code == 200
    assert sent_tasks == ["puzzles.recover_puzzles"]  # once per quiet period, not per page


def test_a_broker_that_is_down_does_not_stop_the_page(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from celery import current_app
    from django.core.cache import cache
    from django.test import Client

    from puzzles.catch_up import ASKED_KEY

    def refuse(name: str, **_: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(current_app, "send_task", refuse)
    cache.delete(ASKED_KEY)
    with caplog.at_level(logging.WARNING):
        assert Client().get("/").status_code == 200
    [line] = [r for r in caplog.records if r.name == "puzzles.catch_up"]
    assert "could not ask for the recovery job" in line.getMessage() and not line.exc_info


def test_the_recovery_job_a_worker_asked_for_draws_the_missed_day(
    todays_puzzle: Puzzle, settings: Any
) -> None:
    from puzzles import tasks

    settings.SIXFOLD_RECOVERY_QUIET_SECONDS = 0
    queued = tasks.recover_puzzles()
    assert queued == [todays_puzzle.pk]
    assert runs.generate_with_retries(todays_puzzle.pk) is runs.Outcome.GENERATED
    assert Puzzle.objects.get(pk=todays_puzzle.pk).state == Puzzle.State.PUBLISHED
