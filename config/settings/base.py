"""Settings shared by every environment. Each value comes from an environment variable, with an
embedded default that needs no external service (README "Configuration" lists them all).

The modules beside this one (dev, test, production) decide DEBUG, the secret key and the allowed
hosts, then call `require_deploy_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional_date,
    env_rate,
    env_str,
    env_zone,
)

BASE_DIR = Path(__file__).resolve().parents[2]
SIXFOLD_VAR_DIR = Path(env_str("SIXFOLD_VAR_DIR", str(BASE_DIR / "var")))

# --- Django core -------------------------------------------------------------------------------

INSTALLED_APPS = [
    "daphne",  # first, so that `runserver` serves ASGI (WebSockets included)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "puzzles",
    "game",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{SIXFOLD_VAR_DIR / 'sixfold.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

# --- Static and media files --------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(SIXFOLD_VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(SIXFOLD_VAR_DIR / "media")))
# Puzzle images are stored under random names, so serving the media folder reveals nothing a
# player could not already see. Turn it off when a front web server serves MEDIA_ROOT itself.
SIXFOLD_SERVE_MEDIA = env_bool("SIXFOLD_SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security defaults (production.py adds the HTTPS ones) -------------------------------------

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# --- Cache and channel layer: Redis when REDIS_URL is set, in-process otherwise ----------------

REDIS_URL = env_str("REDIS_URL", "")
# Before the keys of the channel layer and of the game's own Redis data (a player's open tabs).
SIXFOLD_CHANNEL_PREFIX = env_str("SIXFOLD_CHANNEL_PREFIX", "sixfold")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that
                # channels_redis blocks in BZPOPMIN: an idle consumer would then die with
                # "Timeout reading". A socket timeout longer than the blocking pop avoids it.
                # redis-py's default of 100 connections runs out when many players leave at
                # once (group cleanup then fails and leaves dead members); the consumer also
                # queues its group calls (game.consumers.GROUP_CALLS_AT_ONCE).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "max_connections": 512}],
                "prefix": SIXFOLD_CHANNEL_PREFIX,
                # A day-long group membership is far more than a game session needs.
                "group_expiry": 6 * 3600,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # One process only: fine for the embedded set-up, which runs a single ASGI server.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- The game: scoring and the guess path --------------------------------------------------------

# A local sentence-transformers directory; empty: the packaged all-MiniLM-L6-v2.
# Formerly SCORER_MODEL_PATH, still read when the new name is not set.
SIXFOLD_SCORER_MODEL_PATH = env_str("SIXFOLD_SCORER_MODEL_PATH", env_str("SCORER_MODEL_PATH", ""))
# WordNet's database (Debian's wordnet-base), for synonyms and kinds-of in marks and scores.
SIXFOLD_WORDNET_DIR = env_str("SIXFOLD_WORDNET_DIR", "/usr/share/wordnet")
SIXFOLD_SCORER_DEVICE = env_str("SIXFOLD_SCORER_DEVICE", "cpu")
# Torch threads for scoring; 0: half the cores, at most 4 (the rest serve the web process).
SIXFOLD_SCORER_THREADS = env_int("SIXFOLD_SCORER_THREADS", 0, minimum=0)
# onnx: the sentence model run by ONNX Runtime (exported once into SIXFOLD_VAR_DIR/scorer/); torch.
SIXFOLD_SCORER_RUNTIME = env_choice("SIXFOLD_SCORER_RUNTIME", "onnx", ("onnx", "torch"))
# Sentences embedded by the model with the tuned layers shipped in game/scoring/scorer_tuning/ (made
# by `manage.py tune_scorer` from the packaged model); off: the model as it is.
SIXFOLD_SCORER_TUNED = env_bool("SIXFOLD_SCORER_TUNED", True)
SIXFOLD_SCORER_BATCHING = env_bool("SIXFOLD_SCORER_BATCHING", True)
SIXFOLD_SCORER_CACHE = env_bool("SIXFOLD_SCORER_CACHE", True)
# Load the scorer and today's answer before the web process serves anyone.
SIXFOLD_WARM_SCORER = env_bool("SIXFOLD_WARM_SCORER", True)
# Guesses a player may make, and messages one WebSocket may send, per window (COUNT/SECONDS).
SIXFOLD_GUESS_RATE = env_rate("SIXFOLD_GUESS_RATE", "10/60")
SIXFOLD_MESSAGE_RATE = env_rate("SIXFOLD_MESSAGE_RATE", "30/10")
# Threads that run the guess path's database work beside the event loop (PostgreSQL; SQLite,
# which takes one writer at a time, always uses one).
SIXFOLD_DB_THREADS = env_int("SIXFOLD_DB_THREADS", 8, minimum=1)
# The site's address for share links; empty: the request's host.
SIXFOLD_PUBLIC_URL = env_str("SIXFOLD_PUBLIC_URL", "")  # game.conf drops a trailing slash

# --- Puzzles -----------------------------------------------------------------------------------

# The zone whose midnight starts a new puzzle day, and the day that is puzzle number 1.
SIXFOLD_TIME_ZONE = env_zone("SIXFOLD_TIME_ZONE", "UTC")
# The day of puzzle number 1; unset: the day this site first needed a number (kept in the
# database, so that a new install starts at #1 and its numbers never shift).
SIXFOLD_FIRST_DAY = env_optional_date("SIXFOLD_FIRST_DAY")
TIME_ZONE = SIXFOLD_TIME_ZONE  # the admin shows times in the puzzle zone
# The generator's model directory; empty means the built-in weights in generator/weights/default.
SIXFOLD_MODEL_DIR = env_str("SIXFOLD_MODEL_DIR", "")
SIXFOLD_CANDIDATES = env_int("SIXFOLD_CANDIDATES", 16, minimum=6)
SIXFOLD_DAYS_AHEAD = env_int("SIXFOLD_DAYS_AHEAD", 3, minimum=1)
# Publish as soon as the images exist; off: wait for a curator (unreviewed puzzles are still
# published the day before they are due, so that no day is empty).
SIXFOLD_AUTO_PUBLISH = env_bool("SIXFOLD_AUTO_PUBLISH", True)
SIXFOLD_MAX_ATTEMPTS = env_int("SIXFOLD_MAX_ATTEMPTS", 3, minimum=1)
SIXFOLD_RETRY_BACKOFF_SECONDS = env_int("SIXFOLD_RETRY_BACKOFF_SECONDS", 60, minimum=0)
# How long a claim on a puzzle lasts without a sign of life before another run may take it over.
SIXFOLD_GENERATION_LEASE_SECONDS = env_int("SIXFOLD_GENERATION_LEASE_SECONDS", 1800, minimum=60)
SIXFOLD_FALLBACK_PROMPT = env_str("SIXFOLD_FALLBACK_PROMPT", "a big apple on a blue background")
SIXFOLD_GENERATION_QUEUE = env_str("SIXFOLD_GENERATION_QUEUE", "generation")
# The recovery job (beat, every few minutes) leaves alone puzzles touched more recently than
# this: they were just queued or just failed and are waiting for their retry.
SIXFOLD_RECOVERY_QUIET_SECONDS = env_int("SIXFOLD_RECOVERY_QUIET_SECONDS", 300, minimum=0)
# How long a run waits for media storage that cannot take its pictures (a full disk) before it
# gives the puzzle back, no attempt spent, to be drawn again later (puzzles.storing).
SIXFOLD_STORAGE_PATIENCE_SECONDS = env_int("SIXFOLD_STORAGE_PATIENCE_SECONDS", 600, minimum=0)

# --- Celery ------------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
CELERY_BROKER_DIR = SIXFOLD_VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server: messages are files in SIXFOLD_VAR_DIR that every process
    # shares.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers a message that is not acknowledged within the visibility timeout; the
    # generation task acknowledges late, so the timeout must outlast the longest generation.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * SIXFOLD_GENERATION_LEASE_SECONDS}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"  # crontabs in UTC: no job runs twice or not at all on a DST change
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {"puzzles.generate_puzzle": {"queue": SIXFOLD_GENERATION_QUEUE}}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Logging -----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"outage_line": {"()": "config.log_filters.ServiceOutageLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["outage_line"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # JAX looks for a TPU at start and says so at INFO ("Unable to initialize backend").
        "jax._src.xla_bridge": {"level": "WARNING"},
    },
}
