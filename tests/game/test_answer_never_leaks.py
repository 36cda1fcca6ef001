"""No word of the answer reaches the browser before the game is over: every page, JSON body,
header, picture, static file and WebSocket frame of a game played up to its last guess is
searched for the answer's content words."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.staticfiles import finders
from django.test import Client
from game_fixtures import make_published_puzzle

from config.asgi import application
from game.scoring.words import tokens
from puzzles.calendar import puzzle_day
from puzzles.models import Puzzle

pytestmark = pytest.mark.django_db(transaction=True)

# No content word of this answer is a word the game's own pages use.
SECRET = "a giraffe wearing a crown in the desert"
CONTENT_WORDS = [t.text for t in tokens(SECRET) if not t.is_function_word]
MISSES = ["a red bus", "green apples", "a city at night", "a cat on a chair", "snowy mountains"]


def leaked_words(text: str) -> list[str]:
    return [
        word for word in CONTENT_WORDS if re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)
    ]


class Recorder:
    """Everything the server sent, as text."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def add(self, where: str, payload: bytes | str) -> None:
        text = payload if isinstance(payload, str) else payload.decode("latin-1")
        self.seen.append((where, text))

    def leaks(self) -> list[tuple[str, list[str]]]:
        return [(where, words) for where, text in self.seen if (words := leaked_words(text))]


def fetch(client: Client, recorder: Recorder, method: str, url: str, **kwargs: object) -> object:
    response = getattr(client, method)(url, **kwargs)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    recorder.add(f"{method.upper()} {url}", body)
    recorder.add(f"headers of {url}", str(dict(response.headers)))
    return response


def http_part(puzzle: Puzzle, recorder: Recorder) -> str:
    client = Client()
    for url in ["/", f"/p/{puzzle.number}/", "/archive/", "/how-to-play/", "/stats/"]:
        fetch(client, recorder, "get", url)
    token = client.cookies["csrftoken"].value
    for text in [*MISSES[:3], "\u0000bad"]:
        fetch(
            client,
            recorder,
            "post",
            f"/p/{puzzle.number}/guess/",
            data={"id": str(uuid.uuid4()), "text": text},
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
    fetch(client, recorder, "get", f"/p/{puzzle.number}/state/")
    for position in range(1, 7):  # the revealed pictures, and the refusals of the others
        fetch(client, recorder, "get", f"/p/{puzzle.number}/picture/{position}/")
    return f"sessionid={client.cookies['sessionid'].value}"


STATIC_ROOT = Path(__file__).resolve().parents[2] / "game" / "static"


def static_files(recorder: Recorder) -> None:
    """Every script and style sheet the game serves, found by glob (a new file is checked too)."""
    names = sorted(
        str(path.relative_to(STATIC_ROOT))
        for pattern in ("**/*.js", "**/*.css")
        for path in STATIC_ROOT.glob(pattern)
    )
    assert "game/play/main.js" in names and len(names) >= 8
    for name in names:
        recorder.add(name, Path(finders.find(name)).read_text())


async def websocket_part(puzzle: Puzzle, cookie: str, recorder: Recorder) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application,
        f"/ws/play/{puzzle.number}/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", cookie.encode())],
    )
    assert (await socket.connect(timeout=30))[0]
    for text in MISSES[3:]:
        await socket.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": text})
    await socket.send_json_to({"type": "guess", "id": "x", "text": "a kite"})  # rejected
    await socket.send_json_to({"type": "state"})
    for _ in range(2 + 2 + 1 + 1):  # state, counts, two results, an error, a state
        recorder.add("frame", await socket.receive_from(timeout=60))
    return socket


async def test_no_answer_word_reaches_the_browser_before_the_game_is_over() -> None:
    puzzle = await database_sync_to_async(make_published_puzzle)(SECRET, puzzle_day())
    recorder = Recorder()
    cookie = await database_sync_to_async(http_part)(puzzle, recorder)
    await database_sync_to_async(static_files)(recorder)
    socket = await websocket_part(puzzle, cookie, recorder)
    assert len(recorder.seen) > 30
    assert recorder.leaks() == []

    # The check can fail: the last guess ends the game, and then the answer is sent.
    await socket.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": "a tall animal"})
    final = await socket.receive_from(timeout=60)
    assert '"status": "lost"' in final
    assert leaked_words(final) == CONTENT_WORDS
    await socket.disconnect()
