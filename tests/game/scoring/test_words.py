from __future__ import annotations

import pytest

from game.scoring.words import contrasting, on_other_scales, singular, tokens, word_key


@pytest.mark.parametrize(
    ("plural", "single"),
    [
        ("penguins", "penguin"),
        ("puppies", "puppy"),
        ("boxes", "box"),
        ("beaches", "beach"),
        ("glasses", "glasses"),
        ("mice", "mouse"),
        ("sheep", "sheep"),
        ("fish", "fish"),
        ("cacti", "cactus"),
        ("dice", "die"),
        ("geese", "goose"),
        ("children", "child"),
        ("people", "person"),
        ("leaves", "leaf"),
        ("wolves", "wolf"),
        ("knives", "knife"),
        ("bus", "bus"),
        ("octopus", "octopus"),
        ("cookies", "cookie"),
        ("tomatoes", "tomato"),
        ("grass", "grass"),
        ("buses", "bus"),
        ("walruses", "walrus"),
        ("houses", "house"),
        ("bookshelves", "bookshelf"),  # an irregular plural ending a compound
        ("grandchildren", "grandchild"),
        ("olives", "olive"),  # not "olife": short irregulars never end a compound
        ("waves", "wave"),
        ("cosmos", "cosmos"),
    ],
)
def test_it_reduces_plurals_to_the_singular(plural: str, single: str) -> None:
    assert singular(plural) == single


def test_it_ignores_case_punctuation_accents_and_plurals_in_keys() -> None:
    assert word_key("Penguins,") == word_key("penguin")
    assert word_key("CAFÉ") == word_key("cafe")
    assert word_key("dog's") == "dog"
    assert word_key("!!!") == ""


def test_it_splits_prompts_into_words_keeping_the_written_form() -> None:
    words = tokens("Two small penguins, to the left of a sail-boat!")
    assert [t.text for t in words] == [
        "Two",
        "small",
        "penguins",
        "to",
        "the",
        "left",
        "of",
        "a",
        "sail-boat",
    ]
    assert [t.is_function_word for t in words] == [
        False,
        False,
        False,
        True,
        True,
        False,
        True,
        True,
        False,
    ]


def test_it_keeps_rival_values_apart_but_not_synonyms() -> None:
    assert contrasting("two", "three")
    assert contrasting("red", "blue")
    assert contrasting("left", "right")
    assert not contrasting("big", "large")
    assert not contrasting("dog", "puppy")


def test_it_reads_a_count_typed_as_digits_as_the_same_word() -> None:
    assert word_key("3") == word_key("three")
    assert word_key("2") == "two"
    assert word_key("1999") == "1999"  # no word to spell: the digits are the word


def test_values_of_different_attributes_are_on_other_scales() -> None:
    assert on_other_scales("red", "three") and on_other_scales("big", "wooden")
    assert not on_other_scales("red", "green")  # rivals on one scale
    assert not on_other_scales("red", "apple")  # an apple is no value
