"""Live counts: each process reads a watched puzzle's counts once per interval and sends them to
its open pages when they changed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from game_fixtures import ANSWER, make_published_puzzle

from game.community import CountsWatch
from game.models import PlayerProgress
from puzzles.calendar import puzzle_day

pytestmark = pytest.mark.django_db(transaction=True)


class Page:
    """A page as the watch sees it: the frames sent to it, or a failure once it has gone."""

    def __init__(self) -> None:
        self.frames: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        self.gone = False
        self.sends = 0

    async def send(self, text: str) -> None:
        self.sends += 1
        if self.gone:
            raise OSError("client disconnected")
        await self.frames.put(json.loads(text))


async def new_player(puzzle_pk: int, state: str = PlayerProgress.State.PLAYING) -> None:
    await database_sync_to_async(PlayerProgress.objects.create)(
        player=uuid.uuid4(), puzzle_id=puzzle_pk, state=state
    )


async def until(condition: Callable[[], bool], timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def close(watch: CountsWatch, puzzle_pk: int, *pages: str) -> None:
    """Closes the pages and waits for the puzzle's reading task to end with the test's loop."""
    for page in pages:
        watch.unwatch(puzzle_pk, page)
    while watch.watched(puzzle_pk):
        await asyncio.sleep(0.05)


async def test_every_page_hears_a_change_once_and_nothing_while_nothing_changes() -> None:
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    watch = CountsWatch(interval=0.2)
    first, second = Page(), Page()
    watch.watch(puzzle.pk, "first", first.send, {"players": 0, "solvers": 0})
    watch.watch(puzzle.pk, "second", second.send, {"players": 0, "solvers": 0})

    for _ in range(20):  # a crowd arrives within an interval or two
        await new_player(puzzle.pk)
    await new_player(puzzle.pk, PlayerProgress.State.WON)
    for page in (first, second):
        frame = await asyncio.wait_for(page.frames.get(), timeout=5)
        while frame["players"] != 21:  # a push may have come in the middle of the crowd
            frame = await asyncio.wait_for(page.frames.get(), timeout=5)
        assert frame == {"type": "counts", "players": 21, "solvers": 1}

    with pytest.raises(asyncio.TimeoutError):  # nothing changed: nothing is sent
        await asyncio.wait_for(first.frames.get(), timeout=0.7)
    await close(watch, puzzle.pk, "first", "second")


async def test_a_page_that_has_gone_is_dropped_and_the_others_still_hear() -> None:
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    watch = CountsWatch(interval=0.2)
    gone, staying = Page(), Page()
    gone.gone = True
    watch.watch(puzzle.pk, "gone", gone.send, {"players": 0, "solvers": 0})
    watch.watch(puzzle.pk, "staying", staying.send, {"players": 0, "solvers": 0})

    await new_player(puzzle.pk)
    assert (await asyncio.wait_for(staying.frames.get(), timeout=5))["players"] == 1
    await until(lambda: watch.pages(puzzle.pk) == 1)  # once the push has gone to every page
    assert gone.sends == 1

    await new_player(puzzle.pk)
    assert (await asyncio.wait_for(staying.frames.get(), timeout=5))["players"] == 2
    assert gone.sends == 1  # never tried again
    await close(watch, puzzle.pk, "staying")


async def test_the_puzzle_is_no_longer_read_once_its_last_page_closes() -> None:
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    watch = CountsWatch(interval=0.1)
    page = Page()
    watch.watch(puzzle.pk, "page", page.send, {"players": 0, "solvers": 0})
    watch.unwatch(puzzle.pk, "page")
    await asyncio.sleep(0.3)
    assert watch.pages(puzzle.pk) == 0 and not watch.watched(puzzle.pk)

    watch.watch(puzzle.pk, "again", page.send, {"players": 0, "solvers": 0})
    await new_player(puzzle.pk)  # a page that comes back is read for again
    assert (await asyncio.wait_for(page.frames.get(), timeout=5))["players"] == 1
    await close(watch, puzzle.pk, "again")
