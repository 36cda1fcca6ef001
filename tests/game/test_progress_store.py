"""The guess path's own SQL (game.progress_store): what it writes reads back through the ORM
exactly as the ORM's own writes did, on SQLite and on PostgreSQL, and two tabs of one player
guessing at the same moment both count, one after the other."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from django.db import transaction
from threads_at_once import run_in_threads

from game import progress_store, services
from game.models import Guess, PlayerProgress
from game.scoring.marking import GuessScore, WordMark
from game.scoring.marks import ABSENT, EXACT
from game.services import ScoredGuess
from puzzles.models import Puzzle

SITE = "https://sixfold.example"


def score(similarity: float, answer: str, found: frozenset[str] = frozenset()) -> GuessScore:
    marks = [WordMark(w, EXACT if w in found else ABSENT) for w in answer.split()]
    return GuessScore(similarity, marks, [WordMark("guess", "absent")])


def record(puzzle: Puzzle, player: uuid.UUID, text: str, similarity: float = 40.0) -> Any:
    scored = score(similarity, puzzle.prompt.text)
    return services._record(ScoredGuess(puzzle, player, uuid.uuid4(), text, scored), SITE)


def test_a_first_guess_makes_the_progress_and_later_ones_read_it_back(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    with transaction.atomic():
        first = progress_store.lock_game(puzzle, player, on_day=True)
    assert first.guesses == [] and first.progress.guess_count == 0
    assert first.progress.state == PlayerProgress.State.PLAYING
    record(puzzle, player, "a red bus", 31.5)
    record(puzzle, player, "green apples", 47.25)

    with transaction.atomic():
        game = progress_store.lock_game(puzzle, player, on_day=True)
    assert game.progress.player == player and game.progress.guess_count == 2
    assert game.progress.best_similarity == 47.25
    assert [(g.number, g.text, g.similarity) for g in game.guesses] == [
        (1, "a red bus", 31.5),
        (2, "green apples", 47.25),
    ]
    assert isinstance(game.guesses[0].client_id, uuid.UUID)
    assert game.guesses[0].marks == ["absent"] * len(puzzle.prompt.text.split())
    assert game.guesses[0].guess_marks == [["guess", "absent"]]


def test_what_it_stores_reads_back_through_the_orm(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    answer = puzzle.prompt.text
    scored = score(55.0, answer, frozenset({"two", "penguins"}))
    outcome = services._record(
        ScoredGuess(puzzle, player, uuid.uuid4(), "two penguins", scored), SITE
    )
    progress = PlayerProgress.objects.get(player=player, puzzle=puzzle)
    assert progress.found == [0, 2]  # positions of "two" and "penguins"
    assert progress.guess_count == 1 and progress.on_day
    assert progress.started_at is not None and progress.updated_at >= progress.started_at
    stored = Guess.objects.get(progress=progress)
    assert stored.text == "two penguins" and stored.similarity == 55.0
    assert stored.marks[:3] == [EXACT, ABSENT, EXACT]
    assert outcome.state["tiles"][2] == {"word": "penguins", "state": "found"}


def test_a_finished_game_gets_its_finishing_time(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    for text in ["a", "b", "c", "d", "e", "f"]:
        outcome = record(puzzle, player, f"guess {text}")
    assert outcome.state["status"] == "lost"
    progress = PlayerProgress.objects.get(player=player, puzzle=puzzle)
    assert progress.state == PlayerProgress.State.LOST and progress.finished_at is not None


@pytest.mark.postgres
def test_two_tabs_guessing_at_once_both_count_in_turn(puzzle: Puzzle) -> None:
    """Four tabs of a new player send four different first guesses at the same moment: the
    progress is made once, and every guess is stored with its own number."""
    player = uuid.uuid4()
    tab = itertools.count()
    run_in_threads(lambda: record(puzzle, player, f"guess from tab {next(tab)}"), 4)
    assert PlayerProgress.objects.filter(player=player).count() == 1
    numbers = sorted(Guess.objects.filter(progress__player=player).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4]
    assert PlayerProgress.objects.get(player=player).guess_count == 4


def test_reading_a_game_finds_nothing_before_the_first_guess_and_every_guess_after(
    puzzle: Puzzle,
) -> None:
    player = uuid.uuid4()
    assert progress_store.read_game(puzzle, player) is None
    record(puzzle, player, "a red bus", 31.5)
    record(puzzle, player, "green apples", 47.25)
    game = progress_store.read_game(puzzle, player)
    assert game is not None and game.progress.guess_count == 2
    assert [g.text for g in game.guesses] == ["a red bus", "green apples"]
    assert services.game_state(puzzle, player, SITE)["guesses"][1]["similarity"] == 47.25
