"""The community of a puzzle: its players and solvers counted from the database (so that every
server process agrees), its results for the end-of-game chart, and the live counts pushed to
everyone on its page.

The counts come from the database, so that every server process sends the same numbers. They
are pushed at most once per interval per puzzle and process: with a thousand players on a page,
a push per guess would send a million frames; coalesced, each page gets at most one a second.
"""

from __future__ import annotations

import asyncio
import weakref

from channels.layers import get_channel_layer
from django.db.models import Count, Q

from game import outages
from game.db import in_db_thread
from game.models import PlayerProgress
from game.rules import MAX_GUESSES
from game.stats import CommunityStats

INTERVAL_SECONDS = 1.0


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


def group_name(number: int) -> str:
    """The channel-layer group of everyone looking at a puzzle."""
    return f"puzzle_{number}"


class CountsNotifier:
    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._last_sent: dict[int, float] = {}
        self._pending: dict[int, asyncio.Task[None]] = {}

    def notify(self, puzzle_id: int, number: int) -> None:
        """Asks for a push of the puzzle's counts: now, or when the interval since the last one
        is over (all the requests in between become that one push)."""
        if number in self._pending:
            return
        loop = asyncio.get_running_loop()
        wait = max(0.0, self._last_sent.get(number, -self.interval) + self.interval - loop.time())
        self._pending[number] = loop.create_task(self._push(puzzle_id, number, wait))

    async def _push(self, puzzle_id: int, number: int, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            counts = await in_db_thread(community_counts)(puzzle_id)
            layer = get_channel_layer()
            if layer is not None:
                await layer.group_send(group_name(number), {"type": "community.counts", **counts})
        except outages.SERVICE_ERRORS as error:
            # Nobody awaits this task: say what was lost here. The next guess pushes again.
            outages.report(f"counts of puzzle #{number} not pushed", error)
        finally:
            self._last_sent[number] = asyncio.get_running_loop().time()
            del self._pending[number]


_notifiers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CountsNotifier] = (
    weakref.WeakKeyDictionary()
)


def notifier() -> CountsNotifier:
    loop = asyncio.get_running_loop()
    found = _notifiers.get(loop)
    if found is None:
        found = _notifiers[loop] = CountsNotifier()
    return found
