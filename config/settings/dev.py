"""Settings for running Sixfold on one machine with the embedded defaults (./scripts/run).

DEBUG is on unless DJANGO_DEBUG=0; with it off, the secret key and allowed hosts must be given,
as in production.
"""

from __future__ import annotations

from config.env import env_bool, env_list, env_secret, require_deploy_settings
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
# Only a DEBUG site may fall back to a key that is written in the source.
SECRET_KEY = env_secret("DJANGO_SECRET_KEY") or ("dev-only-insecure-key" if DEBUG else "")
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
require_deploy_settings(DEBUG, SECRET_KEY, ALLOWED_HOSTS)

# Serve static files straight from the apps while developing (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
