"""With REDIS_URL set, the cache and the channel layer are Redis, shared by every process."""

from __future__ import annotations

import uuid

import pytest
from channels.layers import get_channel_layer
from django.core.cache import caches

pytestmark = pytest.mark.redis


def test_the_cache_is_redis_and_keeps_values() -> None:
    cache = caches["default"]
    assert type(cache).__name__ == "RedisCache"
    key = f"sixfold-test-{uuid.uuid4()}"
    cache.set(key, 41, timeout=30)
    assert cache.incr(key) == 42
    cache.delete(key)


async def test_the_channel_layer_is_redis_and_delivers_group_messages() -> None:
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"
    channel = await layer.new_channel()
    await layer.group_add("puzzle-test", channel)
    await layer.group_send("puzzle-test", {"type": "solvers.count", "count": 3})
    assert await layer.receive(channel) == {"type": "solvers.count", "count": 3}
    await layer.group_discard("puzzle-test", channel)
    await layer.flush()
