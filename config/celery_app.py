"""The Celery app: configured from Django settings (the CELERY_ prefix), tasks found in the apps.

Run a worker with `celery -A config worker --pool=solo -Q celery,generation` (the generator is
JAX, which must not be forked, hence the solo pool) and exactly one beat process with
`celery -A config beat`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import after_setup_logger

from config.log_filters import ServiceOutageLine

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("sixfold")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def make_broker_folders() -> None:
    """The filesystem broker needs its folders to exist before anyone sends or reads a message."""
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        folder = app.conf.broker_transport_options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _on_configure(**_: object) -> None:
    make_broker_folders()


@after_setup_logger.connect
def _outage_lines(logger: logging.Logger, **_: object) -> None:
    """The worker's and beat's own log handlers (Celery replaces the root logger's) say a lost
    broker in one line, not a traceback per tick."""
    for handler in logger.handlers:
        handler.addFilter(ServiceOutageLine())
