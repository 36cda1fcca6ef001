"""What curators and the game do with puzzles: read today's puzzle, schedule prompts on days,
pick and order images, publish, ask for a new generation.

Generation runs themselves (claims, the generator, storing images, failures) live in runs.py.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from puzzles.calendar import puzzle_day, puzzle_number, upcoming_days
from puzzles.models import IMAGES_PER_PUZZLE, Prompt, Puzzle, PuzzleImage
from puzzles.signals import puzzle_published

log = logging.getLogger(__name__)

Actor = User | None  # who did it; None for the nightly job


class CurationError(ValueError):
    """A curator's request that cannot be done; the message says why."""


# --- Reading (the game uses these) -------------------------------------------------------------


def published_puzzle_for_day(day: date) -> Puzzle | None:
    """The published puzzle of a day, or None; None too for a day that has not begun."""
    if day > puzzle_day():
        return None
    return (
        Puzzle.objects.select_related("prompt")
        .filter(date=day, state=Puzzle.State.PUBLISHED)
        .first()
    )


def published_puzzle_by_number(number: int) -> Puzzle | None:
    """The published puzzle with a number, or None (also for a day that has not begun)."""
    puzzle = Puzzle.objects.select_related("prompt").filter(number=number).first()
    if puzzle is None or puzzle.state != Puzzle.State.PUBLISHED or puzzle.date > puzzle_day():
        return None
    return puzzle


# --- The prompt queue and the calendar ---------------------------------------------------------


def queued_prompts() -> QuerySet[Prompt]:
    """Approved prompts never played yet, oldest approval first: the order days get them."""
    played = Puzzle.objects.filter(prompt=OuterRef("pk"), fallback=Puzzle.Fallback.NONE)
    return (
        Prompt.objects.filter(status=Prompt.Status.APPROVED)
        .exclude(Exists(played))
        .order_by(F("status_changed_at").asc(nulls_first=True), "id")
    )


def fallback_prompt() -> Prompt:
    """The prompt of settings.SIXFOLD_FALLBACK_PROMPT, created on first need."""
    text = settings.SIXFOLD_FALLBACK_PROMPT
    existing = Prompt.objects.filter(text__iexact=text).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Prompt.objects.create(
                text=text,
                difficulty=Prompt.Difficulty.EASY,
                notes="Used automatically when a day has no prompt that can be drawn.",
            )
    except IntegrityError:  # another process created it a moment ago
        return Prompt.objects.get(text__iexact=text)


def schedule_day(day: date, *, use_fallback: bool = True) -> Puzzle | None:
    """The puzzle of a day, creating it with the next queued prompt when there is none.

    With an empty queue the day gets the fallback prompt, or stays empty (None) when
    `use_fallback` is off. Safe to run from several processes at once: the date is unique and
    a prompt is taken under a row lock (PostgreSQL) or the write lock (SQLite).
    """
    for _ in range(10):
        existing = Puzzle.objects.filter(date=day).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                # skip_locked: a prompt another run is about to take goes to that run.
                prompt = queued_prompts().select_for_update(skip_locked=True).first()
                fallback = Puzzle.Fallback.NONE
                if prompt is None:
                    if not use_fallback:
                        return None
                    prompt, fallback = fallback_prompt(), Puzzle.Fallback.PROMPT
                return Puzzle.objects.create(
                    date=day,
                    number=puzzle_number(day),
                    prompt=prompt,
                    fallback=fallback,
                    error="The queue of approved prompts was empty: used the fallback prompt."
                    if fallback
                    else "",
                )
        except IntegrityError:
            # Another run scheduled this day, or took the same prompt for another day: look again.
            continue
    raise RuntimeError(f"could not schedule {day}: too many concurrent changes")


def ensure_puzzles(first: date, days: int) -> list[Puzzle]:
    """Make sure each of `days` days from `first` has a puzzle (with the fallback if need be)."""
    puzzles = [schedule_day(day) for day in upcoming_days(first, days)]
    return [puzzle for puzzle in puzzles if puzzle is not None]


def auto_fill(first: date, days: int) -> tuple[list[Puzzle], int]:
    """Give empty days the next queued prompts; returns (new puzzles, days left empty)."""
    created: list[Puzzle] = []
    empty = 0
    for day in upcoming_days(first, days):
        if Puzzle.objects.filter(date=day).exists():
            continue
        puzzle = schedule_day(day, use_fallback=False)
        if puzzle is None:
            empty += 1
        else:
            created.append(puzzle)
    return created, empty


def assign_prompt(day: date, prompt: Prompt) -> Puzzle:
    """Put an approved prompt on a day (a new puzzle, or a replacement that will be generated)."""
    if prompt.status != Prompt.Status.APPROVED:
        raise CurationError(
            f"“{prompt}” is {prompt.status}: only approved prompts can be scheduled."
        )
    if day < puzzle_day():
        raise CurationError(f"{day} is in the past.")
    elsewhere = Puzzle.objects.filter(prompt=prompt, fallback=Puzzle.Fallback.NONE).exclude(
        date=day
    )
    if (other := elsewhere.first()) is not None:
        raise CurationError(f"“{prompt}” is already the puzzle of {other.date}.")
    with transaction.atomic():
        puzzle = Puzzle.objects.select_for_update().filter(date=day).first()
        if puzzle is None:
            try:
                with transaction.atomic():
                    return Puzzle.objects.create(date=day, number=puzzle_number(day), prompt=prompt)
            except IntegrityError:
                raise CurationError(
                    f"{day} or “{prompt}” was scheduled meanwhile; reload the page."
                ) from None
        if puzzle.prompt_id == prompt.pk and not puzzle.fallback:
            return puzzle
        _check_replaceable(puzzle)
        puzzle.prompt = prompt
        puzzle.fallback = Puzzle.Fallback.NONE
        _reset_for_generation(puzzle)
        _delete_candidates(puzzle)
        return puzzle


def change_refusal(puzzle: Puzzle) -> str | None:
    """Why a puzzle's prompt, pictures or selection cannot change now, or None when they can
    (the admin pages offer no action this would refuse)."""
    if puzzle.state == Puzzle.State.GENERATING and not puzzle.run_stopped:
        return f"Puzzle {puzzle} is being generated; try again when it is done."
    if puzzle.state == Puzzle.State.PUBLISHED and puzzle.date <= puzzle_day():
        return f"Puzzle {puzzle} is live; it can no longer change."
    return None


def _check_replaceable(puzzle: Puzzle) -> None:
    if (refusal := change_refusal(puzzle)) is not None:
        raise CurationError(refusal)


def has_hand_picked_selection(puzzle: Puzzle) -> bool:
    """Whether a curator chose pictures other than the generator's best six, in its order."""
    return puzzle.images.exclude(position=F("rank")).exists()


def _reset_for_generation(puzzle: Puzzle) -> None:
    puzzle.state = Puzzle.State.SCHEDULED
    puzzle.claim_token = None  # a run that stopped and comes back finds its claim gone
    puzzle.lease_expires_at = None
    puzzle.attempts = 0
    puzzle.error = ""
    puzzle.published_at = None
    puzzle.published_by = None
    puzzle.progress_stage = ""
    puzzle.progress_done = puzzle.progress_total = 0
    puzzle.save(
        update_fields=[
            "prompt",
            "fallback",
            "state",
            "claim_token",
            "lease_expires_at",
            "attempts",
            "error",
            "published_at",
            "published_by",
            "progress_stage",
            "progress_done",
            "progress_total",
            "updated_at",
        ]
    )


def _delete_candidates(puzzle: Puzzle) -> None:
    names = list(puzzle.candidates.values_list("file", flat=True))
    puzzle.candidates.all().delete()
    transaction.on_commit(lambda: delete_files(names))


def delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # a file that is already gone is what we wanted anyway
            log.warning("could not delete %s", name)


# --- Review: pick, order, publish, regenerate --------------------------------------------------


def select_images(puzzle: Puzzle, image_ids: list[int]) -> None:
    """Make these six candidates the puzzle's images, in this order."""
    if puzzle.state not in (Puzzle.State.REVIEW, Puzzle.State.PUBLISHED):
        raise CurationError(f"Puzzle {puzzle} is {puzzle.state}: there is nothing to pick from.")
    _check_replaceable(puzzle)
    if len(image_ids) != IMAGES_PER_PUZZLE or len(set(image_ids)) != IMAGES_PER_PUZZLE:
        raise CurationError(f"Pick exactly {IMAGES_PER_PUZZLE} different images.")
    candidates = set(puzzle.candidates.values_list("id", flat=True))
    if not set(image_ids) <= candidates:
        raise CurationError("Some of the picked images are not candidates of this puzzle.")
    with transaction.atomic():
        puzzle.candidates.update(position=None)
        for position, image_id in enumerate(image_ids, start=1):
            PuzzleImage.objects.filter(pk=image_id).update(position=position)


def publish(puzzle: Puzzle, user: Actor = None) -> None:
    """Publish a reviewed puzzle: players see it on its day."""
    if puzzle.state != Puzzle.State.REVIEW:
        raise CurationError(
            f"Puzzle {puzzle} is {puzzle.state}; only a puzzle in review can be published."
        )
    if puzzle.images.count() != IMAGES_PER_PUZZLE:
        raise CurationError(f"Puzzle {puzzle} needs {IMAGES_PER_PUZZLE} selected images first.")
    with transaction.atomic():
        updated = Puzzle.objects.filter(pk=puzzle.pk, state=Puzzle.State.REVIEW).update(
            state=Puzzle.State.PUBLISHED,
            published_at=timezone.now(),
            published_by=user,
            updated_at=timezone.now(),
        )
        if updated != 1:
            raise CurationError(f"Puzzle {puzzle} changed meanwhile; reload the page.")
        announce_publication(puzzle.pk)
    puzzle.refresh_from_db()


def announce_publication(puzzle_id: int) -> None:
    """Send `puzzle_published` once the surrounding transaction has committed."""

    def send() -> None:
        puzzle = Puzzle.objects.select_related("prompt").get(pk=puzzle_id)
        puzzle_published.send(sender=Puzzle, puzzle=puzzle)

    transaction.on_commit(send)


def request_regeneration(puzzle: Puzzle, confirmed: bool = False) -> Puzzle:
    """Send the puzzle back to the generator; its current images stay until new ones exist.
    A hand-picked selection is thrown away only when `confirmed`."""
    with transaction.atomic():
        puzzle = Puzzle.objects.select_for_update().get(pk=puzzle.pk)
        _check_replaceable(puzzle)
        if not confirmed and has_hand_picked_selection(puzzle):
            raise CurationError(
                f"Puzzle {puzzle} has a hand-picked selection: tick “throw away the chosen "
                "pictures” to regenerate anyway."
            )
        _reset_for_generation(puzzle)
    return puzzle


def publish_due_puzzles(now: datetime | None = None) -> list[Puzzle]:
    """Publish unreviewed puzzles whose day starts within a day, so that no day is empty."""
    due = puzzle_day(now) + timedelta(days=1)
    published = []
    for puzzle in Puzzle.objects.filter(state=Puzzle.State.REVIEW, date__lte=due):
        if puzzle.images.count() != IMAGES_PER_PUZZLE:
            continue
        try:
            publish(puzzle)
        except CurationError:  # a curator acted at the same moment
            continue
        log.info("published %s unreviewed: its day is near", puzzle)
        published.append(puzzle)
    return published
