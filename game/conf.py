"""The game's settings, each read from Django settings with a default (and an environment
variable where an operator may want to flip it without editing settings).

    SCORER_MODEL_PATH      local sentence-transformers directory; empty: the packaged
                           all-MiniLM-L6-v2 (env SCORER_MODEL_PATH)
    GAME_SCORER_DEVICE     "cpu" (default) or a torch device such as "cuda"
    GAME_SCORER_THREADS    torch threads for scoring (env SIXFOLD_SCORER_THREADS; default half
                           the cores, at most 4)
    GAME_SCORER_BATCHING   score concurrent guesses together (env SIXFOLD_SCORER_BATCHING, on)
    GAME_SCORER_CACHE      embed each distinct word and text once (env SIXFOLD_SCORER_CACHE, on)
    GAME_WARM_SCORER       load the scorer and today's answer when the web server starts
                           (env SIXFOLD_WARM_SCORER, on; off in the test settings)
    GAME_GUESS_RATE        (guesses, seconds) a player may make (default 10 per 60 s)
    GAME_MESSAGE_RATE      (messages, seconds) one WebSocket may send (default 30 per 10 s)
    SIXFOLD_PUBLIC_URL     the site's address for share links; empty: the request's host
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

_FALSE = {"0", "false", "no", "off"}


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() not in _FALSE


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def scorer_model_path() -> str | None:
    return _setting("SCORER_MODEL_PATH", os.environ.get("SCORER_MODEL_PATH", "")) or None


def scorer_device() -> str:
    return str(_setting("GAME_SCORER_DEVICE", "cpu"))


def scorer_threads() -> int | None:
    value = _setting("GAME_SCORER_THREADS", os.environ.get("SIXFOLD_SCORER_THREADS", ""))
    return int(value) if value else None


def batching_enabled() -> bool:
    return bool(_setting("GAME_SCORER_BATCHING", _env_flag("SIXFOLD_SCORER_BATCHING", True)))


def cache_enabled() -> bool:
    return bool(_setting("GAME_SCORER_CACHE", _env_flag("SIXFOLD_SCORER_CACHE", True)))


def warm_scorer_at_start() -> bool:
    return bool(_setting("GAME_WARM_SCORER", _env_flag("SIXFOLD_WARM_SCORER", True)))


def guess_rate() -> tuple[int, int]:
    count, seconds = _setting("GAME_GUESS_RATE", (10, 60))
    return int(count), int(seconds)


def message_rate() -> tuple[int, int]:
    count, seconds = _setting("GAME_MESSAGE_RATE", (30, 10))
    return int(count), int(seconds)


def public_url() -> str:
    return str(_setting("SIXFOLD_PUBLIC_URL", os.environ.get("SIXFOLD_PUBLIC_URL", ""))).rstrip("/")
