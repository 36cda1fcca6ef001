"""What the game stores: each player's progress on a puzzle, their guesses, and the answers'
embeddings computed when a puzzle is published.

Players are anonymous: `player` is a random id kept in their cookie session (game.players).
"""

from __future__ import annotations

from django.db import models

from game import rules
from game.rules import MAX_GUESSES
from game.validation import MAX_GUESS_CHARS


class PlayerProgress(models.Model):
    class State(models.TextChoices):
        # The values are the rules' (game.rules.play_turn decides them).
        PLAYING = rules.PLAYING
        WON = rules.WON
        LOST = rules.LOST

    player = models.UUIDField()
    puzzle = models.ForeignKey(
        "puzzles.Puzzle", on_delete=models.CASCADE, related_name="player_progress"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PLAYING)
    guess_count = models.PositiveSmallIntegerField(default=0)
    # Positions of the answer words found so far (a word once found stays revealed).
    found = models.JSONField(default=list)
    best_similarity = models.FloatField(default=0.0)
    # Started on the puzzle's own day: only those games count towards streaks.
    on_day = models.BooleanField(default=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["player", "puzzle"], name="one_progress_per_player"),
            models.CheckConstraint(
                condition=models.Q(guess_count__lte=MAX_GUESSES), name="at_most_six_guesses"
            ),
        ]
        indexes = [models.Index(fields=["puzzle", "state"], name="progress_by_puzzle_state")]

    def __str__(self) -> str:
        return f"{self.player} on {self.puzzle_id}: {self.state} after {self.guess_count}"

    @property
    def is_over(self) -> bool:
        return self.state != self.State.PLAYING


class Guess(models.Model):
    progress = models.ForeignKey(PlayerProgress, on_delete=models.CASCADE, related_name="guesses")
    number = models.PositiveSmallIntegerField()  # 1..6
    # Made by the browser for each guess: a guess sent again after a dropped connection carries
    # the same id and is recognised instead of counted twice.
    client_id = models.UUIDField()
    text = models.CharField(max_length=MAX_GUESS_CHARS)
    similarity = models.FloatField()
    marks = models.JSONField()  # one state per answer word
    guess_marks = models.JSONField()  # [[guess word, state], ...]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["progress", "number"], name="one_guess_per_turn"),
            models.UniqueConstraint(fields=["progress", "client_id"], name="guess_counted_once"),
        ]

    def __str__(self) -> str:
        return f"guess {self.number}: {self.text}"


class AnswerEmbedding(models.Model):
    """An answer's sentence and word vectors, computed once when its puzzle is published."""

    puzzle = models.OneToOneField(
        "puzzles.Puzzle", on_delete=models.CASCADE, related_name="answer_embedding"
    )
    answer = models.CharField(max_length=200)  # the text embedded: a changed prompt is redone
    model_name = models.CharField(max_length=200)
    vectors = models.BinaryField()  # an .npz archive: "text" and one array per word key
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"embedding of puzzle {self.puzzle_id}"
