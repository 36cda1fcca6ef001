"""The registry of a player's open tabs, in this process and in Redis alike."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest

from game.tabs import open_tabs, tabs_key

BACKENDS = [
    pytest.param("", id="in-process"),
    pytest.param(os.environ.get("REDIS_URL", ""), id="redis", marks=pytest.mark.redis),
]


@pytest.mark.parametrize("redis_url", BACKENDS)
def test_a_tab_learns_the_others_and_a_closed_one_is_forgotten(
    settings: Any, redis_url: str
) -> None:
    settings.REDIS_URL = redis_url
    key, elsewhere = tabs_key(uuid.uuid4(), 7), tabs_key(uuid.uuid4(), 7)

    async def play() -> list[set[str]]:
        tabs = open_tabs()
        first = await tabs.join(key, "tab-one")
        second = await tabs.join(key, "tab-two")
        stranger = await tabs.join(elsewhere, "tab-three")
        both = await tabs.members(key)
        await tabs.leave(key, "tab-one")
        left = await tabs.members(key)
        await tabs.leave(key, "tab-two")
        await tabs.leave(elsewhere, "tab-three")
        return [first, second, stranger, both, left, await tabs.members(key)]

    first, second, stranger, both, left, none = asyncio.run(play())
    assert (first, second, stranger) == (set(), {"tab-one"}, set())
    assert both == {"tab-one", "tab-two"} and left == {"tab-two"} and none == set()
