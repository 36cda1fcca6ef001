"""A lost broker or database is one log line naming it, not a traceback each time."""

from __future__ import annotations

import logging

from config.log_filters import ServiceOutageLine


def record_of(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException as raised:
        exc_info = (type(raised), raised, raised.__traceback__)
    return logging.LogRecord(
        "celery.beat", logging.ERROR, __file__, 1, "Message Error: %s", ("recover",), exc_info
    )


def test_a_connection_error_keeps_its_line_and_loses_its_traceback() -> None:
    class ConnectionError(Exception):  # as redis names its own
        pass

    record = record_of(ConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    assert ServiceOutageLine().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == (
        "Message Error: recover (service unavailable: Error 111 connecting to 127.0.0.1:6379)"
    )
    assert logging.Formatter().format(record).count("\n") == 0


def test_an_error_caused_by_a_lost_connection_counts_as_an_outage() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as refused:
            raise RuntimeError("could not publish") from refused
    except RuntimeError as error:
        record = record_of(error)
    assert ServiceOutageLine().filter(record) and record.exc_info is None


def test_any_other_error_keeps_its_traceback() -> None:
    record = record_of(ValueError("a bug"))
    assert ServiceOutageLine().filter(record)
    assert record.exc_info is not None
    assert "Traceback" in logging.Formatter().format(record)
