"""What counts as a service outage on the player's path, and how long a page should wait.

A guess needs the database, the shared cache (rate limits) and the channel layer (a player's
other tabs). When one of them is down, the player gets an answer in the protocol the page
speaks (JSON with a code and `Retry-After` over HTTP, an error frame over the socket), never a
server error page, and nothing is stored or changed.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# OSError covers refused and reset connections from any client library.
SERVICE_ERRORS: tuple[type[BaseException], ...] = (DatabaseError, RedisError, OSError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "The game cannot take guesses for a moment. Your guess is kept and will be sent again."
)


# While a service is down every request meets it: the log names the fault once, then at most
# once per this many seconds with the number of requests it met in between.
REPORT_EVERY_SECONDS = 60.0
_last_reported: dict[str, tuple[float, int]] = {}


def report(where: str, error: BaseException) -> None:
    """Log an outage a request met: the first time, then once a minute with a count."""
    fault = type(error).__name__
    now = time.monotonic()
    last, unreported = _last_reported.get(fault, (-REPORT_EVERY_SECONDS, 0))
    if now - last < REPORT_EVERY_SECONDS:
        _last_reported[fault] = (last, unreported + 1)
        return
    _last_reported[fault] = (now, 0)
    since = f" ({unreported} more requests met it since the last report)" if unreported else ""
    log.warning("%s: a service is unavailable: %s: %s%s", where, fault, error, since)
