"""dalle-mini's caption normalisation, reproduced step for step.

The published DalleBart checkpoints were trained on captions passed through dalle-mini's
`TextNormalizer` (their config says `normalize_text: true`), so prompts must go through the
same steps to look like the training data. The output matches dalle-mini 0.1.5 exactly,
including its quirks (e.g. `#dog's` loses its apostrophe: hashtags are split into words after
the apostrophe was protected by a placeholder made of letters).
"""

from __future__ import annotations

import functools
import html
import math
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import emoji
import ftfy
from unidecode import unidecode

DEFAULT_WORD_FREQUENCIES = (
    Path(__file__).resolve().parent
    / "weights"
    / "default"
    / "dalle_bart"
    / "enwiki-words-frequency.txt"
)

# Placeholders that protect characters from the punctuation rules. Made of letters so that the
# "4+ repeated characters" rule cannot touch them.
_DOT = "xtokxdotxtokx"
_QUOTE = "xtokxquotextokx"
_SLASH = "xtokxslashxtokx"

# CC12M captions hide names behind <PERSON>; dalle-mini draws a replacement weighted by how
# often each phrase occurs in Wikipedia.
_PERSON_PHRASES = ("a person", "someone", "somebody")
_PERSON_WEIGHTS = (282265, 121194, 12219)

_Step = Callable[[str], str]


def _sub(pattern: str, replacement: str | Callable[[re.Match[str]], str]) -> _Step:
    compiled = re.compile(pattern)
    return lambda text: compiled.sub(replacement, text)


def _replace_person_tokens(text: str) -> str:
    text = re.sub(r"<person>([,\s]*(and)*[,\s]*<person>)+", " people ", text)
    while "<person>" in text:
        # Uses the global `random` state exactly as dalle-mini does, so a seeded run matches.
        phrase = random.choices(_PERSON_PHRASES, weights=_PERSON_WEIGHTS)[0]
        text = text.replace("<person>", f" {phrase} ", 1)
    return text


def _strip_first_last_comma(text: str) -> str:
    text = text.strip()
    if text.endswith(","):
        text = text[:-1]
    if text.startswith(","):
        text = text[1:]
    return text.strip()


# Steps before hashtag expansion, in dalle-mini's order.
_BEFORE_HASHTAGS: tuple[_Step, ...] = (
    ftfy.fix_text,
    lambda text: html.unescape(html.unescape(text)),  # twice: captions are often escaped twice
    emoji.demojize,  # before unidecode, which would drop emoji
    unidecode,
    str.lower,
    _replace_person_tokens,
    _sub(r"\A\s*\[\d+\]", ""),  # wiki references such as "[12]" at either end
    _sub(r"\[\d+\]\s*\Z", ""),
    _sub(r"<[^<]+?>", " "),  # html tags
    _sub(r"http\S+", ""),  # urls
    _sub(r"(\d),(\d{3})", r"\1\2"),  # thousands separators; twice for "1,000,000"
    _sub(r"(\d),(\d{3})", r"\1\2"),
    _sub(r"(\w)\.(\w)", rf"\1{_DOT}\2"),  # keep "3.5", "e.g"
    _sub(r"'(?=([stdm]|(ll)|(re)|(ve))\b)", _QUOTE),  # keep 's 't 'd 'm 'll 're 've
    _sub(r"(\d)/(\d)", rf"\1{_SLASH}\2"),  # keep dates and fractions
    _sub(r"(\w)-(\w)", r"\1 \2"),  # hyphenated words become two words
    _sub(r"([%&/$*])", r" \1 "),
)

# Steps after hashtag expansion.
_AFTER_HASHTAGS: tuple[_Step, ...] = (
    _sub(r"[_#\\]", " "),
    _sub(r"['\"`]", ' " '),
    _sub(r"[()\[\].,|:;?!=+~\-/{}]", ","),  # all other punctuation becomes commas
    lambda text: text.replace(_DOT, ".").replace(_QUOTE, "'").replace(_SLASH, "/"),
    _sub(r"(\D)\1{3,}", r"\1"),  # 4+ repeats (3 would break roman "viii")
    _sub(r'(\s*"+\s*)+', ' " '),
    _sub(r"(\s*,+\s*)+", ", "),
    _sub(r"\s+", " "),
    _strip_first_last_comma,
)

_HASHTAG = re.compile(r"#(\w+)")


def normalize_text(text: str, word_frequencies: str | Path | None = None) -> str:
    """Normalise a caption or prompt as dalle-mini's `TextNormalizer` does.

    `word_frequencies` is an `enwiki-words-frequency.txt` file used to split hashtags into
    words; it is read only when the text holds a hashtag (and then cached).
    """
    for step in _BEFORE_HASHTAGS:
        text = step(text)
    if _HASHTAG.search(text):
        splitter = _hashtag_splitter(Path(word_frequencies or DEFAULT_WORD_FREQUENCIES))
        text = _HASHTAG.sub(lambda match: splitter.split(match.group(1)), text)
    for step in _AFTER_HASHTAGS:
        text = step(text)
    return f" {text}"


class HashtagSplitter:
    """Splits run-together words ("#sunsetbeach" → "sunset beach") by word frequency rank.

    A dynamic programme picks the split whose words have the lowest total cost, a word's cost
    being log(rank + 1) in the frequency list (the wordninja heuristic dalle-mini adapted).
    """

    _PIECES = re.compile(r"[^a-zA-Z0-9']+")

    def __init__(self, word_costs: dict[str, float]) -> None:
        if not word_costs:
            raise ValueError("the word-frequency list is empty")
        self.word_costs = word_costs
        self.longest = max(len(word) for word in word_costs)

    @classmethod
    def from_file(cls, path: Path) -> HashtagSplitter:
        try:
            lines = path.read_text(encoding="utf8").splitlines()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"word-frequency file {path} is missing (it ships with dalle-mini "
                "checkpoints as enwiki-words-frequency.txt)"
            ) from None
        costs = {}
        for rank, line in enumerate(lines):
            fields = line.split()
            if fields:
                # A word listed twice keeps its later (higher) cost, as in dalle-mini.
                costs[fields[0]] = math.log(float(rank + 1))
        return cls(costs)

    def split(self, text: str) -> str:
        return " ".join(word for piece in self._PIECES.split(text) for word in self._words(piece))

    def _words(self, text: str) -> Iterator[str]:
        costs = [0.0]
        for end in range(1, len(text) + 1):
            costs.append(self._best_word(text, costs, end)[0])
        words: list[str] = []
        end = len(text)
        while end > 0:
            length = self._best_word(text, costs, end)[1]
            word = text[end - length : end]
            # Glue a split-off "'s" or a digit run back onto the word before it (a lone
            # apostrophe is kept as its own word, as dalle-mini does).
            if (
                word != "'"
                and words
                and (words[-1] == "'s" or (text[end - 1].isdigit() and words[-1][0].isdigit()))
            ):
                words[-1] = word + words[-1]
            else:
                words.append(word)
            end -= length
        return reversed(words)

    def _best_word(self, text: str, costs: list[float], end: int) -> tuple[float, int]:
        """(cost of the best split of text[:end], length of its last word); ties → shorter."""
        return min(
            (
                costs[end - length]
                + self.word_costs.get(text[end - length : end].lower(), math.inf),
                length,
            )
            for length in range(1, min(self.longest, end) + 1)
        )


@functools.lru_cache(maxsize=4)
def _cached_splitter(path: str, mtime_ns: int, size: int) -> HashtagSplitter:
    return HashtagSplitter.from_file(Path(path))


def _hashtag_splitter(path: Path) -> HashtagSplitter:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"word-frequency file {path} is missing (it ships with dalle-mini checkpoints "
            "as enwiki-words-frequency.txt)"
        ) from None
    return _cached_splitter(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def regular_plural(noun: str) -> str:
    """The plural by the regular English spelling rules, applied to the last word."""
    head, _, last = noun.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural
