"""Generation runs: claim a puzzle, draw its candidates, store them, and finish or fail.

Every step that changes a puzzle is conditional on the claim: a run first moves the puzzle to
GENERATING with a fresh claim token (a conditional UPDATE, so two runs at once cannot both win),
renews a lease on each progress report, and commits its images in one transaction that checks
the token again. A run that dies leaves a claim whose lease runs out; the next run marks it
failed and generates it again. Images are written under new random names before that
transaction, so a crash leaves at most unreferenced files, never a half-published puzzle.

When attempts keep failing the puzzle falls back, in this order: the images of an earlier
successful generation, the fallback prompt, a replay of an earlier published puzzle.

Faults of the machine are not failures of the puzzle: storage that cannot take the pictures is
waited for (`storing`), then the puzzle is given back without spending an attempt; a database
that drops while the run reports progress or publishes is waited for and tried again, and a
publication that reached the database before the connection dropped is recognised as done.
"""

from __future__ import annotations

import enum
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from puzzles import generation
from puzzles.calendar import puzzle_day
from puzzles.models import IMAGES_PER_PUZZLE, Puzzle, PuzzleImage, random_image_name
from puzzles.services import (
    announce_publication,
    delete_files,
    ensure_puzzles,
    fallback_prompt,
    publish_due_puzzles,
)
from puzzles.storing import StorageUnavailable, save_pictures

log = logging.getLogger(__name__)

# Progress reports renew the lease; more often than this would only load the database.
_REPORT_INTERVAL_SECONDS = 0.5


class Outcome(enum.Enum):
    GENERATED = "generated"
    SKIPPED = "skipped"  # not ours to generate: done already, or another run holds it
    FAILED = "failed"
    WAITING = "waiting"  # no model is installed yet: the puzzle stays scheduled, no attempt spent
    DEFERRED = "deferred"  # the machine could not store it: given back, no attempt spent


# Waits between tries to publish while the database is unreachable (about 2 minutes in all: a
# restarted PostgreSQL answers again within seconds).
DATABASE_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 30.0, 30.0)
DATABASE_FAULTS = (OperationalError, InterfaceError)


class ClaimLost(generation.StopGeneration):
    """Our lease ran out and another run took the puzzle over."""


@dataclass(frozen=True)
class Claim:
    puzzle_id: int
    token: uuid.UUID
    prompt: str
    seed: int
    attempt: int


def lease() -> timedelta:
    return timedelta(seconds=settings.SIXFOLD_GENERATION_LEASE_SECONDS)


def claimable() -> Q:
    """Puzzles a run may start on: scheduled ones, failed ones with attempts left, and ones
    whose run stopped (its lease ran out) with attempts left: the stopped attempt counts as
    failed, and whoever comes next (a redelivered task, a retry, the recovery job, a curator's
    Regenerate) takes the puzzle over at once instead of waiting for the nightly job."""
    attempts_left = Q(attempts__lt=settings.SIXFOLD_MAX_ATTEMPTS)
    return (
        Q(state=Puzzle.State.SCHEDULED)
        | Q(state=Puzzle.State.FAILED) & attempts_left
        | Q(state=Puzzle.State.GENERATING, lease_expires_at__lt=timezone.now()) & attempts_left
    )


def claim_puzzle(puzzle_id: int) -> Claim | None:
    """Take a puzzle for generation, or None when it is not claimable (someone else has it)."""
    now = timezone.now()
    token = uuid.uuid4()
    seed = secrets.randbelow(2**31)
    updated = Puzzle.objects.filter(claimable(), pk=puzzle_id).update(
        state=Puzzle.State.GENERATING,
        claim_token=token,
        lease_expires_at=now + lease(),
        attempts=F("attempts") + 1,
        seed=seed,
        started_at=now,
        finished_at=None,
        duration=None,
        progress_stage="starting",
        progress_done=0,
        progress_total=0,
        updated_at=now,
    )
    if updated != 1:
        return None
    puzzle = Puzzle.objects.select_related("prompt").get(pk=puzzle_id)
    log.info("puzzle %s: attempt %d started (seed %d)", puzzle, puzzle.attempts, seed)
    return Claim(puzzle_id, token, puzzle.prompt.text, seed, puzzle.attempts)


class _StageLog:
    """One log line per finished stage of a run, with how long it took."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.stage = ""
        self.started = time.monotonic()

    def at(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.started = time.monotonic()
            self.stage = stage
        if done >= total:
            log.info(
                "puzzle %s: %s done in %.1f s (attempt %d)",
                self.claim.puzzle_id,
                stage,
                time.monotonic() - self.started,
                self.claim.attempt,
            )
            self.stage = ""


def _reporter(claim: Claim, observer: generation.Progress | None) -> generation.Progress:
    last = -_REPORT_INTERVAL_SECONDS
    stages = _StageLog(claim)

    def report(stage: str, done: int, total: int) -> None:
        nonlocal last
        if observer is not None:
            observer(stage, done, total)
        stages.at(stage, done, total)
        if time.monotonic() - last < _REPORT_INTERVAL_SECONDS and done < total:
            return
        last = time.monotonic()
        try:
            alive = Puzzle.objects.filter(pk=claim.puzzle_id, claim_token=claim.token).update(
                progress_stage=stage[:40],
                progress_done=done,
                progress_total=total,
                lease_expires_at=timezone.now() + lease(),
            )
        except DATABASE_FAULTS as error:
            # The lease runs for many minutes: one renewal missed while the database restarts
            # costs nothing, and the run goes on drawing.
            log.warning(
                "puzzle %s: progress not recorded, database unreachable (%s)",
                claim.puzzle_id,
                error,
            )
            _drop_connection()
            return
        if not alive:
            raise ClaimLost(f"puzzle {claim.puzzle_id} was taken over by another run")

    return report


def attempt_puzzle(puzzle_id: int, observer: generation.Progress | None = None) -> Outcome:
    """One attempt at a puzzle: claim, generate, store, finish. Safe to call from anywhere.

    `observer` also gets every progress report (the command line shows a progress bar).
    """
    if generation.missing_model_parts():
        # Not a failure of this puzzle: the weights are not there yet (a fresh install).
        return Outcome.WAITING
    claim = claim_puzzle(puzzle_id)
    if claim is None:
        return Outcome.SKIPPED
    started = time.monotonic()
    report = _reporter(claim, observer)
    stored: list[str] = []
    try:
        result = generation.generate_images(
            claim.prompt, settings.SIXFOLD_CANDIDATES, claim.seed, report
        )
        stored = save_pictures([image.png for image in result.images], report)
        _finish_when_reachable(claim, result, stored, time.monotonic() - started)
    except ClaimLost as error:
        delete_files(stored)
        log.warning("%s", error)
        return Outcome.SKIPPED
    except StorageUnavailable as error:
        log.warning("puzzle %s given back for later, no attempt spent: %s", puzzle_id, error)
        _give_back(claim, str(error))
        return Outcome.DEFERRED
    except Exception as error:
        delete_files(stored)
        log.exception("generating puzzle %s failed", puzzle_id)
        _record_failure(claim, error, time.monotonic() - started)
        return Outcome.FAILED
    except BaseException:
        # The process is being stopped: leave the claim to expire (the database may be gone),
        # but do not leave our files behind.
        delete_files(stored)
        raise
    return Outcome.GENERATED


def _finish_when_reachable(
    claim: Claim, result: generation.GeneratedSet, names: list[str], duration: float
) -> None:
    """`_finish`, tried again while the database is unreachable. A commit whose answer was lost
    with the connection may have gone through: the pictures then belong to the puzzle, which
    is published, and are not stored again (nor deleted as a lost claim's)."""
    for delay in (*DATABASE_RETRY_DELAYS, None):
        try:
            if delay is not None and _published_with(names):
                return
            _finish(claim, result, names, duration)
            return
        except DATABASE_FAULTS as error:
            _drop_connection()
            if delay is None:
                raise
            if delay == DATABASE_RETRY_DELAYS[0]:
                log.warning(
                    "puzzle %s: database unreachable while publishing (%s); trying again for "
                    "%.0f s",
                    claim.puzzle_id,
                    error,
                    sum(DATABASE_RETRY_DELAYS),
                )
            time.sleep(delay)


def _published_with(names: list[str]) -> bool:
    try:
        return PuzzleImage.objects.filter(file__in=names).exists()
    except DATABASE_FAULTS:
        _drop_connection()
        return False


def _drop_connection() -> None:
    """Let a broken connection go, so that the next query opens another (inside a transaction,
    as in a test, the connection stays: the transaction owns it)."""
    if not connection.in_atomic_block:
        connection.close()


def _give_back(claim: Claim, reason: str) -> None:
    """Return a claimed puzzle to the schedule, its attempt not counted."""
    Puzzle.objects.filter(pk=claim.puzzle_id, claim_token=claim.token).update(
        state=Puzzle.State.SCHEDULED,
        attempts=F("attempts") - 1,
        error=f"Waiting to be drawn again: {reason}"[:2000],
        claim_token=None,
        lease_expires_at=None,
        progress_stage="",
        updated_at=timezone.now(),
    )


def _finish(
    claim: Claim, result: generation.GeneratedSet, names: list[str], duration: float
) -> None:
    with transaction.atomic():
        puzzle = Puzzle.objects.select_for_update().get(pk=claim.puzzle_id)
        if puzzle.claim_token != claim.token or puzzle.state != Puzzle.State.GENERATING:
            raise ClaimLost(f"puzzle {claim.puzzle_id} changed hands before its images were saved")
        old_files = list(puzzle.candidates.values_list("file", flat=True))
        puzzle.candidates.all().delete()
        PuzzleImage.objects.bulk_create(
            PuzzleImage(
                puzzle=puzzle,
                rank=rank,
                position=rank if rank <= IMAGES_PER_PUZZLE else None,
                file=name,
                score=image.score,
                legibility=image.legibility,
                seed=image.seed,
            )
            for rank, (image, name) in enumerate(zip(result.images, names, strict=True), start=1)
        )
        now = timezone.now()
        publish_now = settings.SIXFOLD_AUTO_PUBLISH
        puzzle.state = Puzzle.State.PUBLISHED if publish_now else Puzzle.State.REVIEW
        puzzle.published_at = now if publish_now else None
        puzzle.published_by = None
        puzzle.model_name = result.model_name[:200]
        puzzle.finished_at = now
        puzzle.duration = duration
        if not puzzle.fallback:
            puzzle.error = ""
        puzzle.claim_token = None
        puzzle.lease_expires_at = None
        puzzle.progress_stage = "done"
        puzzle.progress_done = puzzle.progress_total = len(names)
        puzzle.save(
            update_fields=[
                "state",
                "published_at",
                "published_by",
                "model_name",
                "finished_at",
                "duration",
                "error",
                "claim_token",
                "lease_expires_at",
                "progress_stage",
                "progress_done",
                "progress_total",
                "updated_at",
            ]
        )
        transaction.on_commit(lambda: delete_files(old_files))
        if publish_now:
            announce_publication(puzzle.pk)
    log.info("generated %s in %.1f s (attempt %d)", puzzle, duration, claim.attempt)


def _record_failure(claim: Claim, error: Exception, duration: float) -> None:
    message = f"Attempt {claim.attempt} failed: {type(error).__name__}: {error}"
    Puzzle.objects.filter(pk=claim.puzzle_id, claim_token=claim.token).update(
        state=Puzzle.State.FAILED,
        error=message[:2000],
        claim_token=None,
        lease_expires_at=None,
        finished_at=timezone.now(),
        duration=duration,
        updated_at=timezone.now(),
    )


# --- After a failure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    retry_in: float | None  # seconds to wait before the next attempt; None: nothing to retry
    note: str


def after_failure(puzzle_id: int) -> NextStep:
    """Decide what follows a failed attempt, and apply a fallback when the attempts are spent."""
    with transaction.atomic():
        puzzle = Puzzle.objects.select_for_update().select_related("prompt").get(pk=puzzle_id)
        if puzzle.state != Puzzle.State.FAILED:
            return NextStep(None, f"puzzle is {puzzle.state} now")
        if puzzle.attempts < settings.SIXFOLD_MAX_ATTEMPTS:
            return NextStep(_backoff(puzzle.attempts), f"attempt {puzzle.attempts + 1} follows")
        reason = puzzle.error
        if puzzle.images.count() == IMAGES_PER_PUZZLE:
            _restore_previous_images(puzzle, reason)
            return NextStep(None, "kept the images of the earlier generation")
        if puzzle.fallback == Puzzle.Fallback.NONE:
            _switch_to_fallback_prompt(puzzle, reason)
            return NextStep(0.0, "switched to the fallback prompt")
        if _replay_earlier_puzzle(puzzle, reason):
            return NextStep(None, "replayed an earlier puzzle")
        puzzle.error = f"{reason}\nNo fallback is left: a curator must act."
        puzzle.save(update_fields=["error", "updated_at"])
        return NextStep(None, "gave up")


def _backoff(attempts: int) -> float:
    """1, 2, 4 … times the configured base, never longer than a lease."""
    delay = settings.SIXFOLD_RETRY_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    return float(min(delay, settings.SIXFOLD_GENERATION_LEASE_SECONDS))


def _restore_previous_images(puzzle: Puzzle, reason: str) -> None:
    puzzle.error = f"{reason}\nKept the images of the earlier generation."
    _settle(puzzle, ["error"])


def _settle(puzzle: Puzzle, changed: list[str]) -> None:
    """Put a puzzle that has its six images back in the flow: published or in review."""
    puzzle.state = Puzzle.State.PUBLISHED if settings.SIXFOLD_AUTO_PUBLISH else Puzzle.State.REVIEW
    puzzle.save(update_fields=[*changed, "state", "updated_at"])
    if puzzle.state == Puzzle.State.PUBLISHED:
        announce_publication(puzzle.pk)


def _switch_to_fallback_prompt(puzzle: Puzzle, reason: str) -> None:
    original = puzzle.prompt.text
    puzzle.prompt = fallback_prompt()
    puzzle.fallback = Puzzle.Fallback.PROMPT
    puzzle.state = Puzzle.State.SCHEDULED
    puzzle.attempts = 0
    puzzle.error = f"{reason}\n“{original}” failed every attempt: switched to the fallback prompt."
    puzzle.save(update_fields=["prompt", "fallback", "state", "attempts", "error", "updated_at"])


def _replay_earlier_puzzle(puzzle: Puzzle, reason: str) -> bool:
    """Give the day the images of the earliest published puzzle; False when there is none."""
    source = (
        Puzzle.objects.filter(state=Puzzle.State.PUBLISHED, date__lt=puzzle.date)
        .order_by("date")
        .first()
    )
    if source is None:
        return False
    copies = []
    # The selected six: each has its place (1-6), which becomes its rank among the copies.
    for place, image in enumerate(source.images, start=1):
        with image.file.open("rb") as original:
            name = default_storage.save(random_image_name(None, ""), ContentFile(original.read()))
        copies.append(
            PuzzleImage(
                puzzle=puzzle,
                rank=place,
                position=place,
                file=name,
                score=image.score,
                legibility=image.legibility,
                seed=image.seed,
            )
        )
    old_files = list(puzzle.candidates.values_list("file", flat=True))
    puzzle.candidates.all().delete()
    PuzzleImage.objects.bulk_create(copies)
    transaction.on_commit(lambda: delete_files(old_files))
    puzzle.prompt_id = source.prompt_id
    puzzle.fallback = Puzzle.Fallback.REPLAY
    puzzle.model_name = source.model_name
    puzzle.error = f"{reason}\nThe generator kept failing: replayed puzzle {source}."
    _settle(puzzle, ["prompt", "fallback", "model_name", "error"])
    return True


def expire_stale_claims() -> list[int]:
    """Mark puzzles whose run stopped (lease ran out) as failed, and apply the failure policy."""
    now = timezone.now()
    stale = list(
        Puzzle.objects.filter(state=Puzzle.State.GENERATING, lease_expires_at__lt=now).values_list(
            "pk", "claim_token", "attempts"
        )
    )
    expired = []
    for pk, token, attempts in stale:
        updated = Puzzle.objects.filter(pk=pk, claim_token=token).update(
            state=Puzzle.State.FAILED,
            claim_token=None,
            lease_expires_at=None,
            error=f"Attempt {attempts} stopped mid-generation (its lease ran out).",
            updated_at=now,
        )
        if updated:
            log.warning("puzzle %s: the run holding it stopped; it will be generated again", pk)
            after_failure(pk)
            expired.append(pk)
    return expired


# --- Recovery, every few minutes ---------------------------------------------------------------


def recover(now: datetime | None = None) -> list[int]:
    """Find what a dead worker or a missed night left undone; the ids of puzzles to generate.

    Runs every few minutes (beat). It fails claims whose lease ran out (applying the failure
    policy), makes sure today's and tomorrow's puzzles exist, publishes unreviewed puzzles that
    are due, and returns the puzzles of the coming days that a run may start on and that nothing
    touched for RECOVERY_QUIET (a puzzle queued a moment ago is not queued again), together with
    those it just failed.
    """
    now = now or timezone.now()
    expired = expire_stale_claims()
    ensure_puzzles(puzzle_day(now), 2)
    publish_due_puzzles(now)
    horizon = puzzle_day(now) + timedelta(days=settings.SIXFOLD_DAYS_AHEAD)
    quiet = now - timedelta(seconds=settings.SIXFOLD_RECOVERY_QUIET_SECONDS)
    waiting = Puzzle.objects.filter(claimable(), date__lte=horizon, updated_at__lt=quiet)
    ids = list(waiting.order_by("date").values_list("pk", flat=True))
    for pk in expired:
        if pk not in ids and Puzzle.objects.filter(claimable(), pk=pk).exists():
            ids.append(pk)
    if ids:
        log.info("recovery: queueing puzzles %s", ids)
    return ids


# --- The nightly job ---------------------------------------------------------------------------


def prepare_upcoming(days: int | None = None) -> list[int]:
    """Make sure today's and the next days' puzzles exist; the ids of those to generate now."""
    days = settings.SIXFOLD_DAYS_AHEAD if days is None else days
    today = puzzle_day()
    expire_stale_claims()
    puzzles = ensure_puzzles(today, days)
    publish_due_puzzles()
    return list(
        Puzzle.objects.filter(claimable(), pk__in=[puzzle.pk for puzzle in puzzles])
        .order_by("date")
        .values_list("pk", flat=True)
    )


def generate_with_retries(
    puzzle_id: int,
    wait: Callable[[float], None] = time.sleep,
    observer: generation.Progress | None = None,
) -> Outcome:
    """Attempt a puzzle until it is generated or the failure policy has nothing left to try."""
    while True:
        outcome = attempt_puzzle(puzzle_id, observer)
        if outcome is not Outcome.FAILED:
            return outcome
        step = after_failure(puzzle_id)
        log.info("puzzle %s: %s", puzzle_id, step.note)
        if step.retry_in is None:
            return outcome
        wait(step.retry_in)
