"""Guess load in the production set-up: real WebSocket players against the real ASGI server.

By default the server runs as in production: PostgreSQL (a fresh database made for the run on
the server of DATABASE_URL, dropped afterwards) and Redis (REDIS_URL) for the channel layer and
the cache; `--sqlite` runs the embedded set-up instead (SQLite, in-process layer and cache, one
process). For each number of web processes (`--processes`, uvicorn workers sharing one port):

  * human pace: N players open the page (a session cookie), connect to /ws/play/<n>/ and guess
    every 3 to 7 s, one guess in flight each, as play.js does (about N/5 guesses/s offered); a
    finished game moves the player on to an older puzzle on a new socket ("next puzzle": how
    long that takes; all games start together, so they end in a wave);
  * burst: every player sends one guess at the same moment: how long until the last is answered;
  * leave: every player closes at once: errors in the server log, open-tab entries (and any
    channel-layer group member) left behind in Redis;
  * flat out: 200 players guess back to back (no thinking): the most the server answers per
    second, set against the scorer alone on the same mix of guesses in the same run (this
    process, before the servers start, with as many torch threads as the machine has cores):
    **answered ÷ scorer-alone** is the share of the machine's scoring capacity that reaches
    players;
  * first guess: the server is restarted and one guess is sent as soon as it accepts
    connections.

Every guess acknowledged to a player is counted and compared with the guesses stored in the
database at the end (stored = acked: nothing lost, nothing doubled).

    .venv/bin/python benchmarks/guess_load.py                        # 200 and 1000 players
    .venv/bin/python benchmarks/guess_load.py --players 50 --seconds 5 --processes 1  # a look

The guess rate limit (10 per minute per player in production) is raised for the run: it is
there against abuse, and flat-out players would only measure it. The load client runs on the
same machine and takes CPU from the server, as the issue's measurements did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tqdm import tqdm
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ANSWERS = [
    "two small penguins to the left of a sailboat on a beach",
    "a giraffe next to a crown in the desert",
    "three balloons above a birthday cake on a pink background",
    "a big rocket above a full moon in outer space",
    "a red car to the right of a tree in the snow",
    "a frog next to a big mushroom on the grass",
    "a shark to the left of a small octopus underwater",
    "an owl above a crescent moon under a night sky",
]

SEED_SCRIPT = f"""
import io
from datetime import timedelta
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from puzzles.calendar import puzzle_day, puzzle_number
from puzzles.models import Prompt, Puzzle, PuzzleImage
from game.scoring_service import store_answer_vectors
buffer = io.BytesIO()
Image.new("RGB", (64, 64), (90, 140, 200)).save(buffer, format="PNG")
numbers = []
for days_ago, text in enumerate({ANSWERS!r}):
    day = puzzle_day() - timedelta(days=days_ago)
    prompt = Prompt.objects.create(text=text, status="approved")
    puzzle = Puzzle.objects.create(date=day, number=puzzle_number(day), prompt=prompt,
                                   state="published", published_at=timezone.now())
    for position in range(1, 7):
        image = PuzzleImage(puzzle=puzzle, position=position, rank=position, score=1.0, seed=1)
        image.file.save("p.png", ContentFile(buffer.getvalue()))
    store_answer_vectors(puzzle.pk, text)  # what publication does
    numbers.append(puzzle.number)
print("NUMBERS", *numbers)
"""

COUNT_SCRIPT = "from game.models import Guess; print('STORED', Guess.objects.count())"

# Guesses: half common phrases (many players type the same few things), half fresh sentences
# made of caption words (a small vocabulary, sentences that rarely repeat).
COUNTS = ["a", "two", "three", "a small", "a big", "some"]
NOUN_WORDS = (
    "penguin cat dog fox owl rocket moon car tree frog mushroom shark octopus giraffe crown "
    "balloon cake boat sailboat bird fish house castle star planet cloud robot bear lion"
)
NOUNS = NOUN_WORDS.split()
RELATIONS = ["next to", "above", "below", "to the left of", "to the right of", "near"]
SETTINGS = [
    "on a beach",
    "in the snow",
    "in the desert",
    "underwater",
    "in outer space",
    "on the grass",
    "under a night sky",
    "on a pink background",
    "in the sky",
    "",
]


def fresh_guess(rng: random.Random) -> str:
    first, second = rng.sample(NOUNS, 2)
    parts = [rng.choice(COUNTS), first, rng.choice(RELATIONS), "a", second, rng.choice(SETTINGS)]
    return " ".join(p for p in parts if p)


COMMON = [fresh_guess(random.Random(k)) for k in range(30)] + [f"a {n}" for n in NOUNS[:20]]


def random_guess(rng: random.Random) -> str:
    return rng.choice(COMMON) if rng.random() < 0.5 else fresh_guess(rng)


# --------------------------------------------------------------------------- the services


@dataclass
class Backend:
    """Where the server keeps its data: the environment it runs with, and how to clean up."""

    name: str
    env: dict[str, str]
    redis_url: str = ""
    channel_prefix: str = ""
    database: str = ""
    admin_url: str = ""


@contextmanager
def production_backend(run: str) -> Iterator[Backend]:
    """A fresh PostgreSQL database for the run (dropped afterwards) and Redis, with a channel
    prefix of the run's own."""
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(base)
    name = f"sixfold_bench_{run}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    prefix = f"sixfold-bench-{run}"
    env = {
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}")),
        "REDIS_URL": redis_url,
        "SIXFOLD_CHANNEL_PREFIX": prefix,
    }
    try:
        yield Backend("PostgreSQL + Redis", env, redis_url, prefix, name, base)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_backend(directory: Path) -> Iterator[Backend]:
    yield Backend("SQLite, in-process", {"DATABASE_URL": f"sqlite:///{directory / 'b.sqlite3'}"})


def server_env(directory: Path, backend: Backend) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="benchmark-only-secret-key-" + uuid.uuid4().hex,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SIXFOLD_VAR_DIR=str(directory / "var"),
        DJANGO_MEDIA_ROOT=str(directory / "media"),
        SIXFOLD_GUESS_RATE="100000/60",
        SIXFOLD_FIRST_DAY="2026-01-01",  # the seed goes a week back
        DJANGO_LOG_LEVEL="WARNING",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    env.update(backend.env)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def seed(env: dict[str, str]) -> list[int]:
    manage(env, "migrate", "-v", "0")
    line = next(x for x in manage(env, "shell", "-c", SEED_SCRIPT).splitlines() if "NUMBERS" in x)
    return [int(n) for n in line.split()[1:]]


def stored_guesses(env: dict[str, str]) -> int:
    line = next(x for x in manage(env, "shell", "-c", COUNT_SCRIPT).splitlines() if "STORED" in x)
    return int(line.split()[1])


def group_members_left(backend: Backend) -> int | None:
    """Channel-layer group members (the server uses none: a check) and open tabs (game.tabs)
    still in Redis (None without Redis)."""
    if not backend.redis_url:
        return None
    import redis

    client = redis.Redis.from_url(backend.redis_url)
    groups = list(client.scan_iter(f"{backend.channel_prefix}:group:*"))
    tabs = list(client.scan_iter(f"{backend.channel_prefix}:tabs:*"))
    return sum(int(client.zcard(key)) for key in groups) + sum(
        int(client.scard(key)) for key in tabs
    )


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    numbers: list[int]
    log_path: Path
    ready_after: float = 0.0  # seconds from launch until it accepted connections

    def stop(self) -> None:
        """Stops the server and its worker processes: they run in a process group of their
        own, because a supervisor killed after the timeout would leave its workers running
        (and spending the CPU the next phase measures)."""
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=20)
        with suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process.wait()

    def log_errors(self) -> list[str]:
        """Lines of the server log that report an error (each with the line after it)."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [
            " / ".join(lines[k : k + 2])
            for k, line in enumerate(lines)
            if "Traceback" in line or "ERROR" in line or "Exception" in line
        ]


def launch(env: dict[str, str], numbers: list[int], processes: int, log_path: Path) -> Server:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--backlog",
        "4096",
        "--workers",
        str(processes),
    ]
    started = time.monotonic()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True
        )
    server = Server(f"127.0.0.1:{port}", process, numbers, log_path)
    deadline = started + 240
    while time.monotonic() < deadline:
        try:
            asyncio.run(session_cookie(server.url))
            server.ready_after = time.monotonic() - started
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not start; see {log_path}")


async def session_cookie(address: str) -> str:
    """GET /stats/ like a browser, for the session cookie it sets (raw HTTP/1.1, no library)."""
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET /stats/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    head = (await reader.read()).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    writer.close()
    for line in head.split("\r\n"):
        if line.lower().startswith("set-cookie: sessionid="):
            return line.split(":", 1)[1].strip().split(";", 1)[0]
    raise OSError("no session cookie in the answer")


# --------------------------------------------------------------------------- the players


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sent: int = 0
    acked: int = 0  # guesses the server confirmed as stored (not duplicates)
    dropped: int = 0  # players whose socket the server closed or could not open
    codes: Counter[str] = field(default_factory=Counter)  # error frames by code
    # Seconds from a finished game to the next puzzle's first state (old socket closed, new
    # one opened): a thousand games that end together make a wave of these.
    reopens: list[float] = field(default_factory=list)
    # How late this load client's own event loop woke from 10 ms sleeps meanwhile: a latency
    # is the server's answer time plus at most this much of the client's own delay.
    client_lag: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    def rate(self) -> float:
        """Guesses answered with a scored state per second."""
        return len(self.latencies) / max(self.finished - self.started, 1e-9)

    def offered(self) -> float:
        return self.sent / max(self.finished - self.started, 1e-9)

    def percentile(self, share: float) -> float:
        return milliseconds_at(self.latencies, share)

    def reopen_percentile(self, share: float) -> float:
        return milliseconds_at(self.reopens, share)

    def p50(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else float("nan")


def milliseconds_at(seconds: list[float], share: float) -> float:
    """The value below which `share` of `seconds` fall, in ms (nan when there are none)."""
    if not seconds:
        return float("nan")
    ordered = sorted(seconds)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Player:
    def __init__(self, server: Server, index: int, seed: int) -> None:
        self.server = server
        self.rng = random.Random(seed * 100_003 + index)
        self.puzzle = 0  # index into server.numbers: today's first, older ones after a game
        self.socket: ClientConnection | None = None
        self.cookie = ""

    async def join(self) -> None:
        self.cookie = await session_cookie(self.server.url)
        await self._connect()

    async def _connect(self) -> None:
        if self.socket is not None:
            await self.socket.close()
            self.socket = None
        number = self.server.numbers[self.puzzle % len(self.server.numbers)]
        self.socket = await connect(
            f"ws://{self.server.url}/ws/play/{number}/",
            origin=f"http://{self.server.url}",  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie},
            open_timeout=10,  # a player gives up on a page that does not connect
            ping_interval=None,
            max_queue=None,
        )
        await self._reply(None)

    async def _reply(self, guess_id: str | None) -> dict:
        assert self.socket is not None
        while True:
            frame = json.loads(await self.socket.recv())
            if frame["type"] == "state" and (guess_id is None or frame.get("id") == guess_id):
                return frame
            if frame["type"] == "error" and frame.get("id") == guess_id:
                return frame

    async def guess(self, tally: Tally) -> None:
        if self.socket is None:
            return
        guess_id = str(uuid.uuid4())
        sent = time.perf_counter()
        tally.sent += 1
        try:
            await self.socket.send(
                json.dumps({"type": "guess", "id": guess_id, "text": random_guess(self.rng)})
            )
            frame = await self._reply(guess_id)
        except (ConnectionClosed, OSError, TimeoutError):  # the server dropped this player
            tally.errors += 1
            tally.dropped += 1
            self.socket = None
            return
        if frame["type"] == "error":
            tally.errors += 1
            tally.codes[frame.get("code", "?")] += 1
            return
        tally.latencies.append(time.perf_counter() - sent)
        tally.acked += 0 if frame["duplicate"] else 1
        if frame["state"]["status"] != "playing":  # game over: on to an older puzzle
            self.puzzle += 1
            try:
                reopening = time.perf_counter()
                await self._connect()
                tally.reopens.append(time.perf_counter() - reopening)
            except (ConnectionClosed, OSError, TimeoutError, InvalidHandshake):
                tally.dropped += 1
                self.socket = None

    async def play(self, tally: Tally, until: float, think: tuple[float, float]) -> None:
        await asyncio.sleep(self.rng.uniform(0, think[1]))  # players do not all start together
        while time.monotonic() < until:
            await self.guess(tally)
            await asyncio.sleep(self.rng.uniform(*think))  # reading, thinking, typing

    async def leave(self) -> None:
        if self.socket is not None:
            await self.socket.close()


@dataclass
class LevelResult:
    players: int
    handshakes_failed: int
    steady: Tally
    burst: Tally


async def join_all(server: Server, count: int, seed: int) -> tuple[list[Player], int]:
    """Players connect 50 at a time (a page load each); returns those in and the failures."""
    players = [Player(server, i, seed) for i in range(count)]
    failed = 0

    async def join(player: Player) -> bool:
        try:
            await player.join()
            return True
        except (ConnectionClosed, OSError, TimeoutError, InvalidHandshake):  # a lost player
            return False

    joined: list[Player] = []
    with tqdm(total=count, desc=f"  {count} players connecting", leave=False) as bar:
        for start in range(0, count, 50):
            batch = players[start : start + 50]
            results = await asyncio.gather(*(join(p) for p in batch))
            joined += [p for p, ok in zip(batch, results, strict=True) if ok]
            failed += results.count(False)
            bar.update(len(batch))
    return joined, failed


async def measure_lag(lags: list[float], until: float) -> None:
    while time.monotonic() < until:
        asleep = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - asleep - 0.01)


async def run_level(server: Server, count: int, seconds: float, seed: int) -> LevelResult:
    players, failed = await join_all(server, count, seed)
    steady = Tally(started=time.perf_counter())
    until = time.monotonic() + seconds
    await asyncio.gather(
        measure_lag(steady.client_lag, until),
        *(p.play(steady, until, (3.0, 7.0)) for p in players),
    )
    steady.finished = time.perf_counter()
    burst = Tally(started=time.perf_counter())
    await asyncio.gather(*(p.guess(burst) for p in players))
    burst.finished = time.perf_counter()
    await asyncio.gather(*(p.leave() for p in players), return_exceptions=True)
    return LevelResult(count, failed, steady, burst)


async def run_flat_out(server: Server, count: int, seconds: float, seed: int) -> Tally:
    players, _ = await join_all(server, count, seed + 7)
    tally = Tally(started=time.perf_counter())
    until = time.monotonic() + seconds
    await asyncio.gather(*(p.play(tally, until, (0.0, 0.0)) for p in players))
    tally.finished = time.perf_counter()
    await asyncio.gather(*(p.leave() for p in players), return_exceptions=True)
    return tally


async def first_guess(server: Server) -> float:
    tally = Tally()
    player = Player(server, -1, 1)
    await player.join()
    await player.guess(tally)
    await player.leave()
    return tally.latencies[0] * 1000 if tally.latencies else float("nan")


# --------------------------------------------------------------------------- the scorer alone


def scorer_alone(guesses: int, batch: int, seed: int) -> float:
    """Guesses per second the scorer alone manages on the same mix (answer vectors primed, the
    word and text cache on, as in the server, tuned or not as the server is), with a thread per
    core."""
    from config.env import env_bool
    from game.scoring.scorer import ScorerSettings, get_scorer

    threads = os.cpu_count() or 1
    tuned = env_bool("SIXFOLD_SCORER_TUNED", True)  # the server reads it through settings
    scorer = get_scorer(ScorerSettings(threads=threads, tuned=tuned))
    rng = random.Random(seed)
    for answer in ANSWERS:
        scorer.score(answer, "a warm up")
    pairs = [(rng.choice(ANSWERS), random_guess(rng)) for _ in range(guesses)]
    started = time.perf_counter()
    for start in range(0, len(pairs), batch):
        scorer.score_many(pairs[start : start + batch])
    return len(pairs) / (time.perf_counter() - started)


# --------------------------------------------------------------------------- the run


@dataclass
class ConfigResult:
    processes: int
    levels: list[LevelResult]
    flat_out: Tally
    first_guess_ms: float
    restart_ready_s: float
    leave_errors: list[str]
    members_left: int | None


def measure(
    env: dict[str, str], numbers: list[int], processes: int, args: argparse.Namespace, tmp: Path
) -> ConfigResult:
    log_path = tmp / f"server-{processes}.log"
    server = launch(env, numbers, processes, log_path)
    try:
        asyncio.run(first_guess(server))  # the code paths are hot before measuring
        levels = []
        for count in args.players:
            levels.append(asyncio.run(run_level(server, count, args.seconds, args.seed)))
            print(f"  {processes} process(es), {count} players done", flush=True)
        flat = asyncio.run(run_flat_out(server, args.flat_players, args.seconds, args.seed))
        time.sleep(2)  # disconnects finish
        errors = server.log_errors()
    finally:
        server.stop()
    # A restart: the first player must not wait for the model to load.
    restarted = launch(env, numbers, processes, log_path)
    try:
        first_ms = asyncio.run(first_guess(restarted))
    finally:
        restarted.stop()
    return ConfigResult(processes, levels, flat, first_ms, restarted.ready_after, errors, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=20.0, help="each timed phase")
    parser.add_argument("--flat-players", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true", help="the embedded set-up instead")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.sqlite:
        args.processes = [1]  # SQLite and the in-process layer serve one process only

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    print("scorer alone on the same guess mix...", flush=True)
    alone = scorer_alone(2000, 32, args.seed)

    # This client's own collector pauses would show as the server's latency (client lag).
    from config.collector import quiet_collector

    quiet_collector()
    run = uuid.uuid4().hex[:8]
    results: list[ConfigResult] = []
    acked = stored = 0
    with tempfile.TemporaryDirectory(prefix="sixfold-bench-") as tmp_name:
        tmp = Path(tmp_name)
        backend_cm = sqlite_backend(tmp) if args.sqlite else production_backend(run)
        with backend_cm as backend:
            env = server_env(tmp, backend)
            numbers = seed(env)
            for processes in args.processes:
                print(f"{backend.name}, {processes} web process(es)...", flush=True)
                result = measure(env, numbers, processes, args, tmp)
                result.members_left = group_members_left(backend)
                results.append(result)
                tallies = [t for r in result.levels for t in (r.steady, r.burst)]
                acked += sum(t.acked for t in [*tallies, result.flat_out]) + 2  # + first guesses
            stored = stored_guesses(env)
            print_table(backend.name, alone, results, acked, stored)


def print_table(
    backend: str, alone: float, results: list[ConfigResult], acked: int, stored: int
) -> None:
    print()
    print(f"{backend}; scorer alone on the same mix: {alone:.0f} guesses/s")
    print()
    head = (
        f"{'procs':>5} {'players':>7} {'offered/s':>9} {'answered/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'next puzzle p50/p99 ms':>22} {'burst all in ms':>15} "
        f"{'handshakes failed':>17} {'errors':>6} {'client lag p99 ms':>17}"
    )
    print(head)
    for result in results:
        for level in result.levels:
            s, b = level.steady, level.burst
            reopen = (  # "-": no game ended within the phase
                f"{s.reopen_percentile(0.5):.0f}/{s.reopen_percentile(0.99):.0f}"
                if s.reopens
                else "-"
            )
            print(
                f"{result.processes:>5} {level.players:>7} {s.offered():>9.1f} "
                f"{s.rate():>10.1f} {s.p50():>8.0f} {s.percentile(0.99):>8.0f} {reopen:>22} "
                f"{b.percentile(1.0):>15.0f} {level.handshakes_failed:>17} "
                f"{s.errors + b.errors:>6} {milliseconds_at(s.client_lag, 0.99):>17.0f}"
            )
    codes = Counter[str]()
    for result in results:
        for level in result.levels:
            codes.update(level.steady.codes)
            codes.update(level.burst.codes)
    if codes:
        print("error replies by code:", ", ".join(f"{c} {n}" for c, n in codes.most_common()))
    print()
    print(
        f"{'procs':>5} {'flat out answered/s':>19} {'÷ scorer alone':>14} {'p99 ms':>8} "
        f"{'first guess after restart ms':>28} {'restart s':>9} {'log errors':>10} "
        f"{'members left':>12}"
    )
    for result in results:
        flat = result.flat_out
        left = "-" if result.members_left is None else str(result.members_left)
        print(
            f"{result.processes:>5} {flat.rate():>19.1f} {flat.rate() / alone:>14.2f} "
            f"{flat.percentile(0.99):>8.0f} {result.first_guess_ms:>28.0f} "
            f"{result.restart_ready_s:>9.1f} {len(result.leave_errors):>10} {left:>12}"
        )
    for result in results:
        for line in result.leave_errors[:5]:
            print(f"  server log ({result.processes} process(es)): {line[:300]}")
    print()
    verdict = "equal" if acked == stored else "DIFFER"
    print(f"guesses acknowledged {acked}, stored {stored}: {verdict}")


if __name__ == "__main__":
    main()
