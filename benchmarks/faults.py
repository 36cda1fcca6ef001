"""Faults, for real: a generation worker SIGKILLed mid-run, and how long until the day has its
puzzle again.

The script sets up the production shape on this machine: a fresh PostgreSQL database
(`sixfold_faults`, dropped and made again), Redis as the Celery broker (database 2, flushed),
the built-in model, the shortest lease the settings allow (60 s) and the recovery job every
`--recovery-every` seconds (it is every 5 minutes in a real install; the schedule lives in the
database). Then, `--kills` times, on a puzzle of its own: queue its generation, start a worker
(`celery worker --pool=solo`, a real process), wait a random moment into the run, SIGKILL the
worker's whole process group, start a new worker at once, and time until the puzzle is
published. Beat runs throughout.

It prints one row per kill (the stage the run was in, attempts used, seconds from the kill to
the published puzzle) and the goal: every killed generation published again within one lease
plus 5 minutes, with six pictures.

    .venv/bin/python benchmarks/faults.py --kills 3          # about 2 minutes per kill
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"
CELERY = REPO / ".venv" / "bin" / "celery"
LEASE = 60


def _environment(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"{args.postgres}/{args.database}",
        "CELERY_BROKER_URL": args.broker,
        "SIXFOLD_VAR_DIR": str(var_dir),
        "SIXFOLD_GENERATION_LEASE_SECONDS": str(LEASE),
        "SIXFOLD_RECOVERY_QUIET_SECONDS": "30",
        "SIXFOLD_DAYS_AHEAD": str(args.kills + 1),
        "SIXFOLD_RETRY_BACKOFF_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
    }


def _fresh_database(args: argparse.Namespace) -> None:
    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{args.database}"')
    redis.Redis.from_url(args.broker).flushdb()


def _manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([str(PYTHON), "manage.py", *command], cwd=REPO, env=env, check=True)


SETUP = """
from django_celery_beat.models import IntervalSchedule, PeriodicTask
every, _ = IntervalSchedule.objects.get_or_create(every={every}, period="seconds")
PeriodicTask.objects.filter(task="puzzles.recover_puzzles").update(interval=every)
"""

# Each kill's puzzle is made just before its run is queued: made earlier, it would be drawn by
# the recovery job (which queues due puzzles nobody touched) before its turn came.
NEW_PUZZLE = """
from datetime import timedelta
from puzzles.calendar import puzzle_day
from puzzles.services import ensure_puzzles
from puzzles.tasks import enqueue_generation
[puzzle] = ensure_puzzles(puzzle_day() + timedelta(days={offset}), 1)
enqueue_generation(puzzle.pk)
print("PUZZLE", puzzle.pk)
"""


def _new_puzzle(env: dict[str, str], offset: int) -> int:
    done = subprocess.run(
        [str(PYTHON), "manage.py", "shell", "-c", NEW_PUZZLE.format(offset=offset)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("PUZZLE"))
    return int(line.split()[1])


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def _worker(env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    command = [str(CELERY), "-A", "config", "worker", "--pool=solo", "-Q", "celery,generation"]
    return _start([*command, "--loglevel=INFO"], env, logs / "worker.log")


def _kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _puzzle(connection: psycopg.Connection, pk: int) -> tuple[str, int, str, int]:
    row = connection.execute(
        "SELECT p.state, p.attempts, p.progress_stage, "
        "(SELECT count(*) FROM puzzles_puzzleimage i WHERE i.puzzle_id = p.id "
        " AND i.position IS NOT NULL) FROM puzzles_puzzle p WHERE p.id = %s",
        (pk,),
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def _wait_for(connection: psycopg.Connection, pk: int, wanted: str, limit: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if _puzzle(connection, pk)[0] == wanted:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--recovery-every", type=int, default=20, help="seconds between runs")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sixfold_faults")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    var_dir = Path(tempfile.mkdtemp(prefix="sixfold-faults-"))
    logs = var_dir / "log"
    logs.mkdir()
    env = _environment(args, var_dir)
    _fresh_database(args)
    _manage(env, "migrate", "-v0")
    _manage(env, "import_prompts", "--demo")
    _manage(env, "shell", "-c", SETUP.format(every=args.recovery_every))
    beat = _start([str(CELERY), "-A", "config", "beat", "--loglevel=INFO"], env, logs / "beat.log")
    rows = []
    connection = psycopg.connect(f"{args.postgres}/{args.database}", autocommit=True)
    try:
        for index in range(1, args.kills + 1):
            worker = _worker(env, logs)
            pk = _new_puzzle(env, offset=10 + index)  # days nothing else draws
            if _wait_for(connection, pk, "generating", 120) is None:
                print(f"kill {index}: the run never started; see {logs}", file=sys.stderr)
                _kill(worker)
                continue
            time.sleep(rng.uniform(0.5, 6.0))  # a random moment of the run
            stage = _puzzle(connection, pk)[2]
            _kill(worker)
            killed_at = time.monotonic()
            worker = _worker(env, logs)
            published = _wait_for(connection, pk, "published", LEASE + 300)
            state, attempts, _, images = _puzzle(connection, pk)
            rows.append((index, stage, attempts, images, published))
            print(f"kill {index}: {stage!r} -> {state} after {time.monotonic() - killed_at:.0f} s")
            _kill(worker)
    finally:
        connection.close()
        _kill(beat)
    print(
        f"\nWorker SIGKILLed mid-generation, lease {LEASE} s, recovery every "
        f"{args.recovery_every} s (PostgreSQL, Redis broker, built-in model)"
    )
    print(f"{'kill':>4} {'stage at kill':>14} {'attempts':>8} {'pictures':>8} {'s to publish':>13}")
    for index, stage, attempts, images, published in rows:
        shown = f"{published:.0f}" if published is not None else "never"
        print(f"{index:4} {stage:>14} {attempts:8} {images:8} {shown:>13}")
    recovered = [row for row in rows if row[4] is not None and row[3] == 6]
    print(
        f"published again within lease + 5 min with six pictures: {len(recovered)} of {len(rows)}"
    )
    print(f"logs: {logs}")
    return 0 if len(recovered) == len(rows) == args.kills else 1


if __name__ == "__main__":
    raise SystemExit(main())
