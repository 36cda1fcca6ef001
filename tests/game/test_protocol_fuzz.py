"""No input reaches a traceback: whatever the bytes of a frame or a body, the guess paths answer
with a documented error code, count it against the rate limit, log no error and store nothing.

Property-based (Hypothesis): random bytes, random Unicode, random JSON of any shape and depth,
and the inputs that once ended in a traceback (a binary or empty frame, JSON nested 100,000 deep,
a 5,000-digit number). CI runs a few hundred examples; `benchmarks/protocol_fuzz.py` runs more.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from game_fixtures import ANSWER, make_published_puzzle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.asgi import application
from game import protocol
from game.models import Guess
from puzzles.calendar import puzzle_day
from puzzles.models import Puzzle

# The inputs that ended in a 1011 close or a 500 before.
ONCE_FATAL: list[str | bytes | None] = [
    None,  # a binary frame carries no text
    "",
    "[" * 100_000 + "]" * 100_000,
    '{"type": "guess", "id": ' + "7" * 5_000 + ', "text": "a cat"}',
    "7" * 5_000,
    b"\xff\xfe\x00binary",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=40,
)


def _not_a_guess(value: Any) -> bool:
    """A random value that could be a playable guess would be stored, rightly: leave those out."""
    return not (isinstance(value, dict) and isinstance(value.get("text"), str))


bodies = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=600),
    json_values.filter(_not_a_guess).map(json.dumps),
    st.integers(min_value=1, max_value=6_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(min_value=4_000, max_value=9_000).map(lambda digits: "9" * digits),
)


@given(st.one_of(bodies, st.sampled_from(ONCE_FATAL)))
@settings(max_examples=300, deadline=None)
def test_parsing_never_raises(data: str | bytes | None) -> None:
    parsed = protocol.parse_message(data)
    if isinstance(parsed, protocol.Malformed):
        assert parsed.reason.endswith(".")


def test_the_inputs_that_once_ended_in_a_traceback_are_malformed() -> None:
    for data in ONCE_FATAL:
        assert isinstance(protocol.parse_message(data), protocol.Malformed), repr(data)[:40]


def _errors(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage()[:200] for r in records if r.levelno >= logging.ERROR or r.exc_info]


# --- over HTTP --------------------------------------------------------------------------------


@pytest.mark.django_db
@given(body=st.one_of(bodies, st.sampled_from([d for d in ONCE_FATAL if d is not None])))
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_body_gets_a_json_4xx_with_a_documented_code(
    body: str | bytes, puzzle: Puzzle, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.get("/")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = client.post(
            f"/p/{puzzle.number}/guess/", data=body, content_type="application/json"
        )
    assert 400 <= response.status_code < 500, response.status_code
    reply = response.json()
    assert reply["type"] == "error" and reply["code"] in protocol.ERROR_CODES
    assert not _errors(caplog.records)
    assert not Guess.objects.exists()


@pytest.mark.django_db
def test_malformed_bodies_count_against_the_guess_rate(puzzle: Puzzle, settings: Any) -> None:
    settings.SIXFOLD_GUESS_RATE = (3, 60)
    client = Client()
    client.get("/")
    codes = [
        client.post(f"/p/{puzzle.number}/guess/", data=b"\x00", content_type="x").json()["code"]
        for _ in range(5)
    ]
    assert codes == ["bad_message"] * 3 + ["rate_limited"] * 2


# --- over the socket --------------------------------------------------------------------------

frames = st.one_of(
    bodies.map(lambda data: ("bytes", data) if isinstance(data, bytes) else ("text", data)),
    st.sampled_from(ONCE_FATAL).map(
        lambda data: (
            ("bytes", b"\x00")
            if data is None
            else ("bytes", data)
            if isinstance(data, bytes)
            else ("text", data)
        )
    ),
)


async def opened(number: int, cookie: bytes) -> WebsocketCommunicator:
    """A page's socket past its opening frames (the game's state, then the counts)."""
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(application, f"/ws/play/{number}/", headers=headers)
    connected, _ = await socket.connect(timeout=30)
    assert connected
    assert (await socket.receive_json_from(timeout=30))["type"] == "state"
    assert (await socket.receive_json_from(timeout=30))["type"] == "counts"
    return socket


async def send_frame(socket: WebsocketCommunicator, kind: str, data: str | bytes) -> None:
    """Any frame, empty ones included (the communicator's send_to refuses those)."""
    await socket.send_input({"type": "websocket.receive", kind: data})


async def _play_frames(number: int, cookie: bytes, sent: list[tuple[str, Any]]) -> list[dict]:
    socket = await opened(number, cookie)
    replies = []
    for kind, data in sent:
        await send_frame(socket, kind, data)
        output = await socket.receive_output(timeout=10)
        assert output["type"] == "websocket.send", output  # not a close (1011 or other)
        replies.append(json.loads(output["text"]))
    await socket.disconnect()
    return replies


@pytest.mark.django_db(transaction=True)
@given(sent=st.lists(frames, min_size=30, max_size=30))
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_frame_gets_an_error_frame_with_a_documented_code(
    sent: list[tuple[str, Any]], caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.SIXFOLD_MESSAGE_RATE = (1_000, 10)
    puzzle = Puzzle.objects.order_by("number").first() or make_published_puzzle(
        ANSWER, puzzle_day()
    )
    client = Client()
    client.get("/")
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        replies = async_to_sync(_play_frames)(puzzle.number, cookie, sent)
    assert all(r["type"] == "error" and r["code"] in protocol.ERROR_CODES for r in replies)
    assert not _errors(caplog.records)
    assert not Guess.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_binary_and_empty_frames_count_against_the_message_rate(settings: Any) -> None:
    settings.SIXFOLD_MESSAGE_RATE = (4, 60)
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    client = Client()
    await database_sync_to_async(client.get)("/")
    socket = await opened(puzzle.number, f"sessionid={client.cookies['sessionid'].value}".encode())
    for frame in (b"\x01", b"", "", b"\x02"):
        await send_frame(socket, "bytes" if isinstance(frame, bytes) else "text", frame)
        assert (await socket.receive_json_from(timeout=10))["code"] == "bad_message"
    await send_frame(socket, "bytes", b"\x03")
    assert (await socket.receive_json_from(timeout=10))["code"] == "rate_limited"
    assert (await socket.receive_output(timeout=10)) == {"type": "websocket.close", "code": 4429}
    await socket.disconnect()
    assert not await database_sync_to_async(Guess.objects.exists)()


@pytest.mark.django_db(transaction=True)
async def test_a_reply_to_a_page_that_has_gone_ends_the_socket_without_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from autobahn.exception import Disconnected

    gone = False

    async def server(scope: Any, receive: Any, send: Any) -> None:
        # Daphne raises this on a send once the page has closed its end (a flooded page that
        # stopped reading, or one that went while its answer was on the way).
        async def send_unless_gone(message: dict[str, Any]) -> None:
            if gone and message["type"] == "websocket.send":
                raise Disconnected("Attempt to send on a closed protocol")
            await send(message)

        await application(scope, receive, send_unless_gone)

    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    client = Client()
    await database_sync_to_async(client.get)("/")
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(server, f"/ws/play/{puzzle.number}/", headers=headers)
    assert (await socket.connect(timeout=30))[0]
    for _ in range(2):  # the state, then the counts
        await socket.receive_output(timeout=30)
    gone = True
    with caplog.at_level(logging.INFO):
        await send_frame(socket, "text", '{"type": "state"}')
        await socket.wait(timeout=10)  # the consumer ends, and does not raise
    assert not _errors(caplog.records)
    assert any("socket closed before a frame reached it" in r.getMessage() for r in caplog.records)
