"""Fixtures shared by every layer: the real services (PostgreSQL, Redis) and the tiny model.

Tests that need PostgreSQL are marked `postgres`, tests that need Redis `redis`, tests that need
WordNet (Debian's wordnet-base) `wordnet`, tests that need Node.js `node`. Without the service
(DATABASE_URL not a PostgreSQL URL, REDIS_URL unset or unreachable, no WordNet database, no
node) they skip with a reason that says so; with SIXFOLD_REQUIRE_SERVICES=1 (CI, `.ci/run`)
they fail instead.

Nothing here imports Django at module level: the generator tests run with `-p no:django`.
"""

from __future__ import annotations

import functools
import os
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest


def services_required() -> bool:
    return os.environ.get("SIXFOLD_REQUIRE_SERVICES", "") not in ("", "0")


def postgres_missing() -> str | None:
    """Why the PostgreSQL tests cannot run, or None when they can."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return "needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/NAME"
    return None


@functools.cache
def redis_missing() -> str | None:
    """Why the Redis tests cannot run, or None when they can."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "needs Redis: set REDIS_URL=redis://HOST:PORT/DB"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"needs Redis, but {url} does not answer: {error}"
    return None


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and (reason := postgres_missing()):
        return reason
    if item.get_closest_marker("redis") and (reason := redis_missing()):
        return reason
    if item.get_closest_marker("node"):
        import shutil

        if shutil.which("node") is None:
            return "needs Node.js (node on PATH) for the play page's module tests"
    if item.get_closest_marker("wordnet"):
        from game.scoring.lexicon import wordnet_missing  # pure, no Django

        if reason := wordnet_missing():
            return reason
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if services_required():
        pytest.fail(f"SIXFOLD_REQUIRE_SERVICES is set and this test {reason}", pytrace=False)
    pytest.skip(f"service absent: this test {reason}")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight generator model (all three parts), written once per test session."""
    from generator.testing import write_tiny_model  # a broken import fails, never skips

    return Path(write_tiny_model(tmp_path_factory.mktemp("tiny-model"), seed=0))


@pytest.fixture
def media_root(settings: object, tmp_path: Path) -> Iterator[Path]:
    """Media files of this test in its own temporary folder."""
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root  # type: ignore[attr-defined]
    yield root


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> Iterator[None]:
    """pytest-django's test databases, with the PostgreSQL connection pool closed before they are
    dropped (an open pooled connection makes DROP DATABASE fail with "being accessed by other
    users", and the next run then finds a stale test database)."""
    yield
    from django.db import connections

    # A connection still held by a thread that served a test (Channels' and game.db's worker
    # threads outlive the tests) would make DROP DATABASE fail: end those sessions first.
    default = connections["default"]
    if default.vendor == "postgresql":
        import psycopg

        params = default.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    connections.close_all()  # this thread's connections go back to the pool
    for connection in connections.all():
        pools = getattr(type(connection), "_connection_pools", {})  # PostgreSQL's, per alias
        if connection.alias in pools:
            connection.close_pool()


class TrigramEmbedder:
    """A stand-in for the sentence model in tests that are not about scoring: each text becomes
    its words and character trigrams hashed into 256 dimensions, unit length. Deterministic and
    instant; texts that share words or spellings come out close, others far, so scores still
    order a solve above a near miss above a wrong guess, without loading torch or MiniLM.
    Tests of the scorer itself (`real_scorer`) and the browser tests keep the real model.
    """

    DIMENSIONS = 256

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.DIMENSIONS), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                padded = f" {word} "
                features = [word] + [padded[i : i + 3] for i in range(len(padded) - 2)]
                for feature in features:
                    rows[row, zlib.crc32(feature.encode()) % self.DIMENSIONS] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.maximum(norms, 1e-9)


@pytest.fixture
def fake_scorer(request: pytest.FixtureRequest) -> Iterator[object]:
    """The process's scorer is a `TrigramEmbedder` one for this test, unless it is marked
    `real_scorer`; the real one (if loaded) comes back afterwards."""
    if request.node.get_closest_marker("real_scorer"):
        yield None
        return
    from game.scoring.scorer import Scorer, standing_in

    with standing_in(Scorer(TrigramEmbedder())) as scorer:
        yield scorer
