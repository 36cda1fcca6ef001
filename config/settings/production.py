"""Settings for a public site: DEBUG off, HTTPS only, secrets from the environment.

Start-up stops with a clear message when DJANGO_SECRET_KEY or DJANGO_ALLOWED_HOSTS is missing.
`manage.py check --deploy --fail-level WARNING` passes with these settings.
"""

from __future__ import annotations

from config.env import env_bool, env_int, env_list, env_secret, require_deploy_settings
from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

DEBUG = False
SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
require_deploy_settings(DEBUG, SECRET_KEY, ALLOWED_HOSTS)

# HTTPS: the site sits behind a proxy that terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "config.storage.HashedStaticFiles"},
}
