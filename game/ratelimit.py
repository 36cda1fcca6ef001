"""Fixed-window rate limits in the shared cache (Redis in production, so every server process
counts together)."""

from __future__ import annotations

import math
import time

from django.core.cache import cache


async def seconds_to_wait(key: str, limit: int, window: int) -> int:
    """Counts one hit on `key`; 0 when within `limit` hits per `window` seconds, else how long
    until the window ends."""
    now = time.time()
    bucket = f"rate:{key}:{int(now // window)}"
    if await cache.aadd(bucket, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = await cache.aincr(bucket)
        except ValueError:  # the window ended between the two calls
            await cache.aadd(bucket, 1, timeout=window + 1)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil(window - now % window))


async def first_sighting(key: str, window: int) -> bool:
    """True the first time `key` is seen within `window` seconds (an atomic add), else False."""
    return bool(await cache.aadd(f"seen:{key}", 1, timeout=window + 1))
