from __future__ import annotations

import pytest

from game.share import share_text

WIN_ROWS = [
    ["absent", "given", "near", "absent"],
    ["exact", "given", "present", "absent"],
    ["exact", "given", "exact", "exact"],
]


def test_it_writes_the_wordle_style_share_text_of_a_win() -> None:
    # The squares of the page's guess rows: the function words shown from the start have none,
    # and a win needs no "Closest" line.
    text = share_text(12, True, WIN_ROWS, 100.0, "https://example.org/p/12/")
    assert text == "Sixfold #12 3/6\n\n⬛🟧⬛\n🟩🟨⬛\n🟩🟩🟩\nhttps://example.org/p/12/"


def test_it_writes_x_on_a_loss_with_the_best_similarity() -> None:
    rows = [["absent", "absent"]] * 6
    text = share_text(3, False, rows, 61.4, "https://example.org/p/3/")
    assert text.splitlines()[0] == "Sixfold #3 X/6"
    assert len(text.splitlines()) == 2 + 6 + 2
    assert "Closest: 61%" in text


def test_a_lost_game_never_claims_100_percent() -> None:
    # Only the answer scores 100; a guess at 99.9 was close, not a solve.
    text = share_text(3, False, [["absent"]] * 6, 99.9, "u")
    assert "Closest: 99%" in text


def test_it_has_a_high_contrast_variant() -> None:
    text = share_text(1, True, WIN_ROWS, 100, "u", palette="high-contrast")
    assert "⬛🟪⬛\n🟧🟦⬛\n🟧🟧🟧" in text
    with pytest.raises(ValueError, match="palette"):
        share_text(1, True, WIN_ROWS, 100, "u", palette="neon")  # type: ignore[arg-type]
