"""Fuzzed frames and bodies against the real server, as `make run` starts it (Daphne), in the
production set-up (PostgreSQL and Redis): no input may end in a traceback or a 5xx.

Random bytes, random Unicode, random JSON of any shape (depth up to 100,000), numbers of 4,000
to 9,000 digits, binary and empty frames, over the WebSocket (`/ws/play/<n>/`) and over
`POST /p/<n>/guess/` with a browser's session and CSRF token. Every answer is checked: an error
frame or a JSON 4xx carrying a documented code (game.protocol.ERROR_CODES), the socket never
closed by the server; at the end, no guess stored and no ERROR or traceback in the server log.
The message and guess rates are raised for the run (tests/game/test_protocol_fuzz.py shows
that every frame and body counts against them); the baseline row is the same number of valid
state requests, for the time per message.

    .venv/bin/python benchmarks/protocol_fuzz.py                 # 10,000 of each, ~3 min
    .venv/bin/python benchmarks/protocol_fuzz.py --count 500     # a look
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from guess_load import (
    REPO,
    free_port,
    manage,
    production_backend,
    seed,
    server_env,
    stored_guesses,
)

from game.protocol import ERROR_CODES


def random_json(rng: random.Random, depth: int = 0) -> object:
    roll = rng.random()
    if depth > 6 or roll < 0.4:
        return rng.choice([None, True, 3, -1.5, "", "x" * rng.randrange(200), random_text(rng, 30)])
    if roll < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    entries = {random_text(rng, 8): random_json(rng, depth + 1) for _ in range(rng.randrange(4))}
    entries.pop("text", None)  # a text could be a playable guess, which is stored, rightly
    if rng.random() < 0.3:
        entries["type"] = rng.choice(["guess", "GUESS", "", 7, None])
    return entries


def random_text(rng: random.Random, length: int) -> str:
    # Any code point but the surrogates (a str holding one cannot be sent as UTF-8).
    points = (rng.randrange(0x110000) for _ in range(rng.randrange(length + 1)))
    return "".join(chr(p) for p in points if not 0xD800 <= p <= 0xDFFF)


def fuzzed(rng: random.Random) -> str | bytes:
    """One frame's or body's content."""
    kind = rng.randrange(7)
    if kind == 0:
        return rng.randbytes(rng.randrange(600))
    if kind == 1:
        return random_text(rng, 300)
    if kind == 2:
        depth = rng.choice([10, 1_000, 100_000])
        return "[" * depth + "]" * depth
    if kind == 3:
        return "".join(rng.choice("0123456789") for _ in range(rng.randrange(4_000, 9_000)))
    if kind == 4:
        return '{"type": "guess", "id": ' + "7" * 5_000 + ', "text": "a cat"}'
    if kind == 5:
        return rng.choice([b"", ""])
    return json.dumps(random_json(rng))


class Server:
    """Daphne, as `make run` starts it, in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "config.asgi:application",
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                self.browser()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start; see {log}")

    def browser(self) -> dict[str, str]:
        """A browser's cookies after it opened the page: session and CSRF token."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", "/", headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        response.read()
        cookies = {}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        if "sessionid" not in cookies:
            raise OSError("no session yet")
        return cookies

    def errors(self) -> list[str]:
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "Traceback" in line or "ERROR" in line]

    def stop(self) -> None:
        import os

        os.killpg(os.getpgid(self.process.pid), signal.SIGTERM)
        self.process.wait(timeout=30)


def over_http(server: Server, number: int, bodies: list[str | bytes]) -> tuple[Counter, float]:
    cookies = server.browser()
    headers = {
        "Host": "127.0.0.1",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "X-CSRFToken": cookies.get("csrftoken", ""),
        "Content-Type": "application/json",
    }
    outcomes: Counter = Counter()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    started = time.perf_counter()
    for body in bodies:
        data = body.encode("utf-8") if isinstance(body, str) else body
        connection.request("POST", f"/p/{number}/guess/", body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            code = json.loads(raw).get("code")
        except ValueError:
            code = None
        if response.status >= 500:
            outcomes["5xx"] += 1
        elif code in ERROR_CODES:
            outcomes[code] += 1
        else:
            outcomes[f"HTTP {response.status}, no documented code"] += 1
    return outcomes, time.perf_counter() - started


async def over_socket(
    server: Server, number: int, frames: list[str | bytes]
) -> tuple[Counter, float]:
    cookies = server.browser()
    outcomes: Counter = Counter()
    url = f"ws://127.0.0.1:{server.port}/ws/play/{number}/"
    headers = {"Cookie": f"sessionid={cookies['sessionid']}"}
    started = time.perf_counter()
    async with websockets.connect(
        url, origin="http://127.0.0.1", additional_headers=headers, max_size=None
    ) as socket:
        for _ in range(2):  # the game's state and the counts
            await socket.recv()
        for frame in frames:
            try:
                await socket.send(frame)
                reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
            except websockets.ConnectionClosed as closed:
                outcomes[f"closed {closed.rcvd.code if closed.rcvd else '?'}"] += 1
                break
            code = reply.get("code") if reply.get("type") == "error" else reply.get("type")
            known = code in ERROR_CODES or code == "state"
            outcomes[code if known else f"other: {code}"] += 1
    return outcomes, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="frames, and bodies")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    frames = [fuzzed(rng) for _ in range(args.count)]
    bodies = [fuzzed(rng) for _ in range(args.count)]
    states = [json.dumps({"type": "state"})] * args.count
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as scratch, production_backend(run) as backend:
        env = server_env(Path(scratch), backend)
        # No valid guess is sent: the scorer need not be loaded before the server answers.
        env.update(
            SIXFOLD_MESSAGE_RATE="1000000/10", DJANGO_LOG_LEVEL="INFO", SIXFOLD_WARM_SCORER="0"
        )
        numbers = seed(env)
        manage(env, "collectstatic", "--noinput", "-v", "0")
        server = Server(env, Path(scratch) / "server.log")
        try:
            sockets, socket_seconds = asyncio.run(over_socket(server, numbers[0], frames))
            baseline, baseline_seconds = asyncio.run(over_socket(server, numbers[0], states))
            http_codes, http_seconds = over_http(server, numbers[0], bodies)
        finally:
            server.stop()
        errors = server.errors()
        stored = stored_guesses(env)
    print(
        f"\n{args.count:,} fuzzed frames and {args.count:,} fuzzed bodies, Daphne, {backend.name}"
    )
    print(f"{'path':28} {'answers':>8} {'ms each':>8} {'× state':>8}  codes")
    base = baseline_seconds / args.count * 1000
    for name, outcomes, seconds in (
        ("socket, valid state requests", baseline, baseline_seconds),
        ("socket, fuzzed frames", sockets, socket_seconds),
        ("HTTP, fuzzed bodies", http_codes, http_seconds),
    ):
        each = seconds / max(sum(outcomes.values()), 1) * 1000
        codes = ", ".join(f"{code} {n}" for code, n in outcomes.most_common())
        print(f"{name:28} {sum(outcomes.values()):8,} {each:8.2f} {each / base:8.2f}  {codes}")
    bad = sum(n for code, n in {**sockets, **http_codes}.items() if code not in ERROR_CODES)
    print(f"answers without a documented code (5xx, closes, others): {bad}")
    print(f"ERROR or traceback lines in the server log: {len(errors)}")
    for line in errors[:5]:
        print("   ", line[:160])
    print(f"guesses stored: {stored}")
    print("goal: every answer a documented code, no 5xx, no close, no ERROR line, nothing stored")


if __name__ == "__main__":
    main()
