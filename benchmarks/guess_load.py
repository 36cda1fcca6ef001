"""Guess load: real WebSocket clients against the real ASGI server on this machine.

For each mode (batching and caching on, then both off) the script starts uvicorn on a fresh
SQLite database seeded with a week of puzzles, then for 200, 500 and 1,000 players:
  * steady: every player opens the page (a session cookie), connects to /ws/play/<n>/ and
    guesses at a human pace (one guess every 3 to 7 s, so about N/5 guesses a second offered);
  * burst: every player sends one guess at the same moment.
It prints guesses answered per second and the p50/p99 time from sending a guess to receiving its
scored state, for both modes, and the ratio between them.

    .venv/bin/python benchmarks/guess_load.py                # 200, 500, 1000 players, 20 s each
    .venv/bin/python benchmarks/guess_load.py --players 50 --seconds 5   # a quick look

The load generator runs on the same machine as the server (it takes CPU from it): the numbers
are for comparing the two modes, measured the same way, not a capacity figure for a real host.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm
from websockets.asyncio.client import ClientConnection, connect

REPO = Path(__file__).resolve().parents[1]

SEED_SCRIPT = """
import io, numpy as np
from datetime import timedelta
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from puzzles.calendar import puzzle_day, puzzle_number
from puzzles.models import Prompt, Puzzle, PuzzleImage
from game.answers import store_answer_vectors
answers = [
    "two small penguins to the left of a sailboat on a beach",
    "a giraffe next to a crown in the desert",
    "three balloons above a birthday cake on a pink background",
    "a big rocket above a full moon in outer space",
    "a red car to the right of a tree in the snow",
    "a frog next to a big mushroom on the grass",
    "a shark to the left of a small octopus underwater",
    "an owl above a crescent moon under a night sky",
]
buffer = io.BytesIO()
Image.new("RGB", (64, 64), (90, 140, 200)).save(buffer, format="PNG")
numbers = []
for days_ago, text in enumerate(answers):
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

# Guesses are made of caption words: a small vocabulary (the word cache fills quickly), with
# sentences that rarely repeat (the text cache seldom helps), as with real players.
COUNTS = ["a", "two", "three", "a small", "a big", "some"]
NOUNS = (
    "penguin cat dog fox owl rocket moon car tree frog mushroom shark octopus giraffe crown "
    "balloon cake boat sailboat bird fish house castle star planet cloud robot bear lion"
)
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


def random_guess(rng: random.Random) -> str:
    first, second = rng.sample(NOUNS.split(), 2)
    parts = [rng.choice(COUNTS), first, rng.choice(RELATIONS), "a", second, rng.choice(SETTINGS)]
    return " ".join(p for p in parts if p)


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

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(directory: Path, fast: bool) -> Server:
    directory.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="benchmark-only-secret-key-" + uuid.uuid4().hex,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=f"sqlite:///{directory / 'bench.sqlite3'}",
        SIXFOLD_VAR_DIR=str(directory / "var"),
        DJANGO_MEDIA_ROOT=str(directory / "media"),
        SIXFOLD_SCORER_BATCHING="1" if fast else "0",
        SIXFOLD_SCORER_CACHE="1" if fast else "0",
        SIXFOLD_WARM_SCORER="1",
        DJANGO_LOG_LEVEL="WARNING",
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    env.pop("REDIS_URL", None)  # one process: the in-memory layer, as the embedded set-up
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)
    seeded = subprocess.run(
        [python, "manage.py", "shell", "-c", SEED_SCRIPT],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    line = next(x for x in seeded.stdout.splitlines() if x.startswith("NUMBERS"))
    numbers = [int(n) for n in line.split()[1:]]
    port = free_port()
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(
        [
            python,
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
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"127.0.0.1:{port}", process, numbers)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            asyncio.run(session_cookie(server.url))
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.stop()
        raise RuntimeError(f"the server did not start; see {directory / 'server.log'}")
    asyncio.run(warm_up(server))
    return server


async def warm_up(server: Server) -> None:
    """One guess before measuring: the scorer has finished loading and the code paths are hot."""
    player = Player(server, -1, 0)
    await player.join()
    await player.guess(Tally())
    await player.leave()


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
    started: float = 0.0
    finished: float = 0.0

    def add(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def row(self) -> tuple[float, float, float]:
        if not self.latencies:
            return 0.0, float("nan"), float("nan")
        elapsed = max(self.finished - self.started, 1e-9)
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        return len(ordered) / elapsed, 1000 * statistics.median(ordered), 1000 * p99


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
        number = self.server.numbers[self.puzzle % len(self.server.numbers)]
        self.socket = await connect(
            f"ws://{self.server.url}/ws/play/{number}/",
            origin=f"http://{self.server.url}",  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie},
            open_timeout=120,
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
        assert self.socket is not None
        guess_id = str(uuid.uuid4())
        sent = time.perf_counter()
        await self.socket.send(
            json.dumps({"type": "guess", "id": guess_id, "text": random_guess(self.rng)})
        )
        frame = await self._reply(guess_id)
        if frame["type"] == "error":
            tally.errors += 1
            return
        tally.add(time.perf_counter() - sent)
        if frame["state"]["status"] != "playing":  # game over: on to an older puzzle
            self.puzzle += 1
            await self._connect()

    async def play(self, tally: Tally, until: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, 5))  # players do not all start together
        while time.monotonic() < until:
            await self.guess(tally)
            await asyncio.sleep(self.rng.uniform(3, 7))  # reading, thinking, typing

    async def leave(self) -> None:
        if self.socket is not None:
            await self.socket.close()


async def run_level(server: Server, count: int, seconds: float, seed: int) -> tuple[Tally, Tally]:
    players = [Player(server, i, seed) for i in range(count)]
    joining = asyncio.Semaphore(50)

    async def join(player: Player) -> None:
        async with joining:
            await player.join()

    with tqdm(total=count, desc=f"  {count} players connecting", leave=False) as bar:
        for batch in range(0, count, 50):
            await asyncio.gather(*(join(p) for p in players[batch : batch + 50]))
            bar.update(len(players[batch : batch + 50]))
    steady = Tally(started=time.perf_counter())
    until = time.monotonic() + seconds
    await asyncio.gather(*(p.play(steady, until) for p in players))
    steady.finished = time.perf_counter()

    burst = Tally(started=time.perf_counter())
    await asyncio.gather(*(p.guess(burst) for p in players))
    burst.finished = time.perf_counter()
    await asyncio.gather(*(p.leave() for p in players), return_exceptions=True)
    return steady, burst


# --------------------------------------------------------------------------- the table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--players", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--seconds", type=float, default=20.0, help="steady phase per level")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    results: dict[tuple[str, int, str], tuple[float, float, float, int]] = {}
    with tempfile.TemporaryDirectory(prefix="sixfold-bench-") as tmp:
        for mode, fast in (("batching+cache on", True), ("batching+cache off", False)):
            print(f"{mode}: starting the server (loads the scorer)...", flush=True)
            server = start_server(Path(tmp) / ("on" if fast else "off"), fast)
            try:
                for count in args.players:
                    steady, burst = asyncio.run(run_level(server, count, args.seconds, args.seed))
                    for phase, tally in (("steady", steady), ("burst", burst)):
                        results[(mode, count, phase)] = (*tally.row(), tally.errors)
                    print(f"  {count} players done", flush=True)
            finally:
                server.stop()

    print()
    print(
        f"{'mode':<20} {'players':>7} {'phase':<7} {'guesses/s':>10} {'p50 ms':>9} "
        f"{'p99 ms':>9} {'errors':>6}"
    )
    for (mode, count, phase), (rate, p50, p99, errors) in results.items():
        print(f"{mode:<20} {count:>7} {phase:<7} {rate:>10.1f} {p50:>9.0f} {p99:>9.0f} {errors:>6}")
    print()
    print("on/off ratios (throughput higher is better, p99 lower is better):")
    for count in args.players:
        for phase in ("steady", "burst"):
            on = results[("batching+cache on", count, phase)]
            off = results[("batching+cache off", count, phase)]
            print(
                f"  {count:>5} {phase:<7} throughput x{on[0] / max(off[0], 1e-9):.2f}   "
                f"p99 x{on[2] / max(off[2], 1e-9):.2f}"
            )


if __name__ == "__main__":
    main()
