"""How well scores and marks follow meaning (issue 11), and what a guess costs to score.

Prints, for one half of the evaluation set in game/scoring/evaluation/cases.py (the test half
unless told otherwise), the share of (answer, better, worse) triples ordered right and of word
marks right, per kind, for:
    cosine    the raw sentence cosine of all-MiniLM-L6-v2 (marks: a word cosine >= 0.76 is near)
    tuned     the raw sentence cosine of the same model with the tuned layers (game.scoring.tuning)
    old       the scorer as it was (game.scoring.baseline)
    new       the scorer (game.scoring: roles, WordNet relations, the tuned sentence cosine)
then the cost per guess of the old and the new scorer, batched as the server batches them.

    .venv/bin/python benchmarks/scoring_eval.py              # the test half
    .venv/bin/python benchmarks/scoring_eval.py --half dev   # the half the constants were tuned on
    .venv/bin/python benchmarks/scoring_eval.py --failures   # also list what the new scorer misses
    .venv/bin/python benchmarks/scoring_eval.py --tune       # the grid the constants came from
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from game.scoring import alignment, baseline, marking, roles  # noqa: E402
from game.scoring import scorer as scorer_module  # noqa: E402
from game.scoring.embedder import Embedder  # noqa: E402
from game.scoring.evaluation.cases import (  # noqa: E402
    DEV_MARKS,
    DEV_TRIPLES,
    TEST_MARKS,
    TEST_TRIPLES,
    MarkCase,
    Triple,
)
from game.scoring.evaluation.late_triples import WRITTEN_AFTER, WRITTEN_BEFORE  # noqa: E402
from game.scoring.evaluation.paraphrases import DEV as LEGACY_DEV  # noqa: E402
from game.scoring.evaluation.paraphrases import HELD_OUT as LEGACY_HELD_OUT  # noqa: E402
from game.scoring.lexicon import Lexicon, Relation, get_lexicon  # noqa: E402
from game.scoring.words import tokens  # noqa: E402

Vectors = dict[str, np.ndarray]


def embed_all(
    scorer: scorer_module.Scorer, texts: Sequence[str]
) -> tuple[Vectors, Vectors, Vectors]:
    """Texts by the scorer's sentence model, texts by its packaged model, and words."""
    words = sorted({t.key for text in texts for t in tokens(text) if not t.is_function_word})
    unique = sorted(set(texts))

    def vectors(embedder: Embedder, keys: list[str]) -> Vectors:
        return dict(zip(keys, embedder.encode(keys), strict=True))

    plain = vectors(scorer.embedder, unique)
    same = scorer.sentence_embedder is scorer.embedder
    tuned = plain if same else vectors(scorer.sentence_embedder, unique)
    return tuned, plain, vectors(scorer.embedder, words)


class Measures:
    """The ways of scoring, on vectors computed once: `texts` by the scorer's sentence model
    (tuned, see game.scoring.tuning), `plain_texts` by the packaged model as it is."""

    def __init__(
        self, scorer: scorer_module.Scorer, texts: Vectors, plain_texts: Vectors, words: Vectors
    ) -> None:
        self.scorer, self.texts, self.plain_texts, self.words = scorer, texts, plain_texts, words

    def cosine(self, a: str, b: str) -> float:
        return float(self.texts[a] @ self.texts[b])

    def plain_cosine(self, a: str, b: str) -> float:
        return float(self.plain_texts[a] @ self.plain_texts[b])

    def word_cosine(self, a: str, b: str) -> float:
        return float(self.words[a] @ self.words[b])

    def old(self, answer: str, guess: str) -> float:
        return baseline.baseline_similarity(
            answer, guess, self.plain_cosine(answer, guess), self.word_cosine
        )

    def new(self, answer: str, guess: str) -> marking.GuessScore:
        return marking.build_score(
            answer, guess, self.cosine(answer, guess), self.word_cosine, self.scorer.lexicon
        )


def triple_results(m: Measures, triples: Sequence[Triple]) -> dict[str, list[bool]]:
    right: dict[str, list[bool]] = {"cosine": [], "tuned": [], "old": [], "new": []}
    for t in triples:
        plain = m.plain_cosine(t.answer, t.better) > m.plain_cosine(t.answer, t.worse)
        right["cosine"].append(plain)
        right["tuned"].append(m.cosine(t.answer, t.better) > m.cosine(t.answer, t.worse))
        right["old"].append(m.old(t.answer, t.better) > m.old(t.answer, t.worse))
        right["new"].append(
            m.new(t.answer, t.better).similarity > m.new(t.answer, t.worse).similarity
        )
    return right


def _answer_index(case: MarkCase) -> tuple[int, int]:
    """(token position, content-word position) of the case's word in its answer."""
    content = 0
    for i, token in enumerate(tokens(case.answer)):
        if token.text.lower() == case.word:
            return i, content
        content += not token.is_function_word
    raise ValueError(f"{case.word!r} is not in {case.answer!r}")


def mark_results(m: Measures, cases: Sequence[MarkCase]) -> dict[str, list[bool]]:
    right: dict[str, list[bool]] = {"cosine": [], "old": [], "new": []}
    for case in cases:
        position, content = _answer_index(case)
        key = tokens(case.answer)[position].key
        guess_keys = [t.key for t in tokens(case.guess) if not t.is_function_word]
        # Raw cosine has no roles: the same word is exact, a word at 0.76 or more is near.
        if key in guess_keys:
            cosine_state = "exact"
        elif any(m.word_cosine(key, g) >= baseline.NEAR_THRESHOLD for g in guess_keys):
            cosine_state = "near"
        else:
            cosine_state = "absent"
        old_states = baseline.baseline_answer_states(case.answer, case.guess, m.word_cosine)
        new_state = m.new(case.answer, case.guess).marks[position].state
        right["cosine"].append(cosine_state == case.expected)
        right["old"].append(old_states[content] == case.expected)
        right["new"].append(new_state == case.expected)
    return right


def _share(values: Sequence[bool]) -> str:
    return f"{sum(values) / len(values):6.1%}" if values else "     -"


def print_table(title: str, groups: dict[str, list[int]], right: dict[str, list[bool]]) -> None:
    columns = [c for c in ("cosine", "tuned", "old", "new") if c in right]
    print(f"\n{title}")
    print(f"  {'kind':<22}{'n':>4}  " + "  ".join(f"{c:>7}" for c in columns))
    for name, members in groups.items():
        cells = "  ".join(_share([right[c][k] for k in members]) for c in columns)
        print(f"  {name:<22}{len(members):>4}  {cells}")


def grouped_triples(triples: Sequence[Triple]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for n, t in enumerate(triples):
        groups[t.kind].append(n)
        groups[f"  {t.kind} ({t.language})"].append(n)
    by_kind = {k: v for k, v in sorted(groups.items(), key=lambda kv: kv[0].strip())}
    return {**by_kind, "all triples": list(range(len(triples)))}


def grouped_marks(cases: Sequence[MarkCase]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for n, c in enumerate(cases):
        groups[f"{c.kind} -> {c.expected}"].append(n)
    return {**dict(sorted(groups.items())), "all word marks": list(range(len(cases)))}


def cost_per_guess(
    scorer: scorer_module.Scorer, pairs: Sequence[tuple[str, str]], batch: int, rounds: int = 3
) -> dict[str, float]:
    """Milliseconds per guess, every guess new to the caches (the answer's vectors primed),
    in batches of `batch`: raw cosine, the old scorer and the new one on the same embedder, in
    alternate rounds (the best round of each counts, so that another process's load spoils
    none). The old scorer embeds everything with the packaged model, the new one its sentences
    with the tuned model."""
    embedder = scorer.embedder

    def old_build(
        answer: str,
        guess: str,
        cosine: float,
        word_similarity: Callable[[str, str], float],
        _: object,
    ) -> float:
        return baseline.baseline_similarity(answer, guess, cosine, word_similarity)

    shared = get_lexicon()
    results: dict[str, float] = {}
    for _ in range(rounds):
        # Raw cosine: one embedding per guess text and a dot product, no words.
        start = time.perf_counter()
        for n in range(0, len(pairs), batch):
            embedder.encode([guess for _, guess in pairs[n : n + batch]])
        elapsed = 1000 * (time.perf_counter() - start) / len(pairs)
        results["cosine"] = min(results.get("cosine", elapsed), elapsed)
        for name, build in (
            ("old", old_build),
            ("new", marking.build_score),
            ("new, WordNet cache cold", marking.build_score),
        ):
            # The cold row relates every word pair afresh, as for words no guess used before.
            lexicon = Lexicon(shared.wn) if shared and name.endswith("cold") else shared
            sentences = None if name == "old" else scorer.sentence_embedder
            fresh = scorer_module.Scorer(embedder, lexicon=lexicon, sentence_embedder=sentences)
            for answer in {a for a, _ in pairs}:
                # As the game holds them from publication on (game.scoring_service).
                fresh.vector("t", answer)
                for word in {t.key for t in tokens(answer) if not t.is_function_word}:
                    fresh.vector("w", word)
            original = scorer_module.build_score
            scorer_module.build_score = build  # type: ignore[assignment]
            try:
                start = time.perf_counter()
                for n in range(0, len(pairs), batch):
                    fresh.score_many(pairs[n : n + batch])
                elapsed = 1000 * (time.perf_counter() - start) / len(pairs)
            finally:
                scorer_module.build_score = original
            results[name] = min(results.get(name, elapsed), elapsed)
    return results


# The grid searched on the dev half (and the dev half of game/scoring/evaluation/paraphrases.py,
# whose test must stay at 90%): each name maps to its values and how to set one.
GRID: dict[str, tuple[list[float], Callable[[float], None]]] = {
    "sentence weight": ([0.2, 0.3, 0.4, 0.5], lambda v: setattr(marking, "SENTENCE_WEIGHT", v)),
    "role penalty": ([0.3, 0.5, 0.7], lambda v: setattr(alignment, "ROLE_PENALTY", v)),
    "rival credit": ([-0.5, -1.0], lambda v: alignment.RELATION_CREDIT.update({Relation.RIVAL: v})),
    "kind credit": ([0.85, 1.0], lambda v: alignment.RELATION_CREDIT.update({Relation.KIND: v})),
    "setting weight": ([1.0, 1.5], lambda v: alignment.ROLE_WEIGHT.update({roles.SETTING: v})),
    "contradiction credit": (
        [0.0, -0.3, -0.6],
        lambda v: setattr(alignment, "CONTRADICTION_CREDIT", v),
    ),
}


def tune(m: Measures) -> None:
    """Prints the best settings of GRID on the dev half; the module's own come first."""
    legacy = [Triple("legacy", "-", *t) for t in LEGACY_DEV]
    rows = []
    for values in itertools.product(*(grid for grid, _ in GRID.values())):
        for value, (_, apply) in zip(values, GRID.values(), strict=True):
            apply(value)
        dev = sum(triple_results(m, DEV_TRIPLES)["new"])
        old = sum(triple_results(m, legacy)["new"])
        marks = sum(mark_results(m, DEV_MARKS)["new"])
        rows.append((dev + old / 2, dev, old, marks, values))
    rows.sort(key=lambda row: row[:4], reverse=True)
    print(f"\n{'dev':>4} {'legacy dev':>10} {'marks':>5}  " + ", ".join(GRID))
    for _, dev, old, marks, values in rows[:10]:
        print(f"{dev:>4} {old:>10} {marks:>5}  {values}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--half", choices=("test", "dev"), default="test")
    parser.add_argument("--failures", action="store_true", help="list the new scorer's misses")
    parser.add_argument("--batch", type=int, default=32, help="guesses per batch when timing")
    parser.add_argument("--tune", action="store_true", help="search GRID on the dev half")
    args = parser.parse_args()
    triples = TEST_TRIPLES if args.half == "test" else DEV_TRIPLES
    marks = TEST_MARKS if args.half == "test" else DEV_MARKS

    scorer = scorer_module.get_scorer()
    print(f"lexicon: {'WordNet' if scorer.lexicon else 'none (embedding only)'}")
    texts = [x for t in triples for x in (t.answer, t.better, t.worse)]
    texts += [x for c in marks for x in (c.answer, c.guess)]
    texts += [x for t in LEGACY_HELD_OUT + WRITTEN_BEFORE + WRITTEN_AFTER for x in t]
    if args.tune:
        texts += [x for t in DEV_TRIPLES for x in (t.answer, t.better, t.worse)]
        texts += [x for c in DEV_MARKS for x in (c.answer, c.guess)]
        texts += [x for t in LEGACY_DEV for x in t]
    m = Measures(scorer, *embed_all(scorer, texts))
    if args.tune:
        tune(m)
        return

    triple_right = triple_results(m, triples)
    mark_right = mark_results(m, marks)
    print(f"\n{args.half} half: {len(triples)} triples, {len(marks)} word-mark cases")
    print_table(
        "triples ordered right (better above worse)", grouped_triples(triples), triple_right
    )
    print_table("word marks right", grouped_marks(marks), mark_right)
    legacy = [(a, b, w) for a, b, w in LEGACY_HELD_OUT]
    legacy_right = triple_results(m, [Triple("legacy", "-", *t) for t in legacy])
    print_table(
        "game/scoring/evaluation/paraphrases.py, held-out half",
        {"legacy held-out": list(range(len(legacy)))},
        legacy_right,
    )
    late = [Triple("before", "-", *t) for t in WRITTEN_BEFORE]
    late += [Triple("after", "-", *t) for t in WRITTEN_AFTER]
    print_table(
        "game/scoring/evaluation/late_triples.py, written apart from the evaluation set",
        {
            "written before rules": list(range(len(WRITTEN_BEFORE))),
            "written after rules": list(range(len(WRITTEN_BEFORE), len(late))),
        },
        triple_results(m, late),
    )

    if args.failures:
        print("\nnew scorer misses:")
        for t, ok in zip(triples, triple_right["new"], strict=True):
            if not ok:
                b, w = m.new(t.answer, t.better), m.new(t.answer, t.worse)
                print(f"  [{t.kind}] {t.answer!r}:")
                print(f"      {t.better!r} {b.similarity} <= {t.worse!r} {w.similarity}")
        for c, ok in zip(marks, mark_right["new"], strict=True):
            if not ok:
                state = m.new(c.answer, c.guess).marks[_answer_index(c)[0]].state
                print(
                    f"  [{c.kind}] {c.answer!r} / {c.guess!r}: {c.word} {state}, want {c.expected}"
                )

    pairs = [(t.answer, g) for t in TEST_TRIPLES + DEV_TRIPLES for g in (t.better, t.worse)]
    cost = cost_per_guess(scorer, pairs, args.batch)
    print(f"\ncost per guess, {len(pairs)} new guesses in batches of {args.batch}:")
    print(f"  {'scorer':<24}{'ms/guess':>8}  {'guesses/s':>9}  {'vs old':>6}")
    for name, ms in cost.items():
        print(f"  {name:<24}{ms:8.2f}  {1000 / ms:9.0f}  {ms / cost['old']:5.2f}x")


if __name__ == "__main__":
    main()
