"""The community of a puzzle: its players and solvers counted from the database (so that every
server process agrees), its results for the end-of-game chart, and the live counts pushed to
everyone on its page.

Live counts: each web process reads a watched puzzle's counts once per interval and sends them
to its own open pages when they changed, with no channel layer between. Through a channel-layer
group, a push to a thousand pages was a thousand messages through Redis, each received with a
round trip of its own: 12% of a web process's Python at a thousand players (py-spy), and a
thousand members to clean up when they all left at once.
Counts come from the database, so every process sends the same numbers, within an interval.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable, Callable

from django.db.models import Count, Q

from game import outages
from game.db import in_db_thread
from game.models import PlayerProgress
from game.protocol import counts_frame
from game.rules import MAX_GUESSES
from game.stats import CommunityStats

INTERVAL_SECONDS = 1.0
# Pages sent the counts in one go before the server turns to other work: a thousand sends in a
# row hold the event loop for about 100 ms, which every guess arriving meanwhile would wait.
SENDS_AT_ONCE = 50


def community_counts(puzzle_id: int) -> dict[str, int]:
    """Players who made a guess, and players who solved it."""
    totals = PlayerProgress.objects.filter(puzzle_id=puzzle_id).aggregate(
        players=Count("id"), solvers=Count("id", filter=Q(state=PlayerProgress.State.WON))
    )
    return {"players": totals["players"], "solvers": totals["solvers"]}


def community_stats(puzzle_id: int) -> CommunityStats:
    """How the players who finished did: wins by number of guesses, and losses."""
    finished = PlayerProgress.objects.filter(puzzle_id=puzzle_id).exclude(
        state=PlayerProgress.State.PLAYING
    )
    wins = dict(
        finished.filter(state=PlayerProgress.State.WON)
        .values_list("guess_count")
        .annotate(n=Count("id"))
    )
    lost = finished.filter(state=PlayerProgress.State.LOST).count()
    return CommunityStats([wins.get(k, 0) for k in range(1, MAX_GUESSES + 1)], lost)


Send = Callable[[str], Awaitable[None]]  # sends one text frame to one page


class CountsWatch:
    """The pages open on each puzzle in this process, and for each watched puzzle a task that
    reads its counts every `interval` seconds and, when they changed, sends them to all its
    pages as one frame built once. The task ends when the puzzle's last page closes."""

    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._pages: dict[int, dict[str, Send]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def watch(self, puzzle_id: int, page: str, send: Send, seen: dict[str, int]) -> None:
        """Adds a page (its name, and how to send it a frame) that has just been sent the
        counts `seen`: it hears again when they change."""
        self._pages.setdefault(puzzle_id, {})[page] = send
        if puzzle_id not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._push_changes(puzzle_id, seen))
            self._tasks[puzzle_id] = task

    def unwatch(self, puzzle_id: int, page: str) -> None:
        self._pages.get(puzzle_id, {}).pop(page, None)

    def pages(self, puzzle_id: int) -> int:
        return len(self._pages.get(puzzle_id, {}))

    def watched(self, puzzle_id: int) -> bool:
        """Whether the puzzle's counts are still read (until the interval after its last page
        closed)."""
        return puzzle_id in self._tasks

    async def _push_changes(self, puzzle_id: int, last: dict[str, int]) -> None:
        try:
            while self._pages.get(puzzle_id):
                await asyncio.sleep(self.interval)
                try:
                    counts = await in_db_thread(community_counts)(puzzle_id)
                except outages.SERVICE_ERRORS as error:  # the next interval tries again
                    outages.report(f"counts of puzzle {puzzle_id} not read", error)
                    continue
                if counts != last:
                    await self._send_all(puzzle_id, json.dumps(counts_frame(**counts)))
                last = counts
        finally:
            del self._tasks[puzzle_id]
            self._pages.pop(puzzle_id, None)

    async def _send_all(self, puzzle_id: int, frame: str) -> None:
        pages = list(self._pages.get(puzzle_id, {}).items())
        for start in range(0, len(pages), SENDS_AT_ONCE):
            chunk = pages[start : start + SENDS_AT_ONCE]
            sent = await asyncio.gather(*(send(frame) for _, send in chunk), return_exceptions=True)
            for (page, _), result in zip(chunk, sent, strict=True):
                if isinstance(result, Exception):  # a page that has gone: its socket closes
                    self.unwatch(puzzle_id, page)
            await asyncio.sleep(0)  # lets guesses be answered between chunks


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CountsWatch] = (
    weakref.WeakKeyDictionary()
)


def counts_watch() -> CountsWatch:
    """The running event loop's watch (its tasks belong to that loop)."""
    loop = asyncio.get_running_loop()
    found = _watches.get(loop)
    if found is None:
        found = _watches[loop] = CountsWatch()
    return found
