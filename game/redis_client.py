"""The game's own Redis client (rate limits, a player's open tabs), one per event loop.

Redis clients belong to the event loop that made them (tests run each in a loop of its own, a
server runs one loop), so there is one client per loop, made on first use. Its pool blocks:
when a thousand guesses arrive at once, the calls beyond the pool wait a moment for a
connection instead of failing with "Too many connections".
"""

from __future__ import annotations

import asyncio
import weakref

import redis.asyncio as aioredis
from django.conf import settings

# Plenty for one process's players (a thousand leaving at once must not wait in line), far
# below Redis's default limit of 10,000 clients.
REDIS_CONNECTIONS = 256

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def shared_redis() -> aioredis.Redis | None:
    """The running loop's client of REDIS_URL (answers decoded as text); None without Redis
    (the embedded, single-process set-up)."""
    url = settings.REDIS_URL
    if not url:
        return None
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_CONNECTIONS, timeout=10, decode_responses=True
        )
        client = _clients[loop] = aioredis.Redis(connection_pool=pool)
    return client
