"""The WebSocket consumer through Channels' communicator and the project's full ASGI stack
(origin check and cookie session included)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from game_fixtures import ANSWER, make_published_puzzle

from config.asgi import application
from game.models import Guess
from puzzles.calendar import puzzle_day
from puzzles.models import Puzzle

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")


@pytest.fixture
def puzzle_tx() -> Puzzle:
    return make_published_puzzle(ANSWER, puzzle_day())


def session_cookie() -> bytes:
    """A browser's cookie after it opened the page (the socket cannot create a session)."""
    client = Client()
    client.get("/")
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def open_socket(number: int, cookie: bytes | None, origin: bytes = ORIGIN[1]) -> Any:
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    socket = WebsocketCommunicator(application, f"/ws/play/{number}/", headers=headers)
    connected, code = await socket.connect(timeout=30)
    return socket, connected, code


async def opened(number: int, cookie: bytes) -> WebsocketCommunicator:
    socket, connected, _ = await open_socket(number, cookie)
    assert connected
    first = await socket.receive_json_from(timeout=30)
    assert first["type"] == "state"
    assert (await socket.receive_json_from(timeout=30))["type"] == "counts"
    return socket


async def test_it_plays_a_guess_and_counts_a_resent_one_once(puzzle_tx: Puzzle) -> None:
    cookie = await _cookie()
    socket = await opened(puzzle_tx.number, cookie)
    guess_id = str(uuid.uuid4())
    await socket.send_json_to({"type": "guess", "id": guess_id, "text": "two penguins"})
    reply = await _next_of(socket, "state")
    assert reply["id"] == guess_id and reply["duplicate"] is False
    assert reply["state"]["tiles"][2] == {"word": "penguins", "state": "found"}
    assert len(reply["state"]["images"]) == 2
    await socket.send_json_to({"type": "guess", "id": guess_id, "text": "two penguins"})
    again = await _next_of(socket, "state")
    assert again["duplicate"] is True
    assert await database_sync_to_async(Guess.objects.count)() == 1
    await socket.disconnect()


async def test_it_tells_the_other_tabs_and_the_other_players(puzzle_tx: Puzzle) -> None:
    cookie, someone_else = await _cookie(), await _cookie()
    tab_one = await opened(puzzle_tx.number, cookie)
    tab_two = await opened(puzzle_tx.number, cookie)
    watcher = await opened(puzzle_tx.number, someone_else)
    await tab_one.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": ANSWER})
    assert (await _next_of(tab_one, "state"))["state"]["status"] == "won"
    assert (await _next_of(tab_two, "state"))["state"]["status"] == "won"
    counts = await _next_of(watcher, "counts")
    assert (counts["players"], counts["solvers"]) == (1, 1)
    for socket in (tab_one, tab_two, watcher):
        await socket.disconnect()


async def test_a_tab_opened_later_keeps_the_first_one_in_step(puzzle_tx: Puzzle) -> None:
    # A tab sends its guesses to the player's other tabs only once it has heard of them: the
    # one opened later says hello, the first answers, and both then know.
    cookie = await _cookie()
    first = await opened(puzzle_tx.number, cookie)
    later = await opened(puzzle_tx.number, cookie)
    await later.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": "two penguins"})
    assert len((await _next_of(later, "state"))["state"]["guesses"]) == 1
    assert len((await _next_of(first, "state"))["state"]["guesses"]) == 1
    await first.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": ANSWER})
    assert (await _next_of(first, "state"))["state"]["status"] == "won"
    assert (await _next_of(later, "state"))["state"]["status"] == "won"
    for socket in (first, later):
        await socket.disconnect()


async def test_a_tab_alone_gets_one_answer_per_guess(puzzle_tx: Puzzle) -> None:
    socket = await opened(puzzle_tx.number, await _cookie())
    await socket.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": "two penguins"})
    assert (await _next_of(socket, "state"))["id"] is not None
    assert "state" not in await _frames_until_quiet(socket)
    await socket.disconnect()


async def test_it_refuses_sockets_from_other_sites(puzzle_tx: Puzzle) -> None:
    socket, connected, _ = await open_socket(
        puzzle_tx.number, await _cookie(), origin=b"https://evil.example"
    )
    assert not connected
    await socket.disconnect()


async def test_it_asks_for_a_reload_without_a_session(puzzle_tx: Puzzle) -> None:
    socket, connected, _ = await open_socket(puzzle_tx.number, None)
    assert connected
    error = await socket.receive_json_from(timeout=10)
    assert (error["type"], error["code"]) == ("error", "no_session")
    assert "reload the page" in error["message"]
    assert (await socket.receive_output(timeout=10))["code"] == 4401
    await socket.disconnect()


async def test_it_says_when_a_puzzle_does_not_exist(puzzle_tx: Puzzle) -> None:
    socket, connected, _ = await open_socket(99999, await _cookie())
    assert connected
    assert (await socket.receive_json_from(timeout=10))["code"] == "no_puzzle"
    await socket.disconnect()


async def test_it_explains_bad_messages_and_bad_guesses(puzzle_tx: Puzzle) -> None:
    socket = await opened(puzzle_tx.number, await _cookie())
    await socket.send_json_to({"type": "dance"})
    assert (await _next_of(socket, "error"))["code"] == "bad_message"
    guess_id = str(uuid.uuid4())
    await socket.send_json_to({"type": "guess", "id": guess_id, "text": "x" * 300})
    error = await _next_of(socket, "error")
    assert (error["code"], error["id"]) == ("too_long", guess_id)
    assert await database_sync_to_async(Guess.objects.count)() == 0
    await socket.disconnect()


async def test_it_closes_a_socket_that_floods_it(puzzle_tx: Puzzle, settings: Any) -> None:
    settings.SIXFOLD_MESSAGE_RATE = (3, 60)
    socket = await opened(puzzle_tx.number, await _cookie())
    for _ in range(4):
        await socket.send_json_to({"type": "state"})
    frames = [await socket.receive_output(timeout=10) for _ in range(5)]
    assert frames[-1] == {"type": "websocket.close", "code": 4429}
    await socket.disconnect()


async def _cookie() -> bytes:
    return await database_sync_to_async(session_cookie)()


async def _next_of(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next frame of a kind, skipping live counts and other frames in between."""
    for _ in range(10):
        frame = await socket.receive_json_from(timeout=60)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame came")


async def _frames_until_quiet(socket: WebsocketCommunicator) -> list[str]:
    """The kinds of the frames that come until nothing has come for half a second."""
    kinds = []
    while not await socket.receive_nothing(timeout=0.5):
        kinds.append((await socket.receive_json_from())["type"])
    return kinds


async def test_a_page_that_is_gone_when_a_message_comes_stops_its_counts_and_leaves_its_tabs(
    puzzle_tx: Puzzle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's send raises once the page has gone (uvicorn's "client disconnected"): the
    # consumer ends there, before any `disconnect`, and must still stop its live counts and
    # leave its player's tabs, or every later push goes to a page nobody reads.
    from game.community import counts_watch
    from game.tabs import open_tabs

    registry = open_tabs()  # in this process or in Redis, as configured
    real_leave = type(registry).leave
    left: list[str] = []

    async def recording_leave(self: Any, key: str, channel: str) -> None:
        left.append(key)
        await real_leave(self, key, channel)

    monkeypatch.setattr(type(registry), "leave", recording_leave)
    gone = {"page": False}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def send_until_gone(message: Any) -> None:
            if gone["page"]:
                raise OSError("client disconnected")
            await send(message)

        await application(scope, receive, send_until_gone)

    cookie = await _cookie()
    headers = [ORIGIN, (b"host", b"testserver"), (b"cookie", cookie)]
    socket = WebsocketCommunicator(app, f"/ws/play/{puzzle_tx.number}/", headers=headers)
    assert (await socket.connect(timeout=30))[0]
    await _next_of(socket, "counts")
    other_tab = await opened(puzzle_tx.number, cookie)
    async with asyncio.timeout(5):  # a page is watched just after its first counts are sent
        while counts_watch().pages(puzzle_tx.pk) < 2:
            await asyncio.sleep(0.01)
    gone["page"] = True
    # The other tab's guess tells this one, whose answer to its page fails.
    await other_tab.send_json_to({"type": "guess", "id": str(uuid.uuid4()), "text": "a penguin"})
    await _next_of(other_tab, "state")
    with pytest.raises(OSError):
        await socket.wait(timeout=30)  # the consumer ends with the failed send
    assert counts_watch().pages(puzzle_tx.pk) == 1  # the other tab's
    assert len(left) == 1 and ":tabs:" in left[0]
    assert len(await registry.members(left[0])) == 1
    await other_tab.disconnect()
