"""Playing through game.services: reveal rules, winning, losing, resent guesses, bad guesses."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from game_fixtures import ANSWER

from game import services
from game.community import community_counts
from game.models import AnswerEmbedding, Guess, PlayerProgress
from game.validation import GuessRejected
from puzzles.models import Puzzle
from puzzles.services import publish

SITE = "https://sixfold.example"
MISSES = [
    "a red bus",
    "green apples",
    "a city at night",
    "a cat on a chair",
    "snowy mountains",
    "a plate of pasta",
]


def guess(puzzle: Puzzle, player: uuid.UUID, text: str, guess_id: str | None = None) -> Any:
    return async_to_sync(services.submit_guess)(
        puzzle, player, guess_id or str(uuid.uuid4()), text, SITE
    )


def state(puzzle: Puzzle, player: uuid.UUID) -> dict[str, Any]:
    return services.game_state(puzzle, player, SITE)


def test_it_starts_with_one_picture_and_the_function_words(puzzle: Puzzle) -> None:
    start = state(puzzle, uuid.uuid4())
    assert start["status"] == "playing"
    assert start["images"] == [f"/p/{puzzle.number}/picture/1/"]
    assert [t["word"] for t in start["tiles"]] == [
        None,
        None,
        None,
        "to",
        "the",
        None,
        "of",
        "a",
        None,
        "on",
        "a",
        None,
    ]
    assert start["answer"] is None and start["share"] is None


def test_it_reveals_a_picture_per_miss_and_keeps_found_words(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    guess(puzzle, player, "two penguins")
    after_one = state(puzzle, player)
    assert len(after_one["images"]) == 2
    assert [t["word"] for t in after_one["tiles"][:3]] == ["two", None, "penguins"]
    guess(puzzle, player, "a red bus")
    after_two = state(puzzle, player)
    assert len(after_two["images"]) == 3
    assert after_two["tiles"][2] == {"word": "penguins", "state": "found"}
    assert after_two["guesses"][1]["marks"][2] == "absent"  # this guess missed it; still shown


def test_it_wins_when_every_word_has_been_found(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    guess(puzzle, player, "two small penguins")
    guess(puzzle, player, "left of a sailboat on the beach")
    end = state(puzzle, player)
    assert end["status"] == "won"
    assert end["answer"] == ANSWER
    assert len(end["images"]) == 6
    assert all(t["state"] in ("found", "given") for t in end["tiles"])
    assert end["share"]["standard"].startswith(f"Sixfold #{puzzle.number} 2/6\n")
    assert end["share"]["standard"].endswith(f"{SITE}/p/{puzzle.number}/")
    assert end["community"]["betterThan"] == 100


def test_it_loses_after_six_guesses_and_refuses_a_seventh(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    for text in MISSES:
        guess(puzzle, player, text)
    end = state(puzzle, player)
    assert end["status"] == "lost"
    assert end["answer"] == ANSWER
    assert {t["state"] for t in end["tiles"]} == {"given", "missed"}
    assert end["share"]["standard"].startswith(f"Sixfold #{puzzle.number} X/6\n")
    with pytest.raises(GuessRejected) as caught:
        guess(puzzle, player, "two penguins")
    assert caught.value.code == "game_over"
    assert Guess.objects.count() == 6


def test_a_guess_sent_again_counts_once(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    guess_id = str(uuid.uuid4())
    first = guess(puzzle, player, "a red bus", guess_id)
    again = guess(puzzle, player, "a red bus", guess_id)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert PlayerProgress.objects.get(player=player).guess_count == 1
    assert len(state(puzzle, player)["images"]) == 2


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "empty"), ("x" * 500, "too_long"), ("a\u202ebus", "control_character")],
)
def test_a_bad_guess_gets_a_clear_message_and_stores_nothing(
    puzzle: Puzzle, text: str, code: str
) -> None:
    with pytest.raises(GuessRejected) as caught:
        guess(puzzle, uuid.uuid4(), text)
    assert caught.value.code == code
    assert PlayerProgress.objects.count() == 0 and Guess.objects.count() == 0


def test_a_guess_without_a_valid_id_is_refused(puzzle: Puzzle) -> None:
    with pytest.raises(GuessRejected, match="no valid id"):
        guess(puzzle, uuid.uuid4(), "a red bus", guess_id="not-a-uuid")
    assert Guess.objects.count() == 0


def test_the_same_guess_twice_is_refused(puzzle: Puzzle) -> None:
    player = uuid.uuid4()
    guess(puzzle, player, "A red bus")
    with pytest.raises(GuessRejected, match="already guessed") as caught:
        guess(puzzle, player, "a red buses!")
    assert caught.value.code == "repeated"
    assert Guess.objects.count() == 1


def test_a_player_who_guesses_too_fast_is_told_to_wait(puzzle: Puzzle, settings: Any) -> None:
    settings.SIXFOLD_GUESS_RATE = (2, 60)
    player = uuid.uuid4()
    guess(puzzle, player, "a red bus")
    guess(puzzle, player, "green apples")
    with pytest.raises(GuessRejected, match=r"try again in \d+ s") as caught:
        guess(puzzle, player, "a city at night")
    assert caught.value.code == "rate_limited"
    assert Guess.objects.count() == 2
    other = uuid.uuid4()
    assert guess(puzzle, other, "a red bus").duplicate is False  # others are not slowed down


def test_it_counts_players_and_solvers_and_compares_results(puzzle: Puzzle) -> None:
    fast, slow, loser = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    guess(puzzle, fast, ANSWER)
    for text in ["two small penguins", "a red bus", "left of a sailboat on the beach"]:
        guess(puzzle, slow, text)
    for text in MISSES:
        guess(puzzle, loser, text)
    guess(puzzle, uuid.uuid4(), "a red bus")  # still playing
    assert community_counts(puzzle.pk) == {"players": 4, "solvers": 2}
    result = state(puzzle, slow)["community"]
    assert result["distribution"] == [1, 0, 1, 0, 0, 0] and result["lost"] == 1
    assert result["betterThan"] == 50  # of the two others, the loser did worse
    assert (result["worse"], result["others"]) == (1, 2)  # what the page says with few others
    assert state(puzzle, fast)["community"]["betterThan"] == 100


def test_stats_count_archive_games_but_not_towards_streaks(make_puzzle: Any) -> None:
    player = uuid.uuid4()
    for days_ago, answer in [(2, "a red kite"), (1, "a blue kite"), (0, "a green kite")]:
        guess(make_puzzle(answer, days_ago=days_ago), player, answer)
    stats = services.stats_for(player)
    # Only today's game was played on its own day: a streak of one.
    assert (stats.played, stats.win_percent, stats.current_streak, stats.best_streak) == (
        3,
        100,
        1,
        1,
    )
    assert stats.distribution[0] == 3
    on_day = PlayerProgress.objects.filter(player=player).order_by("puzzle__number")
    assert [p.on_day for p in on_day] == [False, False, True]


def test_a_stats_code_moves_games_to_another_browser(make_puzzle: Any) -> None:
    old, new = uuid.uuid4(), uuid.uuid4()
    first, second = make_puzzle("a red kite", days_ago=1), make_puzzle("a blue kite")
    guess(first, old, "a red kite")
    guess(second, new, "a blue kite")
    guess(second, old, "a green kite")  # both played #2: the new browser's game stays put
    assert services.merge_players(new, old) == 0
    assert services.merge_players(old, new) == 1
    assert services.stats_for(new).played == 2


def test_publishing_a_puzzle_stores_the_answers_embeddings(
    make_puzzle: Any, django_capture_on_commit_callbacks: Any
) -> None:
    puzzle = make_puzzle("a giraffe wearing a crown", state=Puzzle.State.REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        publish(puzzle)
    stored = AnswerEmbedding.objects.get(puzzle=puzzle)
    assert stored.answer == "a giraffe wearing a crown"
    assert len(bytes(stored.vectors)) > 3 * 384 * 4  # the sentence and three words
