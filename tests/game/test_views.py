"""The pages and the HTTP twin of the socket, through Django's test client."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from game_fixtures import ANSWER, OTHER_ANSWER

from game.models import Guess, PlayerProgress
from game.players import SESSION_KEY, player_from_code, transfer_code
from puzzles.models import Puzzle


@pytest.fixture
def browser(puzzle: Puzzle) -> Client:
    """A player's browser that has opened today's page (so it has a session and a CSRF cookie)."""
    client = Client(enforce_csrf_checks=True)
    assert client.get("/").status_code == 200
    return client


def post_guess(client: Client, number: int, text: str, guess_id: str | None = None) -> Any:
    return client.post(
        f"/p/{number}/guess/",
        data=json.dumps({"id": guess_id or str(uuid.uuid4()), "text": text}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def test_it_shows_todays_puzzle_without_its_words(puzzle: Puzzle) -> None:
    response = Client().get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"#{puzzle.number}" in body
    for word in ("penguins", "sailboat", "beach", "small"):
        assert word not in body.lower()
    assert 'alt="Picture' not in body or "penguin" not in body


def test_it_says_so_when_today_has_no_puzzle(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert b"still being drawn" in response.content


def test_it_plays_past_puzzles_but_not_future_ones(make_puzzle: Callable[..., Puzzle]) -> None:
    past = make_puzzle(OTHER_ANSWER, days_ago=3)
    future = make_puzzle("a kite over a volcano", days_ago=-1)
    assert Client().get(f"/p/{past.number}/").status_code == 200
    assert Client().get(f"/p/{future.number}/").status_code == 404
    assert Client().get("/p/99999/").status_code == 404


def test_it_lists_the_archive_with_the_players_status(
    browser: Client, puzzle: Puzzle, make_puzzle: Callable[..., Puzzle]
) -> None:
    make_puzzle(OTHER_ANSWER, days_ago=1)
    post_guess(browser, puzzle.number, "a red bus")
    body = browser.get("/archive/").content.decode()
    assert "In progress (1/6)" in body
    assert "Not played" in body
    assert OTHER_ANSWER.split()[1] not in body


def test_the_other_pages_render(browser: Client) -> None:
    assert b"How to play" in browser.get("/how-to-play/").content
    stats = browser.get("/stats/")
    assert stats.status_code == 200 and b"S1-" in stats.content


def test_it_takes_guesses_over_http_and_counts_a_resent_one_once(
    browser: Client, puzzle: Puzzle
) -> None:
    guess_id = str(uuid.uuid4())
    first = post_guess(browser, puzzle.number, "two penguins", guess_id)
    again = post_guess(browser, puzzle.number, "two penguins", guess_id)
    assert first.status_code == again.status_code == 200
    assert first.json()["state"]["tiles"][2] == {"word": "penguins", "state": "found"}
    assert again.json()["duplicate"] is True
    assert Guess.objects.count() == 1
    assert browser.get(f"/p/{puzzle.number}/state/").json()["state"]["guesses"][0]["id"] == guess_id


def test_it_refuses_a_guess_without_the_csrf_token(browser: Client, puzzle: Puzzle) -> None:
    response = browser.post(
        f"/p/{puzzle.number}/guess/",
        data=json.dumps({"id": str(uuid.uuid4()), "text": "a red bus"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Guess.objects.count() == 0


def test_it_explains_a_bad_guess_and_stores_nothing(browser: Client, puzzle: Puzzle) -> None:
    response = post_guess(browser, puzzle.number, "bus\u0007stop")
    assert response.status_code == 400
    assert response.json()["code"] == "control_character"
    assert "control character" in response.json()["message"]
    assert PlayerProgress.objects.count() == 0
    not_json = browser.post(
        f"/p/{puzzle.number}/guess/",
        data="{{{",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
    )
    assert not_json.status_code == 400


def test_it_answers_429_with_a_message_when_a_player_guesses_too_fast(
    browser: Client, puzzle: Puzzle, settings: Any
) -> None:
    settings.SIXFOLD_GUESS_RATE = (1, 60)
    assert post_guess(browser, puzzle.number, "a red bus").status_code == 200
    slow_down = post_guess(browser, puzzle.number, "green apples")
    assert slow_down.status_code == 429
    assert "try again in" in slow_down.json()["message"]


def test_a_guess_without_a_session_is_refused(puzzle: Puzzle) -> None:
    response = Client().post(
        f"/p/{puzzle.number}/guess/", data="{}", content_type="application/json"
    )
    assert response.status_code == 403


def test_pictures_are_served_only_once_revealed_to_that_player(
    browser: Client, puzzle: Puzzle
) -> None:
    assert browser.get(f"/p/{puzzle.number}/picture/1/").status_code == 200
    assert browser.get(f"/p/{puzzle.number}/picture/2/").status_code == 404
    assert Client().get(f"/p/{puzzle.number}/picture/1/").status_code == 404  # no session
    post_guess(browser, puzzle.number, "a red bus")
    picture = browser.get(f"/p/{puzzle.number}/picture/2/")
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert b"".join(picture.streaming_content).startswith(b"\x89PNG")
    assert browser.get(f"/p/{puzzle.number}/picture/3/").status_code == 404
    assert browser.get(f"/p/{puzzle.number}/picture/7/").status_code == 404


def test_a_stats_code_brings_the_games_to_another_browser(browser: Client, puzzle: Puzzle) -> None:
    post_guess(browser, puzzle.number, ANSWER)
    code = transfer_code(uuid.UUID(browser.session[SESSION_KEY]))
    assert player_from_code(code.lower().replace("-", " ")) == uuid.UUID(
        browser.session[SESSION_KEY]
    )
    other = Client()
    other.get("/stats/")
    imported = other.post("/stats/", {"code": code})
    assert imported.status_code == 200
    assert b"Stats imported" in imported.content
    assert other.session[SESSION_KEY] == browser.session[SESSION_KEY]
    assert other.get(f"/p/{puzzle.number}/state/").json()["state"]["status"] == "won"


def test_a_mistyped_stats_code_is_refused_and_changes_nothing(browser: Client) -> None:
    before = browser.session[SESSION_KEY]
    code = transfer_code(uuid.uuid4())
    middle = len(code) // 2 if code[len(code) // 2] != "-" else len(code) // 2 + 1
    typo = code[:middle] + ("A" if code[middle] != "A" else "B") + code[middle + 1 :]
    response = browser.post(
        "/stats/", {"code": typo, "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )
    assert response.status_code == 400
    assert b"does not check out" in response.content
    assert browser.session[SESSION_KEY] == before
