from __future__ import annotations

import pytest

from game.validation import MAX_GUESS_CHARS, GuessRejected, clean_guess, same_guess


def test_it_normalises_unicode_and_spaces() -> None:
    # NFKC turns the full-width letters and the ligature into plain ones.
    assert clean_guess("  ｔｗｏ   penguins\n\ton a ﬁeld ") == "two penguins on a field"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   \n ", "empty"),
        ("a" * (MAX_GUESS_CHARS + 1), "too_long"),
        ("dog\u0000cat", "control_character"),
        ("dog\u200bcat", "control_character"),  # zero-width space
        ("evil\u202eknow", "control_character"),  # right-to-left override
        ("!!! ???", "no_words"),
        (" ".join(["dog"] * 21), "too_many_words"),
        ("a " + "x" * 41, "word_too_long"),
        (42, "not_text"),
    ],
)
def test_it_rejects_bad_guesses_with_a_clear_message(raw: object, code: str) -> None:
    with pytest.raises(GuessRejected) as caught:
        clean_guess(raw)
    assert caught.value.code == code
    assert caught.value.message.endswith((".", "it."))


def test_it_knows_a_guess_repeated_with_other_case_or_plurals() -> None:
    assert same_guess("Two penguins!", "two penguin")
    assert not same_guess("two penguins", "penguins two")
