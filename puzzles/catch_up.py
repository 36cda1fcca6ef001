"""Covering a day whose puzzle nobody is drawing, without waiting for beat.

Beat runs the nightly job and the recovery job (every 5 minutes). When beat is down for a night,
nothing would queue the day's puzzle; so a worker asks for the recovery job as it starts, and so
does the page a player opens when today has no puzzle yet (at most once per
SIXFOLD_RECOVERY_QUIET_SECONDS across all web processes, through the shared cache). The recovery
job itself decides what to draw: a puzzle a run is working on is left alone.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

RECOVERY_TASK = "puzzles.recover_puzzles"
ASKED_KEY = "puzzles:catch-up-asked"


def ask_for_recovery(reason: str) -> bool:
    """Queue the recovery job unless it was asked for a moment ago; whether it was queued.
    A broker or cache that is down is logged, never raised: the page still answers."""
    try:
        if not cache.add(
            ASKED_KEY, reason, timeout=max(settings.SIXFOLD_RECOVERY_QUIET_SECONDS, 1)
        ):
            return False
        current_app.send_task(RECOVERY_TASK, retry=False)  # a page must not wait on a broker
    except Exception as error:  # any broker or cache client's error
        log.warning(
            "could not ask for the recovery job (%s): %s: %s", reason, type(error).__name__, error
        )
        return False
    log.info("asked for the recovery job: %s", reason)
    return True
