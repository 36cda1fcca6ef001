"""Roles of the words of a prompt (game.scoring.roles): pure, no model."""

from __future__ import annotations

from game.scoring.roles import MAIN, RELATION, SECOND, SETTING, parse


def roles_of(text: str, guess: bool = False) -> dict[str, set[str]]:
    found = parse(text, guess=guess)
    return {t.text: set(r) for t, r in zip(found.tokens, found.roles, strict=True) if r}


def heads_of(text: str) -> list[str]:
    found = parse(text)
    return [
        t.text
        for t, r, a in zip(found.tokens, found.roles, found.attribute, strict=True)
        if r and not a and r != {RELATION}
    ]


def test_it_reads_the_roles_of_a_grammar_caption() -> None:
    assert roles_of("two small penguins to the left of a sailboat on a beach") == {
        "two": {MAIN},
        "small": {MAIN},
        "penguins": {MAIN},
        "left": {RELATION},
        "sailboat": {SECOND},
        "beach": {SETTING},
    }
    assert roles_of("an owl above a crescent moon under a night sky")["sky"] == {SETTING}
    assert roles_of("an owl above a crescent moon under a night sky")["moon"] == {SECOND}
    assert roles_of("a small fish underwater")["underwater"] == {SETTING}


def test_it_reads_the_roles_of_free_text() -> None:
    roles = roles_of("a dog chasing a ball in the park")
    assert roles == {"dog": {MAIN}, "chasing": {RELATION}, "ball": {SECOND}, "park": {SETTING}}
    assert roles_of("a tent in the snow") == {"tent": {MAIN}, "snow": {SETTING}}
    assert roles_of("a hot cup of coffee on a cold morning")["morning"] == {SETTING}


def test_it_keeps_attributes_with_their_thing() -> None:
    assert heads_of("a big owl next to a small tree") == ["owl", "tree"]
    assert heads_of("a house made of wood") == ["house"]  # wood describes the house
    assert heads_of("a wall of bricks") == ["wall"]
    assert heads_of("a pair of little penguins") == ["penguins"]  # pair counts them
    assert heads_of("a sailing boat") == ["boat"]
    assert roles_of("a mountain covered in snow at sunrise")["snow"] == {MAIN}


def test_a_guess_leaves_open_what_it_does_not_say() -> None:
    assert roles_of("snow", guess=True)["snow"] == {MAIN, SECOND, SETTING}
    assert roles_of("an owl under a tree", guess=True)["tree"] == {SECOND, SETTING}
    assert roles_of("an owl under a tree")["tree"] == {SECOND}
    assert roles_of("an owl under a night sky", guess=True)["sky"] == {SETTING}
    assert roles_of("a ball chasing a dog", guess=True)["ball"] == {MAIN}
    # After a relation, the first thing named is not the main object.
    assert roles_of("left of a sailboat on the beach", guess=True)["sailboat"] == {SECOND, SETTING}
    assert roles_of("next to a dog")["dog"] == {SECOND}


def test_an_adjective_said_after_its_thing_says_what_the_thing_does() -> None:
    # "asleep" is the infant sleeping, as "sleeping" would be, not a kind of infant.
    assert roles_of("an infant asleep in a cot") == {
        "infant": {MAIN},
        "asleep": {RELATION},
        "cot": {SECOND},
    }
    assert heads_of("an infant asleep in a cot") == ["infant", "cot"]


def test_a_one_word_setting_said_in_a_phrase_is_the_setting() -> None:
    # "under the sea" says "underwater": the setting, not a second thing under which the fish is.
    assert roles_of("a fish under the sea")["sea"] == {SETTING}
    assert roles_of("a fish under a table")["table"] == {SECOND}
