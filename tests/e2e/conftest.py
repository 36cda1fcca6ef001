"""Browser tests: Playwright drives Debian's Chromium against a live uvicorn server.

One server (with its own seeded SQLite database) serves the whole session; every test gets a
fresh browser context, so it plays as a new anonymous player. Screenshots go to
test-artifacts/e2e/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import LiveSite, new_site

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here and "two_servers" not in item.name:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    live = new_site(tmp_path_factory.mktemp("e2e"))
    live.start_server()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    # Module scope: Playwright's sync API holds an event loop in this thread while it runs,
    # which async tests run after it must not find.
    if not CHROMIUM.exists():
        pytest.skip(f"SKIPPED, the browser tests need Debian's Chromium at {CHROMIUM}")
    # Playwright's sync API refuses to run while an asyncio loop is current in this thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any, site: LiveSite) -> Iterator[Callable[..., Any]]:
    contexts = []

    def make(width: int = 360, height: int = 780, **options: Any) -> Any:
        context = chromium.new_context(
            viewport={"width": width, "height": height},
            base_url=site.servers[0].url,
            **options,
        )
        context.set_default_timeout(90_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: pytest.fail(f"JavaScript error: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    def take(page: Any, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.wait_for_function(
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
        )
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take
