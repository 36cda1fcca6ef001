"""Which sockets a player has open on a puzzle: the tabs that must keep in step.

A set of channel names per player and puzzle, in Redis when REDIS_URL is set (tabs may live in
different web processes), else in this process. It replaces a channel-layer group per player:
joining one cost a connecting page two Redis round trips and greeting it three more and a
script, a thousand times over when a thousand games end together; here a page joins in one
round trip and learns its player's other tabs in the same answer, and almost every player,
with one tab, then sends nothing to anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

import redis.asyncio as aioredis
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings

from game import outages
from game.redis_client import shared_redis

# A tab that vanished without leaving (a killed process) is forgotten after a day.
TAB_TTL_SECONDS = 24 * 3600


def tabs_key(player: uuid.UUID, number: int) -> str:
    return f"{settings.SIXFOLD_CHANNEL_PREFIX}:tabs:{player.hex}:{number}"


class Tabs(Protocol):
    async def join(self, key: str, channel: str) -> set[str]:
        """Adds `channel` to the tabs of `key`; returns the others."""

    async def leave(self, key: str, channel: str) -> None: ...

    async def members(self, key: str) -> set[str]: ...


class LocalTabs:
    """The tabs of this process's players (the embedded, single-process set-up)."""

    def __init__(self) -> None:
        self._tabs: dict[str, set[str]] = {}

    async def join(self, key: str, channel: str) -> set[str]:
        tabs = self._tabs.setdefault(key, set())
        others = set(tabs)
        tabs.add(channel)
        return others

    async def leave(self, key: str, channel: str) -> None:
        tabs = self._tabs.get(key, set())
        tabs.discard(channel)
        if not tabs:
            self._tabs.pop(key, None)

    async def members(self, key: str) -> set[str]:
        return set(self._tabs.get(key, set()))


class RedisTabs:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def join(self, key: str, channel: str) -> set[str]:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.sadd(key, channel)
            pipe.expire(key, TAB_TTL_SECONDS)
            pipe.smembers(key)
            _, _, members = await pipe.execute()
        return {str(member) for member in members} - {channel}

    async def leave(self, key: str, channel: str) -> None:
        await self._client.srem(key, channel)

    async def members(self, key: str) -> set[str]:
        return {str(member) for member in await self._client.smembers(key)}


_LOCAL = LocalTabs()


def open_tabs() -> Tabs:
    """The registry every web process shares: Redis when configured, else this process's."""
    client = shared_redis()
    return _LOCAL if client is None else RedisTabs(client)


async def tell(channels: Iterable[str], message: dict[str, Any]) -> None:
    """Sends `message` to each of a player's tabs; a tab that cannot be reached only misses
    the news (it reads the game again when it reconnects)."""
    layer = get_channel_layer()
    for channel in channels:
        try:
            await layer.send(channel, message)
        except (ChannelFull, *outages.SERVICE_ERRORS) as error:
            outages.report("message to another tab", error)
