"""What counts as a service outage on the player's path, and how long a page should wait.

A guess needs the database, the shared cache (rate limits) and the channel layer (a player's
other tabs). When one of them is down, the player gets an answer in the protocol the page
speaks (JSON with a code and `Retry-After` over HTTP, an error frame over the socket), never a
server error page, and nothing is stored or changed.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# OSError covers refused and reset connections from any client library.
SERVICE_ERRORS: tuple[type[BaseException], ...] = (DatabaseError, RedisError, OSError)
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "The game cannot take guesses for a moment. Your guess is kept and will be sent again."
)


def report(where: str, error: BaseException) -> None:
    log.warning("%s: a service is unavailable: %s: %s", where, type(error).__name__, error)
