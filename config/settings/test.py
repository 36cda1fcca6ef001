"""Settings for the test suite (pyproject sets DJANGO_SETTINGS_MODULE to this module).

DATABASE_URL selects PostgreSQL (CI) and REDIS_URL the Redis channel layer and cache; without
them the tests use SQLite and in-process layers, and the tests that need the real services skip
(tests/conftest.py).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests call services and task bodies directly; anything sent to a broker stays in memory.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}

# A fixed first day, so that the tests' puzzle numbers do not depend on when they run.
SIXFOLD_FIRST_DAY = date(2026, 1, 1)

# Small and quick: the tiny test model draws a handful of candidates, failures retry at once.
SIXFOLD_CANDIDATES = 7
SIXFOLD_RETRY_BACKOFF_SECONDS = 0
SIXFOLD_GENERATION_LEASE_SECONDS = 600

# Media go to a temporary folder (tests/conftest.py gives each test its own).
MEDIA_ROOT = Path(tempfile.gettempdir()) / "sixfold-test-media"

# A prefix per run, so that parallel test runs never share channel-layer keys in Redis.
if REDIS_URL:  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"sixfold-test-{os.getpid()}"  # noqa: F405

# Test processes score with whatever model a test asks for; no scorer warm-up at import.
SIXFOLD_WARM_SCORER = False
