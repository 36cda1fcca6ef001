"""Fixed-window rate limits and "seen before" marks.

Limits that every server process must share (a player's guesses, guess ids seen) live in Redis
when REDIS_URL is set, counted atomically straight from the event loop, a guess in one round
trip (Django's async cache would run a non-atomic get-then-set through a database thread). Without
Redis (the embedded, single-process set-up), and for limits of one WebSocket (which lives in one
process), they are counted in this process.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

import redis.asyncio as aioredis

from game.redis_client import shared_redis


class Counters(Protocol):
    async def hit(self, key: str, ttl: int) -> int:
        """Counts one hit on `key` (created with a life of `ttl` s); returns the count."""

    async def hit_if_first(self, seen: str, key: str, ttl: int) -> int:
        """Counts one hit on `key` only the first time `seen` is seen (both with a life of
        `ttl` s); returns the count, or 0 when `seen` had been seen."""


class LocalCounters:
    """Counters in this process's memory. No lock: a hit never awaits, so no other caller can
    run in the middle of one."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._next_prune = 0.0

    async def hit(self, key: str, ttl: int) -> int:
        now = time.monotonic()
        self._prune(now)
        count, expires = self._counts.get(key, (0, now + ttl))
        if expires <= now:
            count, expires = 0, now + ttl
        self._counts[key] = (count + 1, expires)
        return count + 1

    async def hit_if_first(self, seen: str, key: str, ttl: int) -> int:
        return await self.hit(key, ttl) if await self.hit(seen, ttl) == 1 else 0

    def _prune(self, now: float) -> None:
        # Expired windows are dropped once a second, so that memory follows the active players.
        if now < self._next_prune:
            return
        self._next_prune = now + 1.0
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}


# One round trip for a guess's two counters: mark its id seen, and count it against the
# player's limit only if the id is new.
_HIT_IF_FIRST = """
if not redis.call('SET', KEYS[1], 1, 'EX', ARGV[1], 'NX') then return 0 end
local count = redis.call('INCR', KEYS[2])
if count == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return count
"""


class RedisCounters:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._hit_if_first = client.register_script(_HIT_IF_FIRST)

    async def hit(self, key: str, ttl: int) -> int:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, ttl, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def hit_if_first(self, seen: str, key: str, ttl: int) -> int:
        return int(await self._hit_if_first(keys=[seen, key], args=[ttl]))


# The local counters are the process's own: a hit never awaits, so calls from different loops
# or threads cannot interleave inside one.
_LOCAL = LocalCounters()


def shared_counters() -> Counters:
    """Counters every server process sees: Redis when configured, else this process's."""
    client = shared_redis()
    return _LOCAL if client is None else RedisCounters(client)


def _window_key(key: str, now: float, window: int) -> str:
    return f"sixfold:rate:{key}:{int(now // window)}"


def _wait(count: int, limit: int, now: float, window: int) -> int:
    """0 within the limit, else the seconds until the window ends."""
    return 0 if count <= limit else max(1, math.ceil(window - now % window))


async def seconds_to_wait(key: str, limit: int, window: int, shared: bool = True) -> int:
    """Counts one hit on `key`; 0 when within `limit` hits per `window` seconds, else how long
    until the window ends. `shared=False` for a limit of something that lives in one process."""
    now = time.time()
    counters = shared_counters() if shared else _LOCAL
    count = await counters.hit(_window_key(key, now, window), window + 1)
    return _wait(count, limit, now, window)


async def seconds_to_wait_once(seen: str, key: str, limit: int, window: int) -> int:
    """As `seconds_to_wait` on the shared counters, but a hit counts only the first time `seen`
    is seen within the window (copies of one guess resent by a page use up nothing); one
    atomic trip to Redis."""
    now = time.time()
    count = await shared_counters().hit_if_first(
        f"sixfold:seen:{seen}", _window_key(key, now, window), window + 1
    )
    return _wait(count, limit, now, window)
