"""Build the built-in `dalle_bart/enwiki-words-frequency.txt` from the `wordfreq` package.

dalle-mini's text normaliser splits `#hashtags` into words with a word list read from
`enwiki-words-frequency.txt` (published with the dalle-mini checkpoints): one `word count`
pair per line, most frequent first. Only the line order matters to the splitter (a word's
cost is log(rank + 1)); the counts are informative.

The built-in file is made from wordfreq's "large" English list (a blend of Wikipedia,
subtitles, news, books, web text, Twitter and Reddit), keeping the most frequent words made
only of the characters a hashtag piece can hold (a-z, 0-9, apostrophe). Counts are the word
frequency scaled to a 3-billion-word corpus (about the size of English Wikipedia), rounded.

wordfreq is a build-time tool only (it is not a runtime dependency):

    .venv/bin/pip install wordfreq
    .venv/bin/python generator/tools/build_word_frequencies.py [--words 100000] [--out PATH]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from generator.paths import BUILTIN_MODEL_DIR

DEFAULT_OUT = BUILTIN_MODEL_DIR / "dalle_bart" / "enwiki-words-frequency.txt"
CORPUS_WORDS = 3_000_000_000
# The hashtag splitter looks up pieces of `[a-z0-9']+` only; other words could never match.
USABLE_WORD = re.compile(r"[a-z0-9']+")


def word_counts(limit: int) -> list[tuple[str, int]]:
    """The `limit` most frequent usable English words with counts, most frequent first."""
    import wordfreq  # build-time only

    # Over-fetch: some of the top words contain characters the splitter cannot use.
    candidates = wordfreq.top_n_list("en", limit * 2, wordlist="large")
    counts = []
    for word in candidates:
        if not USABLE_WORD.fullmatch(word):
            continue
        frequency = wordfreq.word_frequency(word, "en", wordlist="large")
        counts.append((word, max(1, round(frequency * CORPUS_WORDS))))
        if len(counts) == limit:
            break
    # Stable sort: words of equal count keep wordfreq's order.
    return sorted(counts, key=lambda pair: -pair[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000, help="how many words to keep")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="file to write")
    args = parser.parse_args()
    lines = [f"{word} {count}\n" for word, count in word_counts(args.words)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(lines), encoding="utf-8")
    print(f"wrote {len(lines)} words to {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
