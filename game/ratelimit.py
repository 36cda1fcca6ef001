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
