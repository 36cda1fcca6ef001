"""Real ASGI server processes for the browser and two-server tests.

A `LiveSite` is a fresh SQLite database (migrated and seeded by subprocesses) and a media folder;
`LiveSite.start_server()` runs uvicorn on a free port against them and waits until the site and
its scorer answer. Several servers of one site share the database (and Redis, when REDIS_URL is
set): that is how the two-server test runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class LiveSite:
    directory: Path
    numbers: list[int] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    servers: list[LiveServer] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="e2e_settings",
            PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]),
            DATABASE_URL=f"sqlite:///{self.directory / 'site.sqlite3'}",
            SIXFOLD_VAR_DIR=str(self.directory / "var"),
            SIXFOLD_E2E_MEDIA=str(self.directory / "media"),
            SIXFOLD_E2E_PREFIX=f"sixfold-e2e-{self.directory.name}",
            SIXFOLD_WARM_SCORER="1",
            HF_HUB_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
        )
        return env

    def prepare(self) -> None:
        env = self.env()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True
        )
        seeded = subprocess.run(
            [sys.executable, str(HERE / "seed.py")],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        facts = json.loads(seeded.stdout.strip().splitlines()[-1])
        self.numbers, self.answers = facts["numbers"], facts["answers"]

    def start_server(self, timeout: float = 180.0) -> LiveServer:
        port = free_port()
        log = self.directory / f"server-{port}.log"
        process = subprocess.Popen(
            [
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
            ],
            cwd=REPO,
            env=self.env(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        server = LiveServer(f"http://127.0.0.1:{port}", process, log)
        self.servers.append(server)
        _wait_until_up(server, timeout)
        return server

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _wait_until_up(server: LiveServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + "/how-to-play/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(
        f"the server did not answer in {timeout} s:\n{server.log.read_text()[-3000:]}"
    )


def new_site(base: Path) -> LiveSite:
    site = LiveSite(base / f"site-{uuid.uuid4().hex[:8]}")
    site.directory.mkdir(parents=True)
    site.prepare()
    return site
