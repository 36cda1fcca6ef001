"""Two ASGI server processes sharing Redis (channel layer and cache) and one database: a solve
on one server updates the live count that players on the other server see."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from live_server import new_site
from websockets.asyncio.client import connect

pytestmark = [pytest.mark.redis, pytest.mark.slow]


def session_cookie(base_url: str) -> str:
    """Opens the page like a browser would, and returns the session cookie it got."""
    jar = CookieJar()
    build_opener(HTTPCookieProcessor(jar)).open(base_url + "/").read()
    return next(f"sessionid={c.value}" for c in jar if c.name == "sessionid")


async def frames_until(socket: Any, wanted: Any, timeout: float = 90) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if wanted(frame):
                return frame


def test_a_solve_on_one_server_updates_the_count_on_the_other(tmp_path: Path) -> None:
    # Run in a thread of its own: a browser test's Playwright may own this thread's event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, solve_and_watch(tmp_path)).result()


async def solve_and_watch(tmp_path: Path) -> None:
    site = await asyncio.to_thread(new_site, tmp_path)
    try:
        first, second = await asyncio.gather(
            asyncio.to_thread(site.start_server), asyncio.to_thread(site.start_server)
        )
        number = site.numbers[0]
        solver_cookie = await asyncio.to_thread(session_cookie, first.url)
        watcher_cookie = await asyncio.to_thread(session_cookie, second.url)

        def ws(server_url: str) -> str:
            return server_url.replace("http://", "ws://") + f"/ws/play/{number}/"

        async with (
            connect(
                ws(second.url), origin=second.url, additional_headers={"Cookie": watcher_cookie}
            ) as watcher,
            connect(
                ws(first.url), origin=first.url, additional_headers={"Cookie": solver_cookie}
            ) as solver,
        ):
            start = await frames_until(watcher, lambda f: f["type"] == "counts")
            assert (start["players"], start["solvers"]) == (0, 0)
            await frames_until(solver, lambda f: f["type"] == "counts")
            await solver.send(
                json.dumps({"type": "guess", "id": str(uuid.uuid4()), "text": site.answers[0]})
            )
            won = await frames_until(solver, lambda f: f["type"] == "state")
            assert won["state"]["status"] == "won"
            # Waits for the solve to arrive (a count of players alone may come first).
            seen = await frames_until(watcher, lambda f: f["type"] == "counts" and f["solvers"])
            assert (seen["players"], seen["solvers"]) == (1, 1)
    finally:
        site.stop()
