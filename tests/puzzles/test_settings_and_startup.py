"""Settings from the environment: clear start-up errors, and a production set-up that passes
`manage.py check --deploy`. Each case starts a fresh `manage.py` process, as a server would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_int, env_zone

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3y-" + "x7Q9" * 14  # long and varied enough for the deploy check


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SIXFOLD_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_stops_production_without_a_secret_key(tmp_path: Path) -> None:
    result = manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_ALLOWED_HOSTS="sixfold.example.org",
        SIXFOLD_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_stops_production_without_allowed_hosts(tmp_path: Path) -> None:
    result = manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=GOOD_KEY,
        SIXFOLD_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr


def test_it_stops_the_dev_settings_with_debug_off_and_no_key(tmp_path: Path) -> None:
    result = manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="0",
        SIXFOLD_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_passes_the_deploy_check_with_the_documented_production_settings(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text(GOOD_KEY + "\n")
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY_FILE=str(key_file),
        DJANGO_ALLOWED_HOSTS="sixfold.example.org",
        SIXFOLD_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_starts_with_the_embedded_defaults_and_no_environment(tmp_path: Path) -> None:
    result = manage("check", SIXFOLD_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_it_names_the_variable_of_a_malformed_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIXFOLD_AUTO_PUBLISH", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SIXFOLD_AUTO_PUBLISH='maybe' is not a boolean"):
        env_bool("SIXFOLD_AUTO_PUBLISH", True)
    monkeypatch.setenv("SIXFOLD_CANDIDATES", "3")
    with pytest.raises(ImproperlyConfigured, match="SIXFOLD_CANDIDATES=3 is too small"):
        env_int("SIXFOLD_CANDIDATES", 16, minimum=6)
    monkeypatch.setenv("SIXFOLD_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ImproperlyConfigured, match="not a time zone"):
        env_zone("SIXFOLD_TIME_ZONE", "UTC")


def test_it_reads_database_urls() -> None:
    postgres = database_from_url("postgres://sixfold:s%40cret@db.example.org:5433/games")
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["USER"], postgres["PASSWORD"]) == ("sixfold", "s@cret")
    assert (postgres["HOST"], postgres["PORT"], postgres["NAME"]) == (
        "db.example.org",
        "5433",
        "games",
    )
    assert postgres["CONN_MAX_AGE"] == 0
    assert postgres["OPTIONS"]["pool"]["max_size"] == 16  # a pool of open connections
    assert postgres["CONN_HEALTH_CHECKS"]  # dead pooled connections dropped on checkout
    assert database_from_url("postgres://u@h/db?pool=4")["OPTIONS"]["pool"]["max_size"] == 4
    assert "pool" not in database_from_url("postgres://u@h/db?pool=0")["OPTIONS"]
    with pytest.raises(ImproperlyConfigured, match="pool='many'"):
        database_from_url("postgres://u@h/db?pool=many")
    assert (
        database_from_url("sqlite:////srv/sixfold/db.sqlite3")["NAME"] == "/srv/sixfold/db.sqlite3"
    )
    assert database_from_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"
    with pytest.raises(ImproperlyConfigured, match="'mysql' is not supported"):
        database_from_url("mysql://root@localhost/sixfold")
