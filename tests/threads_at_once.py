"""Running one job in several threads that start at the same moment (tests of what the database
must serialise: two tabs' guesses, two nightly jobs)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_in_threads(job: Callable[[], Any], count: int) -> list[Any]:
    """Run `job` in `count` threads that start together; re-raise the first error."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            start.wait()
            results[index] = job()
        except BaseException as error:  # handed to the main thread
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]
    return results
