"""Prompts that curators write, the daily puzzles made from them, and the puzzles' images.

The game reads these: `Puzzle.number`, `Puzzle.date`, `Puzzle.prompt.text`, `Puzzle.state` and
`Puzzle.images` (the six selected images in the order players see them). Every generated
candidate is a `PuzzleImage` in `Puzzle.candidates`; the ones not selected have no position and
stay for review.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

IMAGES_PER_PUZZLE = 6
# A puzzle whose six pictures show its objects less plainly than this (mean legibility) is
# flagged in the admin: players would have to guess the objects.
LEGIBILITY_FLAG_BELOW = 0.5


class Prompt(models.Model):
    class Difficulty(models.TextChoices):
        EASY = "easy"
        MEDIUM = "medium"
        HARD = "hard"

    class Status(models.TextChoices):
        DRAFT = "draft"
        APPROVED = "approved"  # in the queue for a day
        RETIRED = "retired"  # never scheduled again

    text = models.CharField(max_length=200)
    tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated.")
    difficulty = models.CharField(
        max_length=10, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        permissions = [("approve_prompt", "Can approve and retire prompts")]
        constraints = [
            models.UniqueConstraint(Lower("text"), name="prompt_text_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.text


class Puzzle(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled"  # has a prompt, waits for generation
        GENERATING = "generating"  # claimed by a generation run (see claim_token, lease)
        REVIEW = "review"  # images ready, waits for a curator
        PUBLISHED = "published"  # players see it on its day
        FAILED = "failed"  # the last attempt failed; `error` says why

    class Fallback(models.TextChoices):
        NONE = "", "none"
        PROMPT = "prompt", "fallback prompt"  # the curated prompt kept failing
        REPLAY = "replay", "replay of an earlier puzzle"  # the generator kept failing

    number = models.PositiveIntegerField(unique=True)
    date = models.DateField(unique=True)
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="puzzles")
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.SCHEDULED, db_index=True
    )
    fallback = models.CharField(
        max_length=10, choices=Fallback.choices, default=Fallback.NONE, blank=True
    )

    # The facts of the last generation.
    model_name = models.CharField(max_length=200, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    error = models.TextField(blank=True)

    # A generation run owns the puzzle while it holds the claim token and the lease has not run
    # out; the lease is renewed on every progress report.
    claim_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    progress_stage = models.CharField(max_length=40, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        permissions = [("review_puzzle", "Can review, regenerate and publish puzzles")]
        constraints = [
            # A curated prompt is played once; fallbacks and replays may repeat one.
            models.UniqueConstraint(
                fields=["prompt"],
                condition=models.Q(fallback=""),
                name="puzzle_prompt_played_once",
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="puzzle_number_from_1"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} ({self.date})"

    @property
    def images(self) -> models.QuerySet[PuzzleImage]:
        """The six selected images, in the order players see them."""
        return self.candidates.selected()

    @property
    def run_stopped(self) -> bool:
        """Generating, but the run's lease ran out: the worker holding it died or hangs."""
        return (
            self.state == self.State.GENERATING
            and self.lease_expires_at is not None
            and self.lease_expires_at < timezone.now()
        )

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))


IMAGE_FOLDER = "puzzles"  # where every stored picture lives, under the media storage


def random_image_name(_instance: Any, _filename: str) -> str:
    # The name must not hint at the answer (house rules), so it is random.
    return f"{IMAGE_FOLDER}/{secrets.token_hex(16)}.png"


class PuzzleImageQuerySet(models.QuerySet["PuzzleImage"]):
    def selected(self) -> PuzzleImageQuerySet:
        return self.filter(position__isnull=False).order_by("position")


class PuzzleImage(models.Model):
    puzzle = models.ForeignKey(Puzzle, on_delete=models.CASCADE, related_name="candidates")
    # 1..6 for the images players see, in that order; empty for candidates not selected.
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(help_text="1 = the best CLIP score of the batch.")
    file = models.FileField(upload_to=random_image_name, max_length=200)
    score = models.FloatField(help_text="CLIP score of the image against the prompt.")
    legibility = models.FloatField(
        null=True,
        blank=True,
        help_text="How plainly it shows the prompt's objects (0-1), by the built-in model's "
        "recogniser; empty for models without one or prompts naming no object it knows.",
    )
    seed = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PuzzleImageQuerySet.as_manager()

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["puzzle", "position"],
                condition=models.Q(position__isnull=False),
                name="puzzle_image_position_unique",
            ),
            models.UniqueConstraint(fields=["puzzle", "rank"], name="puzzle_image_rank_unique"),
            models.CheckConstraint(
                condition=models.Q(position__isnull=True)
                | models.Q(position__gte=1, position__lte=IMAGES_PER_PUZZLE),
                name="puzzle_image_position_1_to_6",
            ),
        ]

    def __str__(self) -> str:
        where = f"position {self.position}" if self.position else "not selected"
        return f"{self.puzzle} candidate {self.rank} ({where})"


class Calendar(models.Model):
    """The site's puzzle calendar: the day of puzzle number 1 (one row), set the first time a
    number is needed unless SIXFOLD_FIRST_DAY fixes it."""

    first_day = models.DateField()

    def __str__(self) -> str:
        return f"puzzle #1 is {self.first_day.isoformat()}"
