"""Triples written apart from the evaluation set, to check rules on text they were not found on.

Same form as game/scoring/evaluation/paraphrases.py: (answer, the same picture in other words, the
answer's words around another picture or with a rival value or swapped roles).

    WRITTEN_BEFORE  40 triples written on 2026-11-29 before that day's scoring rules; each rule
                    was checked on them as it was made (the scorer of that morning: 30 of 40,
                    after the day's rules: 31).
    WRITTEN_AFTER   40 triples written after the day's last rule and run once, never used to
                    choose one (the morning's scorer: 35 of 40; the day's: 38).

benchmarks/scoring_eval.py prints both beside the old scorer. Neither may be used to tune a
constant: write new ones for the next round of rules instead.
"""

from __future__ import annotations

WRITTEN_BEFORE: list[tuple[str, str, str]] = [
    (
        "a wooden chair in a kitchen",
        "a chair made of wood in a kitchen",
        "a plastic chair in a kitchen",
    ),
    ("a glass vase on a shelf", "a vase made of glass on a shelf", "a metal vase on a shelf"),
    (
        "a stone bridge over a river",
        "a bridge built of stone across a river",
        "a wooden bridge over a river",
    ),
    ("a leather bag on a bench", "a bag made of leather on a seat", "a paper bag on a bench"),
    ("a coat hanging on a hook", "a jacket hanging on a peg", "a coat hanging on a tree"),
    ("a cup on a saucer", "a mug on a small plate", "a cup on a chair"),
    ("a duck swimming on a lake", "a duck paddling on a pond", "a duck swimming in the sky"),
    (
        "a horse running on a beach",
        "a horse galloping along the shore",
        "a horse running in a city",
    ),
    ("a man walking in a forest", "a guy strolling among the trees", "a man walking in a desert"),
    (
        "a boy riding a bicycle in a park",
        "a kid cycling in a park",
        "a boy riding a horse in a park",
    ),
    (
        "a woman riding a horse on a beach",
        "a lady on horseback by the sea",
        "a woman riding a camel on a beach",
    ),
    (
        "a child reading a book in bed",
        "a kid with a novel in bed",
        "a child reading a newspaper in bed",
    ),
    (
        "a girl skiing down a mountain",
        "a girl on skis on a slope",
        "a girl running down a mountain",
    ),
    ("a boat on a river", "a ship on a river", "a car on a river"),
    ("a fox in the snow", "a fox in a snowy field", "a fox in the desert"),
    ("an old man with a beard", "an elderly man with a beard", "a young man with a beard"),
    ("a cat sleeping on a sofa", "a kitten napping on a couch", "a dog sleeping on a sofa"),
    ("a red apple on a table", "a red apple on a desk", "a green apple on a table"),
    ("a dog swimming in a lake", "a puppy paddling in a pond", "a dog swimming in a pool"),
    ("a bird sitting on a branch", "a sparrow perched on a bough", "a bird sitting on a car"),
    ("a lighthouse on a cliff", "a beacon tower on a rocky cliff", "a house on a cliff"),
    ("a train crossing a bridge", "a locomotive going over a bridge", "a car crossing a bridge"),
    ("a pirate ship at sea", "a pirate vessel on the ocean", "a pirate ship in a desert"),
    (
        "a chef cooking in a kitchen",
        "a cook making food in a kitchen",
        "a chef cooking in a forest",
    ),
    ("a man fishing on a lake", "a fisherman on a lake", "a man swimming in a lake"),
    ("a girl playing the piano", "a young girl at a piano", "a girl playing the guitar"),
    ("three cats on a wall", "three kittens on a wall", "two cats on a wall"),
    ("a blue car in the rain", "a blue automobile in a rainstorm", "a red car in the rain"),
    ("a castle on a hill", "a fortress on a hilltop", "a castle on a beach"),
    (
        "an owl on a branch at night",
        "an owl perched on a tree branch in the dark",
        "a parrot on a branch at night",
    ),
    ("a snowman in a garden", "a snow man in a yard", "a scarecrow in a garden"),
    ("a boy throwing a ball", "a kid tossing a ball", "a boy kicking a ball"),
    ("a cake on a plate", "a gateau on a dish", "a pie on a plate"),
    ("a teapot on a tray", "a pot of tea on a tray", "a teapot on a chair"),
    (
        "a whale jumping out of the ocean",
        "a whale leaping out of the sea",
        "a dolphin jumping out of the ocean",
    ),
    (
        "a soldier standing in the rain",
        "a soldier standing in a downpour",
        "a soldier standing in the sun",
    ),
    ("a wooden boat on a lake", "a boat made of wood on a lake", "a metal boat on a lake"),
    (
        "a rocket flying into space",
        "a spacecraft launching into space",
        "a plane flying into space",
    ),
    ("a frog sitting on a leaf", "a toad sitting on a leaf", "a frog sitting on a rock"),
    (
        "a woman painting in a studio",
        "an artist painting in a workshop",
        "a woman painting in a kitchen",
    ),
]

WRITTEN_AFTER: list[tuple[str, str, str]] = [
    (
        "two small owls under a night sky",
        "a pair of little owls beneath the stars",
        "two small owls on a beach",
    ),
    ("a red car in the desert", "a red automobile among sand dunes", "a red car in the snow"),
    ("three balloons in the sky", "three balloons among the clouds", "three kites in the sky"),
    ("a penguin on the grass", "a penguin on a lawn", "a penguin in the snow"),
    ("a big whale underwater", "a huge whale under the sea", "a big whale in the desert"),
    (
        "a rocket above a planet in outer space",
        "a spacecraft over a planet among the stars",
        "a rocket above a planet underwater",
    ),
    ("a small dog on a beach", "a little puppy by the seaside", "a small cat on a beach"),
    ("a tent in the snow", "a tent on a snowfield", "a tent in the desert"),
    (
        "an elephant next to a tree in the desert",
        "an elephant beside a tree among dunes",
        "an elephant next to a car in the desert",
    ),
    ("a snowman on a blue background", "a snow man on blue", "a snowman on a red background"),
    (
        "a boy flying a kite on a beach",
        "a kid with a kite at the seaside",
        "a boy flying a plane on a beach",
    ),
    (
        "a woman cooking soup in a kitchen",
        "a lady making soup at the stove",
        "a woman cooking soup in a garden",
    ),
    ("a man painting a fence", "a painter at a fence", "a man painting a car"),
    (
        "a cat chasing a mouse in a barn",
        "a kitten running after a mouse in a barn",
        "a dog chasing a mouse in a barn",
    ),
    ("a girl swimming in a lake", "a young swimmer in a pond", "a girl swimming in the sky"),
    (
        "an old man reading a newspaper on a bench",
        "an elderly man with a paper on a seat",
        "an old man reading a newspaper on a boat",
    ),
    ("a child sleeping in a tent", "a kid asleep in a tent", "a child dancing in a tent"),
    (
        "a horse running in a field",
        "a horse galloping across a meadow",
        "a horse running in a kitchen",
    ),
    ("a soldier riding a horse", "a soldier on horseback", "a soldier riding a bicycle"),
    (
        "a bird flying over the ocean",
        "a bird soaring above the sea",
        "a plane flying over the ocean",
    ),
    (
        "a fisherman in a boat on a lake",
        "a man fishing from a boat on a lake",
        "a fisherman in a car on a lake",
    ),
    ("a baby crying in a crib", "an infant weeping in a cot", "a baby laughing in a crib"),
    ("a wooden table in a garden", "a table made of wood in a garden", "a metal table in a garden"),
    ("a stone house on a hill", "a house built of stone on a hill", "a glass house on a hill"),
    ("a snowy village at night", "a village covered in snow at night", "a sunny village at night"),
    (
        "a tiny mouse on a big cheese",
        "a little mouse on a large cheese",
        "a huge mouse on a small cheese",
    ),
    ("a sofa in a living room", "a couch in a living room", "a chair in a living room"),
    ("a rabbit in a garden", "a bunny in a garden", "a cat in a garden"),
    ("a car on a bridge", "an automobile on a bridge", "a bus on a bridge"),
    ("a puppy on a rug", "a young dog on a carpet", "a kitten on a rug"),
    ("two red apples on a plate", "two red apples on a dish", "three green apples on a plate"),
    ("a cat to the left of a dog", "a cat on the left of a dog", "a cat to the right of a dog"),
    ("a big bear in a forest", "a large bear in a forest", "a small bear in a forest"),
    ("a yellow bus in the rain", "a yellow bus in a downpour", "a blue bus in the rain"),
    ("a dog chasing a cat", "a puppy chasing a kitten", "a cat chasing a dog"),
    ("a bird above a fish", "a bird over a fish", "a fish above a bird"),
    ("a girl feeding a horse", "a young girl giving food to a horse", "a horse feeding a girl"),
    ("a mouse under a table", "a mouse beneath a table", "a table under a mouse"),
    ("a man carrying a child", "a guy carrying a kid", "a child carrying a man"),
    ("an owl above a moon", "an owl over the moon", "a moon above an owl"),
]
