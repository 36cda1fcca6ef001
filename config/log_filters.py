"""Log filters: an outage of a service is one line that names it, not a traceback each time.

Celery's beat and worker log a lost broker with the whole traceback of the client library, once
per tick of the schedule while Redis or RabbitMQ is down. `ServiceOutageLine` keeps the line
(its level and message name the fault) and drops the traceback when the error is a connection
error; any other error keeps its traceback.
"""

from __future__ import annotations

import logging

# Connection errors of the clients the processes use (the names avoid importing them here).
OUTAGE_ERRORS = frozenset(
    {
        "ConnectionError",  # redis, builtins
        "ConnectionRefusedError",
        "ConnectionResetError",
        "TimeoutError",
        "OperationalError",  # kombu, psycopg, Django
        "InterfaceError",
        "RecoverableConnectionError",
    }
)


def _is_outage(error: BaseException | None) -> bool:
    while error is not None:
        if type(error).__name__ in OUTAGE_ERRORS:
            return True
        error = error.__cause__ or error.__context__
    return False


class ServiceOutageLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _is_outage(record.exc_info[1]):
            # Celery may fold a stack summary into the message itself: its first line says it.
            first_line = record.getMessage().split("\n", 1)[0]
            record.msg = f"{first_line} (service unavailable: {record.exc_info[1]})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
