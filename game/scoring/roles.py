"""What each word does in a prompt: main object, second object, relation, setting, attribute.

A picture prompt is mostly "PHRASE [RELATION PHRASE] [SETTING]" (the built-in model's grammar,
generator/training/captions.py, and most free text: "a dog chasing a ball in the park").
`parse(text)` splits the words into noun phrases and the links between them, with no tagger:
determiners and counts start a phrase, prepositions and verb forms (-ing, -ed) after a noun
link two phrases, and "X of Y" keeps Y with X ("a house made of wood", "a pair of penguins").

A guess says less than an answer, so its roles are sets of what each word could be: a bare
"snow" may be the setting, and the second phrase of "an owl under a night sky" may be the
second object or the setting. The answer's roles are single.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game.scoring.words import FUNCTION_WORDS, PREDICATIVE, SETTING_PHRASES, Token, tokens


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MAIN, SECOND, RELATION, SETTING = "main", "second", "relation", "setting"
OBJECT_ROLES = (MAIN, SECOND, SETTING)
ANY_OBJECT = frozenset(OBJECT_ROLES)

DETERMINERS = _words("a an the this that these those his her their its my your our some every")
COUNTS = _words(
    "one two three four five six seven eight nine ten eleven twelve twenty hundred many few "
    "several pair couple trio dozen"
)
PHRASE_STARTS = DETERMINERS | COUNTS
# Words that say how or where two things stand, or link a thing to its setting.
PREPOSITIONS = _words("""
    above below under over beneath underneath beside next near behind front left right top
    against inside outside through across around along among amid between beyond toward towards
    atop upon within without after before during past via off up down
    on in at to by with from into onto for
    """)
# Prepositions that on their own introduce a setting ("a penguin on a beach"), not a second
# object ("a unicorn below a rainbow").
SETTING_PREPOSITIONS = _words("in on at during among amid across through within")
# Words that are a whole setting by themselves.
SETTING_WORDS = _words("underwater outdoors indoors outside upstairs downstairs overhead offshore")
# Heads of the grammar's settings: "under a night sky" is the setting even after "under".
SETTING_NOUNS = _words("sky background beach snow grass desert space")
# "a pile of gold", "a pair of penguins": the thing is after "of", the first word counts it.
QUANTITY_NOUNS = _words(
    "pair couple trio group pile heap stack bunch herd flock swarm school pack crowd lot piece "
    "slice cup mug glass bowl plate bottle box basket bag handful row"
)
# "a house made of wood": what follows describes the phrase before.
MADE_WORDS = _words("made built carved formed covered full")
# What joins such a word to its material: "made of wood", "covered in snow", "full of apples".
MADE_LINKS = _words("of in with from")


@dataclass
class _Phrase:
    words: list[int] = field(default_factory=list)  # token positions of its content words
    head: int | None = None  # the noun the phrase names
    link: list[int] = field(default_factory=list)  # positions of the link words before it
    link_words: list[str] = field(default_factory=list)  # the link's words, function words too


@dataclass(frozen=True)
class RoleParse:
    """Per token position: the role set (empty for function words) and whether it is a head."""

    tokens: list[Token]
    roles: list[frozenset[str]]
    attribute: list[bool]  # an attribute of its phrase (big, red, wooden), not its head
    phrase: list[int]  # which noun phrase a word belongs to, -1 for link and function words


# Nouns that look like verb forms.
NOT_VERBS = _words("""
    morning evening king ring wing string thing spring swing ceiling building painting clothing
    wedding pudding icing sibling duckling dumpling lightning viking sled bed shed seed weed
    reed sacred hundred
    """)


def _is_verb_form(word: str) -> bool:
    if word in PREDICATIVE:  # "an infant asleep in a cot" is an infant sleeping there
        return True
    return len(word) > 4 and word.endswith(("ing", "ed")) and word not in NOT_VERBS


def _phrases(words: list[Token]) -> list[_Phrase]:
    phrases: list[_Phrase] = []
    current: _Phrase | None = None
    link: list[int] = []  # the pending link before the next phrase
    link_words: list[str] = []

    def close() -> None:
        nonlocal current
        if current is not None and current.words:
            phrases.append(current)
        current = None

    def start() -> _Phrase:
        nonlocal link, link_words
        phrase = _Phrase(link=link, link_words=link_words)
        link, link_words = [], []
        return phrase

    for i, token in enumerate(words):
        key = token.key
        has_words = current is not None and bool(current.words)
        after_determiner = i > 0 and words[i - 1].key in PHRASE_STARTS
        if key in SETTING_WORDS:
            close()
            phrases.append(start())
            phrases[-1].words.append(i)
            continue
        last = words[current.words[-1]].key if current is not None and current.words else ""
        if has_words and (key == "of" or (key in MADE_LINKS and last in MADE_WORDS)):
            assert current is not None
            if last not in QUANTITY_NOUNS | COUNTS:
                # "a wall of bricks", "a house made of wood", "a mountain covered in snow":
                # what follows describes this phrase
                current.head = current.head or _last_noun(words, current)
            continue  # "a pair of penguins": the same phrase goes on, its head comes later
        if key in MADE_WORDS and has_words:
            assert current is not None
            current.words.append(i)
            continue
        verb = _is_verb_form(key) and not after_determiner  # "a sailing boat": an attribute
        if key in PREPOSITIONS or (verb and (has_words or bool(phrases))):
            close()
            link_words.append(key)
            if key not in FUNCTION_WORDS:
                link.append(i)
            continue
        if key in PHRASE_STARTS and has_words:
            assert current is not None
            if current.head is None:
                close()
        if key in FUNCTION_WORDS:
            continue
        if current is None:
            current = start()
        current.words.append(i)
    close()
    return phrases


def _setting_link(link_words: list[str]) -> bool:
    return bool(link_words) and all(
        w in SETTING_PREPOSITIONS or w in FUNCTION_WORDS for w in link_words
    )


def parse(text: str, guess: bool = False) -> RoleParse:
    """Roles of the words of `text`; a guess gets every role its words could have."""
    words = tokens(text)
    roles: list[frozenset[str]] = [frozenset()] * len(words)
    attribute = [False] * len(words)
    phrase_of = [-1] * len(words)
    phrases = _phrases(words)
    object_roles = _object_roles(words, phrases, guess)
    for n, (phrase, role) in enumerate(zip(phrases, object_roles, strict=True)):
        head = phrase.head if phrase.head is not None else _last_noun(words, phrase)
        for i in phrase.words:
            roles[i] = role
            attribute[i] = i != head
            phrase_of[i] = n
        # The words that lead to a setting ("under a night sky") belong to the setting.
        if role == {SETTING}:
            link_role = frozenset({SETTING})
        elif SETTING in role:
            link_role = frozenset({RELATION, SETTING})
        else:
            link_role = frozenset({RELATION})
        for i in phrase.link:
            roles[i] = link_role
    for i, token in enumerate(words):
        if token.is_function_word:
            roles[i] = frozenset()
        elif not roles[i]:
            roles[i] = frozenset({RELATION})
    return RoleParse(words, roles, attribute, phrase_of)


def _last_noun(words: list[Token], phrase: _Phrase) -> int:
    """The head: the phrase's last word that is not a "made"-style word or a count."""
    for i in reversed(phrase.words):
        if words[i].key not in MADE_WORDS and words[i].key not in COUNTS:
            return i
    return phrase.words[-1]


def _object_roles(words: list[Token], phrases: list[_Phrase], guess: bool) -> list[frozenset[str]]:
    """Main for the first phrase (unless a relation comes before it), setting for the last of
    three or more, or for a last phrase after a setting preposition or naming a setting; second
    for the rest."""
    count = len(phrases)
    result: list[frozenset[str]] = []
    for n, phrase in enumerate(phrases):
        head = words[_last_noun(words, phrase)].key if phrase.words else ""
        names_setting = head in SETTING_NOUNS or head in SETTING_WORDS
        # "under the sea", "beneath the waves": underwater said in a phrase
        names_setting = names_setting or any(
            head in nouns and set(phrase.link_words) & prepositions
            for prepositions, nouns in SETTING_PHRASES.values()
        )
        if n == 0 and phrase.link:
            # "left of a sailboat on the beach": after a relation, the first thing named is
            # the second object (or, in a guess, perhaps the setting), never the main one.
            role = {SECOND, SETTING} if guess else {SECOND}
            if n == count - 1 and names_setting:
                role = {SETTING}
        elif n == 0:
            role = {MAIN}
            if guess and count == 1:
                role = set(ANY_OBJECT)  # a bare "snow" says nothing about its role
        elif n == count - 1 and (count >= 3 or names_setting):
            role = {SETTING}
        elif n == count - 1 and _setting_link(phrase.link_words):
            role = {SETTING, SECOND} if guess else {SETTING}
        else:
            role = {SECOND, SETTING} if guess and count == 2 else {SECOND}
        result.append(frozenset(role))
    return result
