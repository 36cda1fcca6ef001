"""Database work of the guess path, run beside the event loop in threads of its own.

Channels' `database_sync_to_async` runs every call on one shared thread: under load that
thread is the bottleneck (a guess's queries queue behind every other player's). Here the calls
run in a pool of `SIXFOLD_DB_THREADS` threads (PostgreSQL, with a connection pool behind it), or
one thread for SQLite, which takes one writer at a time. Each call returns its connection to
the pool when it ends, as a request would.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync

from game import conf

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _executor(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sixfold-db")


def in_db_thread(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`function` as a coroutine function that runs it in a database thread (connections
    closed, i.e. given back to the pool, before and after, as channels does)."""
    return DatabaseSyncToAsync(  # type: ignore[return-value]
        function, thread_sensitive=False, executor=_executor(conf.db_threads())
    )
