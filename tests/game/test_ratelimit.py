"""The shared guess limit, counted in this process and in Redis alike: a player's new guesses
count, copies of one guess resent by the page count once, and a player over the limit learns how
long to wait."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest

from game import ratelimit

BACKENDS = [
    pytest.param("", id="in-process"),
    pytest.param(os.environ.get("REDIS_URL", ""), id="redis", marks=pytest.mark.redis),
]


@pytest.mark.parametrize("redis_url", BACKENDS)
def test_new_guesses_count_and_resent_copies_do_not(settings: Any, redis_url: str) -> None:
    settings.REDIS_URL = redis_url
    player = uuid.uuid4()

    async def guess(guess_id: str) -> int:
        return await ratelimit.seconds_to_wait_once(
            f"guess-id:{player}:{guess_id}", f"guess:{player}", limit=2, window=60
        )

    async def play() -> list[int]:
        first, second, third = (str(uuid.uuid4()) for _ in range(3))
        copies = await asyncio.gather(*[guess(first) for _ in range(5)])
        return [*copies, await guess(second), await guess(first), await guess(third)]

    waits = asyncio.run(play())
    assert waits[:7] == [0] * 7  # five copies and a second guess: two of the limit's two
    assert 1 <= waits[7] <= 60  # a third new guess in the same minute waits for the window


@pytest.mark.parametrize("redis_url", BACKENDS)
def test_players_are_limited_apart(settings: Any, redis_url: str) -> None:
    settings.REDIS_URL = redis_url
    one, two = uuid.uuid4(), uuid.uuid4()

    async def guess(player: uuid.UUID) -> int:
        return await ratelimit.seconds_to_wait_once(
            f"guess-id:{player}:{uuid.uuid4()}", f"guess:{player}", limit=1, window=60
        )

    async def play() -> list[int]:
        return [await guess(one), await guess(two), await guess(one)]

    first_of_one, first_of_two, second_of_one = asyncio.run(play())
    assert (first_of_one, first_of_two) == (0, 0) and second_of_one > 0
