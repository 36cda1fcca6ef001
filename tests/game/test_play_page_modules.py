"""The play page's transport (game/static/game/play/transport.js) under Node's test runner:
reconnect back-off, HTTP fallback, retry after a refusal, the final close codes.

The page as a whole is played in Chromium by tests/e2e/test_play_in_a_browser.py.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.node
def test_the_transport_state_machine_passes_its_node_tests() -> None:
    node = shutil.which("node")
    assert node is not None  # the `node` marker skips (or fails in CI) without it
    result = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
