"""The game's settings, as declared (with their environment variables) in
config/settings/base.py and listed in the README. Tests change them with pytest-django's
`settings` fixture, which is why they are read on each call rather than copied at import.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def scorer_model_path() -> str | None:
    return settings.SIXFOLD_SCORER_MODEL_PATH or None


def wordnet_dir() -> Path:
    return Path(settings.SIXFOLD_WORDNET_DIR)


def scorer_device() -> str:
    return str(settings.SIXFOLD_SCORER_DEVICE)


def scorer_threads() -> int | None:
    """Torch threads for scoring; None: the scorer's own default (half the cores, at most 4)."""
    return int(settings.SIXFOLD_SCORER_THREADS) or None


def scorer_runtime() -> str:
    return str(settings.SIXFOLD_SCORER_RUNTIME)


def scorer_export_dir() -> Path:
    """Where the scorer keeps its ONNX export (made once, read by every web process)."""
    return Path(settings.SIXFOLD_VAR_DIR) / "scorer"


def scorer_tuned() -> bool:
    return bool(settings.SIXFOLD_SCORER_TUNED)


def batching_enabled() -> bool:
    return bool(settings.SIXFOLD_SCORER_BATCHING)


def cache_enabled() -> bool:
    return bool(settings.SIXFOLD_SCORER_CACHE)


def warm_scorer_at_start() -> bool:
    return bool(settings.SIXFOLD_WARM_SCORER)


def guess_rate() -> tuple[int, int]:
    count, seconds = settings.SIXFOLD_GUESS_RATE
    return int(count), int(seconds)


def message_rate() -> tuple[int, int]:
    count, seconds = settings.SIXFOLD_MESSAGE_RATE
    return int(count), int(seconds)


def db_threads() -> int:
    """Threads for the guess path's database work: one for SQLite (a single writer)."""
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return 1
    return max(1, int(settings.SIXFOLD_DB_THREADS))


def public_url() -> str:
    return str(settings.SIXFOLD_PUBLIC_URL).rstrip("/")
