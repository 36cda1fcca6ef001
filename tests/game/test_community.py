"""Live counts: coalesced pushes to everyone on a puzzle's page."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from game_fixtures import ANSWER, make_published_puzzle

from game.community import CountsNotifier, group_name
from game.models import PlayerProgress
from puzzles.calendar import puzzle_day

pytestmark = pytest.mark.django_db(transaction=True)


async def test_it_pushes_at_once_then_at_most_once_per_interval() -> None:
    puzzle = await database_sync_to_async(make_published_puzzle)(ANSWER, puzzle_day())
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(group_name(puzzle.number), listener)
    notifier = CountsNotifier(interval=0.5)

    notifier.notify(puzzle.pk, puzzle.number)
    first = await asyncio.wait_for(layer.receive(listener), timeout=5)
    assert (first["players"], first["solvers"]) == (0, 0)

    for _ in range(20):  # a crowd arrives within the interval: one push carries them all
        await database_sync_to_async(PlayerProgress.objects.create)(
            player=uuid.uuid4(), puzzle=puzzle
        )
        notifier.notify(puzzle.pk, puzzle.number)
    second = await asyncio.wait_for(layer.receive(listener), timeout=5)
    assert second["players"] == 20
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(listener), timeout=0.8)
