"""A player's path while something is down or not ready: answers in the page's protocol (JSON
with a code, an error frame), nothing stored or changed, and resent guesses counted once."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from game_fixtures import ANSWER, make_published_puzzle

from config.asgi import application
from game import services
from game.models import Guess
from puzzles.calendar import puzzle_day
from puzzles.models import Puzzle

pytestmark = pytest.mark.django_db(transaction=True)

# A Redis that is not there: connections are refused at once, as during an outage.
DOWN = "redis://127.0.0.1:1/0"


def opened_browser(path: str = "/") -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == 200
    return client


def post_guess(client: Client, number: int, text: str, guess_id: str | None = None) -> Any:
    return client.post(
        f"/p/{number}/guess/",
        data=json.dumps({"id": guess_id or str(uuid.uuid4()), "text": text}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def test_a_guess_during_a_redis_outage_gets_a_json_503_and_stores_nothing(settings: Any) -> None:
    puzzle = make_published_puzzle(ANSWER, puzzle_day())
    browser = opened_browser()
    # Redis holds the cache and the shared rate limits (game.ratelimit talks to it directly).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DOWN}
    }
    settings.REDIS_URL = DOWN
    response = post_guess(browser, puzzle.number, "two penguins")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"
    assert Guess.objects.count() == 0


def test_resent_copies_of_one_guess_do_not_use_up_the_rate_limit(settings: Any) -> None:
    puzzle = make_published_puzzle(ANSWER, puzzle_day())
    settings.SIXFOLD_GUESS_RATE = (2, 60)
    player = uuid.uuid4()

    async def play() -> list[Any]:
        copy_id = str(uuid.uuid4())
        # Five copies of one guess at once, before any of them is stored ...
        copies = await asyncio.gather(
            *[
                services.submit_guess(puzzle, player, copy_id, "two penguins", "http://x")
                for _ in range(5)
            ],
            return_exceptions=True,
        )
        # ... then the player's next, different guess.
        following = await services.submit_guess(
            puzzle, player, str(uuid.uuid4()), "a sailboat", "http://x"
        )
        return [*copies, following]

    results = asyncio.run(play())
    assert not any(isinstance(result, Exception) for result in results), results
    assert sum(not result.duplicate for result in results[:5]) == 1
    assert Guess.objects.count() == 2


def test_todays_page_says_the_pictures_are_being_drawn_until_they_are_published() -> None:
    today = make_published_puzzle(ANSWER, puzzle_day(), state=Puzzle.State.GENERATING)
    page = Client().get(f"/p/{today.number}/")
    assert page.status_code == 200 and b"still being drawn" in page.content
    assert b"archive" in page.content
    yesterday = make_published_puzzle("a kite", puzzle_day() - timedelta(days=1))
    browser = opened_browser(f"/p/{yesterday.number}/")
    state = browser.get(f"/p/{today.number}/state/")
    assert state.status_code == 503 and state.json()["code"] == "not_ready"
    assert state["Retry-After"] == "5"
    guess = post_guess(browser, today.number, "two penguins")
    assert guess.status_code == 503 and guess.json()["code"] == "not_ready"
    later = make_published_puzzle("a boat", puzzle_day() + timedelta(days=2))
    assert browser.get(f"/p/{later.number}/state/").json()["code"] == "no_puzzle"
    assert Guess.objects.count() == 0


async def _socket(number: int) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(_cookie)()
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, f"/ws/play/{number}/", headers=headers)
    connected, _ = await socket.connect(timeout=30)
    assert connected
    return socket


def _cookie() -> bytes:
    client = Client()
    client.get("/")
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_a_malformed_frame_gets_an_error_frame_and_the_socket_stays_open() -> None:
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    socket = await _socket(puzzle.number)
    assert (await socket.receive_json_from(timeout=30))["type"] == "state"
    assert (await socket.receive_json_from(timeout=30))["type"] == "counts"
    await socket.send_to(text_data='{"type": guess, oops')
    error = await socket.receive_json_from(timeout=30)
    assert (error["type"], error["code"]) == ("error", "bad_message")
    await socket.send_json_to({"type": "state"})
    assert (await socket.receive_json_from(timeout=30))["type"] == "state"
    await socket.disconnect()


async def test_with_redis_down_the_socket_says_so_and_closes_4503(settings: Any) -> None:
    # Redis holds the channel layer and the players' open tabs (both from REDIS_URL): a page
    # that connects during an outage is told, and its page falls back to HTTP.
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [DOWN]},
        }
    }
    settings.REDIS_URL = DOWN
    socket = await _socket(puzzle.number)
    error = await socket.receive_json_from(timeout=30)
    assert (error["type"], error["code"]) == ("error", "unavailable")
    closed = await socket.receive_output(timeout=30)
    assert closed == {"type": "websocket.close", "code": 4503}


def test_an_outage_is_logged_once_then_once_a_minute_with_a_count(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from game import outages

    clock = [1000.0]
    monkeypatch.setattr(outages.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(outages, "_last_reported", {})
    with caplog.at_level(logging.WARNING, logger="game.outages"):
        for _ in range(50):
            outages.report("guess", ConnectionRefusedError(111, "Connection refused"))
        clock[0] += 61
        outages.report("guess", ConnectionRefusedError(111, "Connection refused"))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "ConnectionRefusedError" in lines[0] and "more requests" not in lines[0]
    assert "(49 more requests met it since the last report)" in lines[1]
