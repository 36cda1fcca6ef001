"""Word relations from WordNet (Debian's wordnet-base), and the scorer without it."""

from __future__ import annotations

import logging

import pytest

from game.scoring import lexicon
from game.scoring.lexicon import NEAR_RELATIONS, Lexicon, Relation, get_lexicon, spelling_variants


@pytest.fixture(scope="module")
def words() -> Lexicon:
    found = get_lexicon()
    assert found is not None, "WordNet is installed but could not be read"
    return found


@pytest.mark.wordnet
@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        ("teepee", "tent", Relation.KIND),  # a teepee is a tent
        ("shelter", "tent", Relation.KIND),  # ...and a tent is a shelter
        ("puppy", "dog", Relation.KIND),
        ("dog", "puppy", Relation.KIND),
        ("kitten", "cat", Relation.KIND),  # WordNet's gloss: "young domestic cat"
        ("owl", "bird", Relation.KIND),
        ("couch", "sofa", Relation.SAME),
        ("automobile", "car", Relation.SAME),
        ("trio", "three", Relation.SAME),
        ("tiny", "small", Relation.SAME),
        ("wooden", "wood", Relation.SAME),  # an attribute said as its material
        ("sandy", "sand", Relation.SAME),  # ...from a leading sense (the first is "flaxen")
        ("golden", "gold", Relation.SAME),
        ("meadow", "field", Relation.KIND),  # its gloss: "a field where grass ... grown"
        ("pond", "lake", Relation.KIND),  # one step below lake, though lake is not deep
        ("sea", "water", Relation.KIND),  # a sea is a body of water
        ("colour", "color", Relation.SAME),
        ("aeroplane", "airplane", Relation.SAME),
        ("cat", "dog", Relation.SIBLING),
        ("eagle", "owl", Relation.SIBLING),
        ("wing", "bird", Relation.PART),
        ("red", "blue", Relation.RIVAL),
        ("two", "three", Relation.RIVAL),
        ("left", "right", Relation.RIVAL),
        ("big", "small", Relation.RIVAL),
        ("king", "queen", Relation.RIVAL),  # WordNet's antonyms
    ],
)
def test_it_relates_words_as_wordnet_does(
    words: Lexicon, a: str, b: str, relation: Relation
) -> None:
    assert words.relation(a, b) is relation


@pytest.mark.wordnet
def test_it_never_calls_siblings_rivals_or_parts_near(words: Lexicon) -> None:
    for a, b in [("cat", "dog"), ("red", "blue"), ("two", "three"), ("wing", "bird")]:
        assert words.relation(a, b) not in NEAR_RELATIONS


@pytest.mark.wordnet
def test_it_ignores_rare_senses_and_too_general_words(words: Lexicon) -> None:
    # "cat" is also slang for a man and "dog" a verb meaning "chase": no player means those.
    assert words.relation("cat", "man") is Relation.OTHER
    assert words.relation("dog", "chase") is Relation.OTHER
    # A forest is made of trees, not a kind of tree; an artifact is too vague to be near.
    assert words.relation("forest", "tree") not in NEAR_RELATIONS
    assert words.relation("artifact", "tent") not in NEAR_RELATIONS
    # A gloss's genus is a noun: "left: location near or direction toward the left side".
    assert words.relation("left", "near") not in NEAR_RELATIONS


@pytest.mark.wordnet
def test_it_knows_words_and_admits_what_it_does_not(words: Lexicon) -> None:
    assert words.knows("penguin")
    assert not words.knows("zxqv")
    assert words.relation("zxqv", "penguin") is Relation.UNKNOWN


def test_it_matches_british_and_american_spellings_without_wordnet() -> None:
    assert spelling_variants("colour", "color")
    assert spelling_variants("theatre", "theater")
    assert spelling_variants("realise", "realize")
    assert spelling_variants("harbour", "harbor")
    assert not spelling_variants("cat", "car")
    assert not spelling_variants("four", "for")
    assert not spelling_variants("hour", "hor")


def test_it_warns_once_and_returns_none_without_wordnet(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(lexicon, "_lexicon", None)
    monkeypatch.setattr(lexicon, "_loaded", False)
    with caplog.at_level(logging.WARNING, logger="game.scoring.lexicon"):
        assert get_lexicon(tmp_path) is None
        assert get_lexicon(tmp_path) is None
    warnings = [r for r in caplog.records if "WordNet is not available" in r.getMessage()]
    assert len(warnings) == 1
    assert "wordnet-base" in warnings[0].getMessage()
    assert lexicon.wordnet_missing(tmp_path) is not None


@pytest.mark.wordnet
def test_it_takes_only_nouns_from_an_adjective_gloss_as_its_material(words: Lexicon) -> None:
    # wooden: "made or consisting of (entirely or in part) or employing wood"
    assert words.relation("wooden", "made") is not Relation.SAME
    assert words.relation("golden", "made") is not Relation.SAME
    assert words.relation("small", "below") is not Relation.SAME


@pytest.mark.wordnet
def test_it_tells_whether_two_words_name_things_of_one_domain(words: Lexicon) -> None:
    assert words.same_domain("sea", "ocean")  # noun.object
    assert words.same_domain("boat", "sailboat")  # noun.artifact
    assert not words.same_domain("snow", "winter")  # noun.phenomenon, noun.time
    assert not words.same_domain("snowy", "winter")  # no noun sense
    assert not words.same_domain("zxqv", "sea")


@pytest.mark.wordnet
def test_it_finds_kinds_of_a_words_leading_but_rare_sense(words: Lexicon) -> None:
    # "kid" is first a child (child.n.02 among its leading senses), and a boy is a son.
    assert words.relation("boy", "kid") is Relation.SIBLING
    assert words.leading_kind("boy", "kid") and words.leading_kind("kid", "boy")
    assert not words.leading_kind("cat", "dog")


@pytest.mark.wordnet
def test_a_one_step_kind_of_counts_only_below_concrete_words(words: Lexicon) -> None:
    # A pond's direct hypernym is lake (depth 4); an object's is whole, a top category.
    assert words.relation("pond", "lake") is Relation.KIND
    assert words.relation("lake", "object") not in NEAR_RELATIONS
    assert words.relation("tent", "artifact") not in NEAR_RELATIONS


@pytest.mark.wordnet
def test_it_finds_places_by_what_their_entries_name(words: Lexicon) -> None:
    # A beach is sand "sloping down to the water", a forest's trees, a kitchen's stove: said
    # for a place, they name it; a desert is not snow, a library not a train.
    for place, thing in [("beach", "sand"), ("forest", "tree"), ("kitchen", "stove")]:
        assert words.associated(place, thing)
        assert words.associated(thing, place)
    for a, b in [("desert", "snow"), ("library", "train"), ("hook", "head")]:
        assert not words.associated(a, b)


@pytest.mark.wordnet
def test_a_rare_sense_that_is_a_kind_of_the_others_common_one_is_leading(words: Lexicon) -> None:
    # A novel is first a work of fiction, and also "a printed and bound book".
    assert words.leading_kind("novel", "book") and words.leading_kind("book", "novel")
    assert not words.leading_kind("novel", "newspaper")


@pytest.mark.wordnet
def test_it_derives_an_action_from_its_thing_and_the_thing_from_its_action(
    words: Lexicon,
) -> None:
    for thing, action in [
        ("bicycle", "cycling"),
        ("fisherman", "fishing"),
        ("ski", "skiing"),
        ("swimmer", "swimming"),
        ("painter", "painting"),
    ]:
        assert words.derives(thing, action) and words.derives(action, thing)
    # "dog" is also a verb for chasing, and "reading" also a meter's record: other lemmas.
    for thing, action in [("dog", "chasing"), ("book", "reading"), ("horse", "riding")]:
        assert not words.derives(thing, action)


@pytest.mark.wordnet
def test_it_knows_what_a_things_definition_says_of_it(words: Lexicon) -> None:
    assert words.implies("girl", "young") and words.implies("kitten", "young")
    assert not words.implies("girl", "small") and not words.implies("dog", "young")
    # Only what the definition says the thing is: a dog is "a member of the genus Canis", and
    # "(probably descended from the common wolf) that has been domesticated by man" is about it.
    assert not words.implies("dog", "wolf") and not words.implies("dog", "man")
    assert words.implies("wooden", "wood")  # "made or consisting of (entirely or in part) wood"


@pytest.mark.wordnet
def test_it_reads_a_verb_and_its_particle_as_one_verb(words: Lexicon) -> None:
    assert words.phrasal("sitting", "down") == "sit_down"
    # WordNet has no "run after", but running is a way to go, and "go after" is chasing.
    assert words.phrasal("running", "after") == "go_after"
    assert words.relation("chasing", "go_after") is Relation.SAME
    assert words.phrasal("running", "xyz") is None
