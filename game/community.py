"""Live counts of a puzzle's players and solvers, pushed to everyone on its page.

The counts come from the database, so that every server process sends the same numbers. They
are pushed at most once per interval per puzzle and process: with a thousand players on a page,
a push per guess would send a million frames; coalesced, each page gets at most one a second.
"""

from __future__ import annotations

import asyncio
import weakref

from channels.layers import get_channel_layer

from game.db import in_db_thread

INTERVAL_SECONDS = 1.0


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
        from game import outages
        from game.services import community_counts_by_id

        try:
            await asyncio.sleep(wait)
            counts = await in_db_thread(community_counts_by_id)(puzzle_id)
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
