"""Whether two nouns name the same thing, as WordNet says: they share a sense (a synset).

Reads WordNet 3.0's `index.noun` and `noun.exc` (Debian's wordnet-base) directly: a lemma's
line ends with the byte offsets of its synsets, so two words are the same thing when their
offsets meet. "automobile" and "car" share one; "pumpkin" and "jack-o'-lantern" do not.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DEFAULT_WORDNET_DIR = Path("/usr/share/wordnet")


class NounSenses:
    """The synsets of every noun lemma, and WordNet's irregular plurals."""

    def __init__(self, root: Path = DEFAULT_WORDNET_DIR) -> None:
        index, exceptions = root / "index.noun", root / "noun.exc"
        if not index.is_file():
            raise FileNotFoundError(
                f"no WordNet noun index in {root} (install Debian's wordnet-base)"
            )
        self.senses: dict[str, frozenset[str]] = {}
        for line in index.read_text("utf-8").splitlines():
            if line.startswith(" "):  # the licence at the top of the file
                continue
            fields = line.split()
            pointers = int(fields[3])
            synsets = int(fields[2])
            # lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt offsets...
            offsets = fields[4 + pointers + 2 : 4 + pointers + 2 + synsets]
            self.senses[fields[0]] = frozenset(offsets)
        self.singular: dict[str, str] = {}
        if exceptions.is_file():
            for line in exceptions.read_text("utf-8").splitlines():
                inflected, *bases = line.split()
                if bases:
                    self.singular.setdefault(inflected, bases[0])

    def lemmas(self, phrase: str) -> list[str]:
        """The WordNet lemmas a phrase may be: itself, then its singular forms."""
        word = "_".join(phrase.lower().replace("-", " ").split())
        forms = [word, self.singular.get(word, "")]
        for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
            if word.endswith(suffix):
                forms.append(word[: -len(suffix)] + replacement)
        return [form for form in dict.fromkeys(forms) if form in self.senses]

    def same_thing(self, one: str, other: str) -> bool:
        """Whether some form of each shares a sense with the other."""
        mine = {offset for lemma in self.lemmas(one) for offset in self.senses[lemma]}
        theirs = {offset for lemma in self.lemmas(other) for offset in self.senses[lemma]}
        return bool(mine & theirs)


@cache
def noun_senses(root: Path = DEFAULT_WORDNET_DIR) -> NounSenses | None:
    """WordNet's nouns, or None when its database is not installed."""
    try:
        return NounSenses(root)
    except FileNotFoundError:
        return None
