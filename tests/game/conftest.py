"""Fixtures of the game tests: published puzzles with six small PNG pictures, and players."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from game_fixtures import ANSWER, make_published_puzzle

from puzzles.calendar import puzzle_day
from puzzles.models import Puzzle


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    """Each test gets its own channel layer. channels caches one per process, and the Redis
    layer's locks bind to the event loop that first waits on them: a later test, in a loop of
    its own, then failed with "Lock ... is bound to a different event loop" when a consumer
    closed (seen once in test_consumer, depending on which earlier test had waited)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(media_root: Path) -> Path:
    return media_root


@pytest.fixture(autouse=True)
def _scorer(fake_scorer: object) -> object:
    # A stand-in for the sentence model unless the test is marked real_scorer (tests/conftest.py).
    return fake_scorer


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Rate-limit counters live in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_puzzle(transactional_db: None) -> Callable[..., Puzzle]:
    # Transactional: guesses go through database_sync_to_async, which closes the connection it
    # ran on (CONN_MAX_AGE = 0 under ASGI); on PostgreSQL that would end a test wrapped in a
    # transaction.
    def make(text: str, days_ago: int = 0, **kwargs: Any) -> Puzzle:
        return make_published_puzzle(text, puzzle_day() - timedelta(days=days_ago), **kwargs)

    return make


@pytest.fixture
def puzzle(make_puzzle: Callable[..., Puzzle]) -> Puzzle:
    return make_puzzle(ANSWER)
