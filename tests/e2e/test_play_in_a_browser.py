"""A player in Chromium: win, lose, reload mid-game, play an archived puzzle, copy the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from live_server import LiveSite
from playwright.sync_api import expect

from game.scoring.words import tokens

MISSES = [
    "a red bus",
    "green apples",
    "a city at night",
    "a cat on a chair",
    "snowy mountains",
    "a plate of pasta",
]


def tab_to(page: Any, element_id: str) -> None:
    """Reaches an element with the Tab key alone, as a keyboard user would."""
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def fits_the_width(page: Any) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling on a 360 px phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def guess(page: Any, text: str) -> None:
    """Types a guess and presses Enter, then waits for the server's answer to be drawn."""
    before = page.locator("#guesses > li").count()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#guesses > li').length > {before}"
        " || (document.querySelector('#announce').textContent || '').length > 0"
        " && !document.querySelector('#guess-button').disabled"
    )
    page.wait_for_function("!document.querySelector('#guess-button').disabled")


def test_win_a_game(new_page: Callable[..., Any], site: LiveSite, screenshot: Any) -> None:
    page = new_page()
    page.goto("/")
    assert page.locator("#thumbs img").count() == 1
    assert page.locator("#viewer-img").get_attribute("alt") == "Picture 1 of 6"
    # The model draws pixel art: enlarged, every drawn pixel stays a sharp square.
    for selector in ("#viewer-img", "#thumbs img"):
        rendering = page.locator(selector).first.evaluate("e => getComputedStyle(e).imageRendering")
        assert rendering == "pixelated", selector
    screenshot(page, "start")
    tab_to(page, "guess-input")
    guess(page, "two penguins near a boat")
    assert page.locator("#thumbs img").count() == 2
    assert page.locator(".tile.found").all_inner_texts() == ["two", "penguins"]
    # The live region is cleared, then filled 30 ms later (so screen readers repeat it): wait.
    expect(page.locator("#announce")).to_contain_text("Guess 1")
    screenshot(page, "one-miss")
    guess(page, site.answers[0])
    page.locator("#result").wait_for()
    assert "Solved in 2 guesses" in page.locator("#result-title").inner_text()
    assert page.locator("#thumbs img").count() == 6
    share = page.locator("#share-text").inner_text()
    assert share.startswith(f"Sixfold #{site.numbers[0]} 2/6")
    assert share.rstrip().endswith(f"/p/{site.numbers[0]}/")
    assert fits_the_width(page)
    screenshot(page, "won")

    page.get_by_role("link", name="Your stats").click()
    figures = dict(
        zip(
            page.locator(".stat-grid dt").all_inner_texts(),
            page.locator(".stat-grid dd").all_inner_texts(),
            strict=True,
        )
    )
    assert figures == {"Played": "1", "Win %": "100", "Current streak": "1", "Best streak": "1"}
    assert fits_the_width(page)
    screenshot(page, "stats")
    page.goto("/how-to-play/")
    assert fits_the_width(page)
    screenshot(page, "how-to-play")


def test_lose_a_game(new_page: Callable[..., Any], site: LiveSite, screenshot: Any) -> None:
    page = new_page(color_scheme="dark")
    page.goto("/")
    page.locator("#guess-input").focus()
    for text in MISSES:
        guess(page, text)
    page.locator("#result").wait_for()
    assert page.locator("#result-title").inner_text() == "Not this time"
    assert page.locator("#result-answer").inner_text() == site.answers[0]
    assert page.locator("#share-text").inner_text().startswith(f"Sixfold #{site.numbers[0]} X/6")
    assert page.locator("#guess-form").is_hidden()
    # A keyboard player who left focus alone lands on the result once the reveal is over.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'result'")
    assert page.locator(".tile.missed").count() == 6
    screenshot(page, "lost-dark")


def test_reload_mid_game(new_page: Callable[..., Any], site: LiveSite, screenshot: Any) -> None:
    page = new_page()
    page.goto("/")
    page.locator("#guess-input").focus()
    guess(page, "a penguin")
    guess(page, "a red bus")
    page.reload()
    assert page.locator("#guesses > li").count() == 2
    assert page.locator("#thumbs img").count() == 3
    assert page.locator(".tile.found").all_inner_texts() == ["penguins"]
    # A second tab of the same player is in the same place, and follows the first one.
    other = page.context.new_page()
    other.goto("/")
    assert other.locator("#guesses > li").count() == 2
    page.locator("#guess-input").focus()
    guess(page, "a sailboat")
    other.wait_for_function("document.querySelectorAll('#guesses > li').length === 3")
    screenshot(page, "after-reload")


def test_play_an_archived_puzzle(
    new_page: Callable[..., Any], site: LiveSite, screenshot: Any
) -> None:
    page = new_page(width=1280, height=900)
    page.goto("/archive/")
    yesterday = site.numbers[1]
    page.get_by_role("link", name=f"#{yesterday}").click()
    page.wait_for_url(f"**/p/{yesterday}/")
    assert "Archive" in page.locator(".game-date").inner_text()
    page.locator("#guess-input").focus()
    guess(page, "a giraffe in the sand")
    guess(page, site.answers[1])
    page.locator("#result").wait_for()
    assert page.locator("#result-answer").inner_text() == site.answers[1]
    screenshot(page, "desktop-won")
    page.goto("/archive/")
    assert "Solved in 2" in page.locator(f"a[href='/p/{yesterday}/']").inner_text()
    screenshot(page, "archive")


def test_copy_the_share_text(new_page: Callable[..., Any], site: LiveSite, screenshot: Any) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"/p/{site.numbers[2]}/")
    page.locator("#guess-input").focus()
    guess(page, site.answers[2])
    page.locator("#copy-button").click()
    page.wait_for_function("document.querySelector('#copy-button').classList.contains('done')")
    # The result panel takes focus 0.9 s after the end only if the player has not moved it.
    page.wait_for_timeout(1200)
    assert page.evaluate("document.activeElement.id") == "copy-button"
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#share-text").inner_text()
    assert copied.splitlines()[0] == f"Sixfold #{site.numbers[2]} 1/6"
    # One square per answer word to find, as on the page (function words have none).
    row = "".join("🟩" for t in tokens(site.answers[2]) if not t.is_function_word)
    assert copied.splitlines()[2] == row
    screenshot(page, "copied")

    # High contrast, chosen with the keyboard in the settings dialog, changes the squares.
    tab_to_settings = page.locator("[data-open-settings]")
    tab_to_settings.focus()
    page.keyboard.press("Enter")
    page.get_by_label("High contrast", exact=False).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    assert page.evaluate("document.documentElement.dataset.contrast") == "high"
    assert page.locator("#share-text").inner_text().splitlines()[2] == row.replace("🟩", "🟧")
    assert fits_the_width(page)
    screenshot(page, "high-contrast")


def test_the_colours_follow_the_system_unless_the_player_picks_a_theme(
    new_page: Callable[..., Any], site: LiveSite
) -> None:
    light_page, dark_page = "rgb(246, 244, 239)", "rgb(18, 19, 26)"

    def background(page: Any) -> str:
        return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))

    for system, picked, expected in (
        ("dark", None, dark_page),
        ("light", None, light_page),
        ("dark", "light", light_page),
        ("light", "dark", dark_page),
    ):
        page = new_page(color_scheme=system)
        page.goto("/")
        if picked:
            page.evaluate(f"localStorage.setItem('sixfold.theme', '{picked}')")
            page.reload()
        assert background(page) == expected, (system, picked)
        page.close()
