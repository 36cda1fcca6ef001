"""Typed readers for settings that come from environment variables.

Each reader names the variable in its error, so that a bad value stops start-up with a message
that says which variable to fix (the healthchecks way: plain `os.environ`, small typed helpers).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off"
    )


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}")
    return value


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is too small: the least allowed is {minimum}")
    return value


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate written "COUNT/SECONDS" (e.g. "10/60": ten per minute)."""
    raw = os.environ.get(name, default)
    count, _, seconds = raw.partition("/")
    try:
        rate = int(count), int(seconds)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a rate such as 10/60") from None
    if min(rate) < 1:
        raise ImproperlyConfigured(f"{name}={raw!r}: both numbers must be at least 1")
    return rate


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_date(name: str, default: str) -> date:
    raw = os.environ.get(name, default)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a date in the form YYYY-MM-DD") from None


def env_optional_date(name: str) -> date | None:
    """A date, or None when the variable is unset or empty."""
    if not os.environ.get(name, "").strip():
        return None
    return env_date(name, "")


def env_secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {error}") from None
    return os.environ.get(name, default)


def env_zone(name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = os.environ.get(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a time zone name such as 'UTC' or 'Europe/Paris'"
        ) from None
    return value


def database_from_url(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for `sqlite:///path` or `postgres://user:password@host:port/name`."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path has the path "/relative/path", sqlite:////abs/path "//abs/path":
        # dropping the first slash gives the file name in both cases.
        name = unquote(parts.path[1:])
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # The web server, the worker and beat share the file: wait for the write lock
                # instead of failing at once, take it at the start of a transaction so that
                # two writers never deadlock upgrading a read lock, and let readers go on
                # while someone writes (WAL).
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        options: dict[str, Any] = dict(parse_qsl(parts.query))
        # A pool of open connections (psycopg_pool): opening one costs more than a guess's
        # queries. `?pool=0` in the URL turns it off (e.g. behind PgBouncer).
        pool_size = options.pop("pool", "16")
        if pool_size not in ("0", "false", "off"):
            try:
                size = int(pool_size)
            except ValueError:
                raise ImproperlyConfigured(
                    f"DATABASE_URL: pool={pool_size!r} is not a number of connections"
                ) from None
            options["pool"] = {"min_size": 1, "max_size": size, "timeout": 10}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Under ASGI a persistent connection would outlive its thread: Django's docs ask for
            # CONN_MAX_AGE = 0 and a pool instead (connections go back to it after each call).
            "CONN_MAX_AGE": 0,
            # With a pool, Django then checks each connection as it leaves the pool (one round
            # trip): after PostgreSQL restarts, dead ones are dropped instead of failing a request.
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use sqlite:///PATH or "
        "postgres://USER:PASSWORD@HOST:PORT/NAME"
    )


def require_deploy_settings(debug: bool, secret_key: str, allowed_hosts: list[str]) -> None:
    """Stop start-up when DEBUG is off and the settings a public site needs are missing."""
    if debug:
        return
    if not secret_key:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DEBUG off Sixfold needs a long random secret key: "
            "set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE), e.g. to the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    if not allowed_hosts:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS is not set. With DEBUG off Sixfold needs the host names it "
            "answers to, comma-separated, e.g. DJANGO_ALLOWED_HOSTS=sixfold.example.org."
        )
