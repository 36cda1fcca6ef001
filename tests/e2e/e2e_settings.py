"""Settings of the live ASGI servers the browser and two-server tests start (test settings,
plus static files served without collectstatic and paths taken from the environment)."""

from __future__ import annotations

import os
from pathlib import Path

from config.settings.test import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True  # static files edited while a server runs are served fresh
MEDIA_ROOT = Path(os.environ["SIXFOLD_E2E_MEDIA"])
if REDIS_URL:  # noqa: F405
    layer = CHANNEL_LAYERS["default"]["CONFIG"]  # noqa: F405
    # Both servers of a run share one prefix, so that they share the players' tabs (game.tabs).
    layer["prefix"] = os.environ["SIXFOLD_E2E_PREFIX"]
