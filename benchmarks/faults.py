"""Faults, for real: the faults a night can meet, and how long until the day has its puzzle.

`--faults` picks them (all by default): `kill` (a generation worker SIGKILLed mid-run),
`postgres` (PostgreSQL stopped for some seconds while a run ranks, stores and publishes its
pictures), `disk` (the media disk full while a run stores its pictures, for a minute), `redis`
(Redis, broker, cache and channel layer, stopped for 30 s while a run draws and while players
guess, with a second puzzle only the recovery job would queue), `beat` (no beat process for the
night: a due puzzle nobody queued, then a worker starts). Each reports whether the puzzle was
published, the seconds from the fault's end to publication, the attempts it took (a fault of the
machine spends none), its pictures, and what players met meanwhile (a prober plays on the
web server, Daphne: pages, game states and guesses; any 500 is a failure, a 503 with
`Retry-After` is the protocol's "unavailable").

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
import threading
import time
import uuid
from collections import Counter
from contextlib import suppress
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


# --- the night's other faults ---------------------------------------------------------------

PG_VERSION = (
    next(iter(sorted(os.listdir("/etc/postgresql"))), "15")
    if Path("/etc/postgresql").is_dir()
    else "15"
)
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


class Prober(threading.Thread):
    """A player on the web server throughout: the page, the game's state and a guess, in a
    loop; every answer's status is counted."""

    def __init__(self, port: int, number: int) -> None:
        super().__init__(daemon=True)
        self.port, self.number = port, number
        self.statuses: Counter[int] = Counter()
        self.stopped = threading.Event()

    def run(self) -> None:
        import http.client
        import json

        cookies: dict[str, str] = {}
        while not self.stopped.is_set():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                for method, path, body in (
                    ("GET", "/", None),
                    ("GET", f"/p/{self.number}/state/", None),
                    (
                        "POST",
                        f"/p/{self.number}/guess/",
                        {"id": str(uuid.uuid4()), "text": "a cat on a boat"},
                    ),
                ):
                    headers = {  # the cookies as the last answer left them, as a browser
                        "Host": "127.0.0.1",
                        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                        "X-CSRFToken": cookies.get("csrftoken", ""),
                    }
                    data = json.dumps(body).encode() if body else None
                    connection.request(method, path, body=data, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    self.statuses[response.status] += 1
                    for name, value in response.getheaders():
                        if name.lower() == "set-cookie":
                            key, _, rest = value.partition("=")
                            cookies[key] = rest.split(";", 1)[0]
                connection.close()
            except OSError:
                self.statuses[0] += 1  # no answer at all (the server itself is never stopped)
            time.sleep(0.3)

    def summary(self) -> str:
        return " ".join(f"{code or 'none'}:{n}" for code, n in sorted(self.statuses.items()))


def _connect(args: argparse.Namespace) -> psycopg.Connection:
    """A connection to the benchmark's database, waiting while PostgreSQL is down."""
    deadline = time.monotonic() + 300
    while True:
        try:
            return psycopg.connect(f"{args.postgres}/{args.database}", autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _state_of(args: argparse.Namespace, pk: int) -> tuple[str, int, str, int]:
    with _connect(args) as connection:
        return _puzzle(connection, pk)


def _wait_state(args: argparse.Namespace, pk: int, wanted: set[str], limit: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        state, _, stage, _ = _state_of(args, pk)
        if state in wanted or stage in wanted:
            return time.monotonic() - started
        time.sleep(0.3)
    return None


def _media_files(var_dir: Path) -> int:
    return sum(1 for _ in (var_dir / "media").rglob("*.png"))


def _fault_postgres(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path
) -> tuple[str, float, int]:
    pk = _new_puzzle(env, offset=40)
    _wait_state(args, pk, {"rank", "judge", "storing", "published"}, 300)
    stage = _state_of(args, pk)[2]
    subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "stop", "-m", "fast"], check=True)
    time.sleep(8)
    subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "start"], check=True)
    return f"stopped 8 s at {stage!r}", 8.0, pk


def _fault_disk(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path
) -> tuple[str, float, int]:
    media = var_dir / "media"
    filler = media / "filler"
    free = os.statvfs(media)
    with filler.open("wb") as handle, suppress(OSError):  # the disk, full
        handle.write(b"\0" * (free.f_bavail * free.f_frsize))
    pk = _new_puzzle(env, offset=41)
    _wait_state(args, pk, {"storing", "published"}, 300)
    full_from = time.monotonic()
    time.sleep(60)
    filler.unlink()
    return "full for 60 s from 'storing'", time.monotonic() - full_from, pk


def _fault_redis(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path
) -> tuple[str, float, int]:
    pk = _new_puzzle(env, offset=42)
    _wait_state(args, pk, {"generating", "sample", "published"}, 300)
    stage = _state_of(args, pk)[2]
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False)
    down_from = time.monotonic()
    time.sleep(30)
    subprocess.run(REDIS_START, check=True)
    return f"down 30 s from {stage!r}", time.monotonic() - down_from, pk


NEW_UNQUEUED = """
from datetime import timedelta
from puzzles.calendar import puzzle_day
from puzzles.services import ensure_puzzles
[puzzle] = ensure_puzzles(puzzle_day() + timedelta(days={offset}), 1)
print("PUZZLE", puzzle.pk)
"""


def _fault_beat(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path
) -> tuple[str, float, int]:
    done = subprocess.run(
        [str(PYTHON), "manage.py", "shell", "-c", NEW_UNQUEUED.format(offset=args.kills + 1)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    pk = int(next(x for x in done.stdout.splitlines() if x.startswith("PUZZLE")).split()[1])
    time.sleep(35)  # past the recovery job's quiet period: nothing queued it overnight
    return "no beat, a due puzzle never queued; a worker starts", 0.0, pk


SCENARIOS = {
    "postgres": _fault_postgres,
    "disk": _fault_disk,
    "redis": _fault_redis,
    "beat": _fault_beat,
}


def run_fault(
    name: str, args: argparse.Namespace, env: dict[str, str], var_dir: Path, logs: Path, beat: list
) -> tuple:
    """One fault, with a worker (and beat, unless it is the fault) running; the row to print."""
    if beat[0] is not None and beat[0].poll() is not None:  # an earlier fault stopped it
        beat[0] = _start(
            [str(CELERY), "-A", "config", "beat", "--loglevel=INFO"], env, logs / "beat.log"
        )
    if name == "beat" and beat[0] is not None:
        _kill(beat[0])
        beat[0] = None
    worker = None if name == "beat" else _worker(env, logs)
    try:
        what, _, pk = SCENARIOS[name](args, env, var_dir)
        ended = time.monotonic()
        if name == "beat":
            worker = _worker(env, logs)  # at start it asks for the recovery job
        published = _wait_state(args, pk, {"published"}, LEASE + 300)
        state, attempts, _, images = _state_of(args, pk)
        took = time.monotonic() - ended if published is not None else None
        return (name, what, state, took, attempts, images)
    finally:
        if worker is not None:
            _kill(worker)
        if name == "beat":
            beat[0] = _start(
                [str(CELERY), "-A", "config", "beat", "--loglevel=INFO"], env, logs / "beat.log"
            )


def _number_of(args: argparse.Namespace, pk: int) -> int:
    with _connect(args) as connection:
        row = connection.execute(
            "SELECT number FROM puzzles_puzzle WHERE id = %s", (pk,)
        ).fetchone()
        assert row is not None
        return int(row[0])


def _nothing_lost(args: argparse.Namespace, var_dir: Path) -> tuple[int, int, int]:
    """(pictures the database names, of them missing on disk, puzzles with doubled positions)."""
    with _connect(args) as connection:
        names = [r[0] for r in connection.execute("SELECT file FROM puzzles_puzzleimage")]
        doubled = connection.execute(
            "SELECT count(*) FROM (SELECT puzzle_id, position FROM puzzles_puzzleimage "
            "WHERE position IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d"
        ).fetchone()
    missing = sum(1 for name in names if not (var_dir / "media" / name).is_file())
    return len(names), missing, int(doubled[0]) if doubled else 0


def _services_back() -> None:
    """PostgreSQL and Redis running again, whatever happened (other work needs them)."""
    subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "start"], check=False, capture_output=True)
    if subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
        subprocess.run(REDIS_START, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", default="kill,postgres,disk,redis,beat")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--recovery-every", type=int, default=20, help="seconds between runs")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sixfold_faults")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    faults = [name.strip() for name in args.faults.split(",") if name.strip()]
    unknown = set(faults) - {"kill", *SCENARIOS}
    if unknown:
        parser.error(f"unknown faults {sorted(unknown)}; known: kill, {', '.join(SCENARIOS)}")
    rng = random.Random(args.seed)
    var_dir = Path(tempfile.mkdtemp(prefix="sixfold-faults-"))
    logs = var_dir / "log"
    logs.mkdir()
    media = var_dir / "media"
    media.mkdir()
    # The media on a disk of its own, small enough to fill (the `disk` fault).
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(media)], check=True)
    env = _environment(args, var_dir)
    env.update(
        DJANGO_MEDIA_ROOT=str(media),
        REDIS_URL="redis://127.0.0.1:6379/3",
        SIXFOLD_GUESS_RATE="100000/60",
        SIXFOLD_STORAGE_PATIENCE_SECONDS="300",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    _fresh_database(args)
    _manage(env, "migrate", "-v0")
    _manage(env, "import_prompts", "--demo")
    _manage(env, "collectstatic", "--noinput", "-v0")
    _manage(env, "shell", "-c", SETUP.format(every=args.recovery_every))
    beat = [
        _start([str(CELERY), "-A", "config", "beat", "--loglevel=INFO"], env, logs / "beat.log")
    ]
    rows, fault_rows = [], []
    web = prober = None
    try:
        # Today's puzzle first, for the players the prober stands for.
        worker = _worker(env, logs)
        today = _new_puzzle(env, offset=0)
        _wait_state(args, today, {"published"}, 600)
        _kill(worker)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from protocol_fuzz import Server

        web = Server(env, logs / "web.log")
        prober = Prober(web.port, _number_of(args, today))
        prober.start()
        connection = _connect(args)
        for index in range(1, args.kills + 1 if "kill" in faults else 1):
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
        connection.close()
        for name in (fault for fault in faults if fault != "kill"):
            before = Counter(prober.statuses)
            row = run_fault(name, args, env, var_dir, logs, beat)
            met = Counter(prober.statuses)
            met.subtract(before)
            fault_rows.append(
                (*row, " ".join(f"{c or 'none'}:{n}" for c, n in sorted(met.items()) if n))
            )
            print(f"{name}: {row[1]} -> {row[2]}")
        lost = _nothing_lost(args, var_dir)
    finally:
        _services_back()
        if prober is not None:
            prober.stopped.set()
        if web is not None:
            web.stop()
        if beat[0] is not None:
            _kill(beat[0])
        subprocess.run(["umount", "-l", str(media)], check=False)
    if rows:
        print(
            f"\nWorker SIGKILLed mid-generation, lease {LEASE} s, recovery every "
            f"{args.recovery_every} s (PostgreSQL, Redis broker, built-in model)"
        )
        print(
            f"{'kill':>4} {'stage at kill':>14} {'attempts':>8} {'pictures':>8}"
            f" {'s to publish':>13}"
        )
        for index, stage, attempts, images, published in rows:
            shown = f"{published:.0f}" if published is not None else "never"
            print(f"{index:4} {stage:>14} {attempts:8} {images:8} {shown:>13}")
    print(f"\nThe night's faults (lease {LEASE} s; a fault of the machine spends no attempt)")
    print(
        f"{'fault':9} {'state':10} {'s after':>7} {'attempts':>8} {'pictures':>8}"
        "  players met  /  what"
    )
    for name, what, state, took, attempts, images, met in fault_rows:
        shown = f"{took:.0f}" if took is not None else "never"
        print(f"{name:9} {state:10} {shown:>7} {attempts:8} {images:8}  {met}  /  {what}")
    named, missing, doubled = lost
    print(
        f"pictures the database names: {named}, missing on disk: {missing}; "
        f"doubled places: {doubled}"
    )
    web_errors = [
        line
        for line in (logs / "web.log").read_text(errors="replace").splitlines()
        if "Traceback" in line
    ]
    print(f"tracebacks in the web server's log: {len(web_errors)}")
    print("goal: each published within lease + 5 min of the fault's end, no 500, nothing lost")
    ok = all(row[2] == "published" and row[3] is not None for row in fault_rows)
    ok = ok and all(r[4] is not None and r[3] == 6 for r in rows) and missing == 0 and doubled == 0
    ok = ok and not any(" 500:" in f" {row[6]}" for row in fault_rows)
    print(f"logs: {logs}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
