"""The WebSocket at /ws/play/<number>/: guesses in, game states and live counts out.

Frames from the browser:
    {"type": "guess", "id": "<uuid made by the browser>", "text": "..."}
    {"type": "state"}                                   (send me the game as it stands)
Frames to the browser: state, error and counts, as game.protocol builds them.

Every frame counts against the socket's message rate first. A frame that is binary, empty, too
long, not JSON, or not one of the above, gets an error frame ("bad_message"); a service outage
gets one with code "unavailable" (and at connect, close code 4503).

Origins are checked before this consumer runs (AllowedHostsOriginValidator in config.asgi).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import uuid
import weakref
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from game import conf, outages, protocol, ratelimit, services
from game.community import counts_watch
from game.db import in_db_thread
from game.players import player_in_session
from game.protocol import FLOODING, NO_PUZZLE, NO_SESSION, UNAVAILABLE
from game.tabs import open_tabs, tabs_key, tell
from game.validation import GuessRejected
from puzzles.models import Puzzle

logger = logging.getLogger(__name__)


def _peer_gone_errors() -> tuple[type[BaseException], ...]:
    """What an ASGI server raises on a send to a socket whose page has already closed it
    (Daphne: autobahn's Disconnected; uvicorn: ClientDisconnected)."""
    found: list[type[BaseException]] = []
    for module, name in (
        ("autobahn.exception", "Disconnected"),
        ("uvicorn.protocols.utils", "ClientDisconnected"),
    ):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


PEER_GONE = _peer_gone_errors()

# Joins and leaves of players' tabs (game.tabs, in Redis) at once, per process: a thousand
# players leaving together must queue here rather than each take a Redis connection (which runs
# out and leaves dead entries behind).
TAB_CALLS_AT_ONCE = 64
_tab_semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _tab_calls() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    found = _tab_semaphores.get(loop)
    if found is None:
        found = _tab_semaphores[loop] = asyncio.Semaphore(TAB_CALLS_AT_ONCE)
    return found


def _open(
    scope: dict[str, Any], number: int, site_url: str
) -> tuple[uuid.UUID | None, services.Opening | None]:
    """The player in the connection's session (loading it reads the database) and, when there
    is one, what their socket sends first: one trip to a database thread per connecting page."""
    player = player_in_session(scope["session"]) if "session" in scope else None
    return player, services.opening(number, player, site_url) if player else None


class PlayConsumer(AsyncJsonWebsocketConsumer):
    """One page's socket. Tabs of one player on one puzzle keep in step by telling each other
    (game.tabs lists them): a page that opens says hello to the tabs already there, and each
    tab then sends its guesses to the others it knows; a player with one tab (almost everyone)
    costs the channel layer nothing per guess."""

    puzzle: Puzzle
    player: uuid.UUID
    watching: int | None  # the puzzle whose live counts this page gets (game.community)
    tab_key: str | None  # this socket's entry in game.tabs, once it is there
    other_tabs: set[str]  # channels of this player's other tabs on this puzzle
    guesses_seen: int  # guesses in the last state this tab sent to its page

    async def connect(self) -> None:
        self.watching, self.tab_key, self.other_tabs, self.guesses_seen = None, None, set(), 0
        await self.accept()
        number = int(self.scope["url_route"]["kwargs"]["number"])
        try:
            player, opening = await in_db_thread(_open)(self.scope, number, self._site_url())
            if player is None:
                await self._fail(
                    NO_SESSION, "no_session", "Your session has expired: reload the page."
                )
                return
            if opening is None:
                await self._fail(NO_PUZZLE, "no_puzzle", f"There is no puzzle #{number} to play.")
                return
            self.puzzle, self.player = opening.puzzle, player
            self.guesses_seen = len(opening.state["guesses"])
            async with _tab_calls():
                self.tab_key = tabs_key(player, number)
                self.other_tabs = await open_tabs().join(self.tab_key, self.channel_name)
            await tell(self.other_tabs, self._hello(reply=False))
        except outages.SERVICE_ERRORS as error:
            # The page backs off and plays over HTTP meanwhile (close code UNAVAILABLE).
            outages.report("socket connect", error)
            await self._fail(UNAVAILABLE, "unavailable", outages.UNAVAILABLE_MESSAGE)
            return
        await self.send_json(protocol.state_frame(opening.state))
        await self.send_json(protocol.counts_frame(**opening.counts))
        # After the counts of the moment, so that a change never arrives before them.
        self.watching = opening.puzzle.pk
        counts_watch().watch(self.watching, self.channel_name, self._send_text, opening.counts)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except PEER_GONE as error:
            # A frame on its way to a page that has closed (a flooded page that stopped reading,
            # or one that went mid-reply): nothing is lost, there is no one to tell.
            logger.info("socket closed before a frame reached it (%s)", error)
        finally:
            # A send to a page that has just gone (another tab's update) ends the consumer with
            # the server's "client disconnected" error before `disconnect` runs: the tabs and
            # the counts are left here whatever way it ended, or dead entries pile up.
            await self._leave()

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        """Stops the live counts and leaves the player's tabs, telling the tabs this one knows."""
        watching, self.watching = getattr(self, "watching", None), None
        if watching is not None:
            counts_watch().unwatch(watching, self.channel_name)
        tab_key, self.tab_key = getattr(self, "tab_key", None), None
        if tab_key is None:
            return
        async with _tab_calls():
            try:
                await open_tabs().leave(tab_key, self.channel_name)
            except outages.SERVICE_ERRORS as error:  # the entries expire anyway
                outages.report("socket disconnect", error)
        await tell(self.other_tabs, {"type": "tab.bye", "sender": self.channel_name})

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Hands a message to its handler. Channels' own dispatch first closes old database
        connections through the one thread that every `sync_to_async` call shares: a hop per
        message, for every player, in one queue. This consumer's database work runs in
        game.db's threads, which give their connections back around every call, so the hop
        is left out (measured with 1,000 players on two web processes: median answer 441 ms
        with it, 258 ms without)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Every frame, text or binary, whatever its bytes: counted, then parsed and answered."""
        if not hasattr(self, "puzzle"):
            return
        limit, window = conf.message_rate()
        # A socket lives in this process: its limit is counted here, without a trip to Redis.
        if await ratelimit.seconds_to_wait(f"ws:{self.channel_name}", limit, window, shared=False):
            await self._fail(FLOODING, "rate_limited", "Too many messages: reload the page.")
            return
        content = protocol.parse_message(text_data if bytes_data is None else None)
        if isinstance(content, protocol.Malformed):
            await self._error("bad_message", content.reason, None)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        try:
            if kind == "guess":
                await self._guess(content)
            elif kind == "state":
                await self._send_state()
            else:
                await self._error("bad_message", "The game did not understand that message.", None)
        except outages.SERVICE_ERRORS as error:
            outages.report("socket message", error)
            reply_id = protocol.reply_id(content.get("id") if isinstance(content, dict) else None)
            await self._error("unavailable", outages.UNAVAILABLE_MESSAGE, reply_id)

    async def _guess(self, content: dict[str, Any]) -> None:
        guess_id = content.get("id")
        reply_id = protocol.reply_id(guess_id)
        try:
            outcome = await services.submit_guess(
                self.puzzle, self.player, guess_id, content.get("text"), self._site_url()
            )
        except GuessRejected as rejected:
            await self._error(rejected.code, rejected.message, reply_id)
            return
        self.guesses_seen = len(outcome.state["guesses"])
        await self.send_json(protocol.state_frame(outcome.state, reply_id, outcome.duplicate))
        if not outcome.duplicate:
            await tell(self.other_tabs, {"type": "player.update", "sender": self.channel_name})

    async def player_update(self, event: dict[str, Any]) -> None:
        if event.get("sender") != self.channel_name:  # another tab of this player guessed
            await self._send_state()

    async def tab_hello(self, event: dict[str, Any]) -> None:
        """Another tab of this player opened, or answers this one's hello. Until the hellos
        have crossed, neither tab sent the other its guesses: the newer tab, on the answer,
        compares how far each has seen the game, and the one behind reads it again."""
        sender = event.get("sender")
        if sender == self.channel_name or not isinstance(sender, str):
            return
        self.other_tabs.add(sender)
        if not event.get("reply"):
            await tell([sender], self._hello(reply=True))
            return
        theirs = event.get("guesses", 0)
        if theirs > self.guesses_seen:
            await self._send_state()
        elif theirs < self.guesses_seen:
            await tell([sender], {"type": "player.update", "sender": self.channel_name})

    async def tab_bye(self, event: dict[str, Any]) -> None:
        self.other_tabs.discard(event.get("sender", ""))

    def _hello(self, reply: bool) -> dict[str, Any]:
        """This tab's greeting, with how many guesses its page shows (a consumer handles one
        message at a time: a tab that answers has finished storing every guess it counted)."""
        return {
            "type": "tab.hello",
            "sender": self.channel_name,
            "reply": reply,
            "guesses": self.guesses_seen,
        }

    async def _send_state(self, guess_id: str | None = None, duplicate: bool = False) -> None:
        state = await in_db_thread(services.game_state)(self.puzzle, self.player, self._site_url())
        self.guesses_seen = len(state["guesses"])
        await self.send_json(protocol.state_frame(state, guess_id, duplicate))

    async def _send_text(self, frame: str) -> None:
        await self.send(text_data=frame)

    async def _error(self, code: str, message: str, guess_id: str | None) -> None:
        await self.send_json(protocol.error_frame(code, message, guess_id))

    async def _fail(self, close_code: int, code: str, message: str) -> None:
        await self._error(code, message, None)
        await self.close(code=close_code)

    def _site_url(self) -> str:
        headers = dict(self.scope.get("headers", []))
        host = headers.get(b"host", b"localhost").decode("latin-1")
        return protocol.site_url(str(self.scope.get("scheme", "ws")), host)
