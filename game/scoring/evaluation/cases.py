"""The scoring evaluation set (issue 11): (answer, better, worse) triples and word-mark cases.

Written for the issue's check, before any constant was tuned on it, and split into a dev half
(for tuning) and a test half (for reporting) by a stable hash of each case's text, so that
adding a case never moves another from one half to the other. benchmarks/scoring_eval.py
prints the test half's accuracy per kind beside raw sentence cosine and the old scorer.

Triple kinds (the better guess shows the answer's picture in other words; the worse one shares
more of the answer's words but shows another picture):
    paraphrase  better shares no or almost no content word; worse repeats the answer's words
                around a different main object or setting
    attribute   better says an attribute in other words ("made of wood" for "wooden"); worse
                keeps the words but changes the setting or another attribute
    synonym     better names a thing by a synonym or a kind of it; worse names a sibling
    roles       worse swaps the roles of the answer's own words
    rival       worse changes a value to a rival one (colour, number, size, left/right)
Each kind mixes the built-in model's caption grammar ("grammar") and free text ("free").

Word-mark kinds: the mark one answer word must get from a guess.
    synonym, kind-of  -> near
    part, related, rival -> absent (a part, a neighbouring thing, a rival value is not near)
    other-role        -> present (the same word playing another role)
    same-role         -> exact (the same word in its role, whatever surrounds it)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Triple:
    kind: str
    language: str  # "grammar" or "free"
    answer: str
    better: str
    worse: str


@dataclass(frozen=True)
class MarkCase:
    kind: str
    answer: str
    guess: str
    word: str  # the answer word whose mark is checked (its first occurrence)
    expected: str


def _triples(kind: str, language: str, rows: list[tuple[str, str, str]]) -> list[Triple]:
    return [Triple(kind, language, *row) for row in rows]


TRIPLES: list[Triple] = [
    *_triples(
        "paraphrase",
        "grammar",
        [
            ("a tent in the snow", "a teepee on the ice", "a dog in the snow"),
            ("a dog on a beach", "a puppy by the sea", "a cat on a beach"),
            ("a car in the desert", "an automobile among sand dunes", "a camel in the desert"),
            ("a rabbit on the grass", "a bunny on a lawn", "a rabbit in the snow"),
            ("a helicopter in the sky", "a chopper flying among clouds", "a kite in the sky"),
            (
                "a sailboat underwater",
                "a sailing ship below the sea surface",
                "a sailboat in the sky",
            ),
            (
                "a couch on a red background",
                "a sofa against crimson",
                "a table on a red background",
            ),
            (
                "a big rocket in outer space",
                "a large spaceship among the stars",
                "a big planet in outer space",
            ),
            ("a small frog on the grass", "a little toad on a lawn", "a small frog in the desert"),
            (
                "a hamburger on a yellow background",
                "a burger against yellow",
                "a pizza on a yellow background",
            ),
            ("an umbrella in the snow", "a parasol in a snowfall", "an umbrella on a beach"),
            (
                "two small ducks on the grass",
                "a pair of little ducklings on a lawn",
                "two small pigs on the grass",
            ),
            ("a shark underwater", "a shark swimming in the ocean", "a shark in the desert"),
            ("a gift box on a blue background", "a present against blue", "a gift box in the snow"),
            ("a taxi in the snow", "a cab on a snowy road", "a taxi on a beach"),
            ("a castle under a night sky", "a fortress at night", "a castle on a beach"),
        ],
    ),
    *_triples(
        "paraphrase",
        "free",
        [
            ("a tent in the snow", "a teepee on the ice", "a tent in the desert"),
            (
                "a dog chasing a ball in the park",
                "a puppy running after a ball on a lawn",
                "a cat chasing a ball in the park",
            ),
            (
                "a woman reading a book in a library",
                "a lady with a novel among bookshelves",
                "a woman reading a book on a train",
            ),
            (
                "a boy riding a bicycle down a hill",
                "a kid on a bike going downhill",
                "a girl riding a bicycle down a hill",
            ),
            (
                "a chef cooking pasta in a kitchen",
                "a cook preparing spaghetti at the stove",
                "a chef cooking pasta in a garden",
            ),
            (
                "an old man sitting on a bench",
                "an elderly gentleman seated on a park seat",
                "an old man sitting on a horse",
            ),
            (
                "a kitten sleeping on a sofa",
                "a young cat napping on a couch",
                "a puppy sleeping on a sofa",
            ),
            ("a ship sailing on the ocean", "a boat crossing the sea", "a ship sailing in the sky"),
            (
                "a farmer driving a tractor",
                "a farmer on a tractor in a field",
                "a farmer driving a car",
            ),
            (
                "a bird singing in a tree",
                "a songbird perched on a branch",
                "a bird singing in a cage",
            ),
            (
                "a child building a sandcastle",
                "a kid making a castle of sand",
                "a child building a snowman",
            ),
            (
                "a wolf howling at the moon",
                "a wolf crying out to the moon at night",
                "a dog howling at the moon",
            ),
            (
                "a girl flying a kite on a hill",
                "a young girl with a kite on a hilltop",
                "a girl flying a plane on a hill",
            ),
            (
                "a student studying in a classroom",
                "a pupil learning at a school desk",
                "a student studying in a prison",
            ),
            (
                "a horse running in a field",
                "a stallion galloping across a meadow",
                "a horse running on a road",
            ),
            (
                "a teapot on a wooden table",
                "a kettle for tea on a table made of wood",
                "a teapot on a glass table",
            ),
        ],
    ),
    *_triples(
        "attribute",
        "grammar",
        [
            (
                "a big elephant in the desert",
                "a huge elephant among sand dunes",
                "a big elephant in the snow",
            ),
            ("a small owl under a night sky", "a tiny owl at night", "a small owl on a beach"),
            ("a big whale underwater", "a giant whale in the deep sea", "a big whale in the sky"),
            ("a small cat on the grass", "a little kitten on a lawn", "a small cat in outer space"),
            (
                "a big castle on a purple background",
                "a large castle on violet",
                "a big castle in the snow",
            ),
            (
                "three small balloons in the sky",
                "three little balloons floating among clouds",
                "three small balloons underwater",
            ),
            (
                "a big pumpkin on an orange background",
                "a huge pumpkin against orange",
                "a big pumpkin in outer space",
            ),
            (
                "a small snail on the grass",
                "a tiny snail on a lawn",
                "a small snail on a black background",
            ),
            (
                "two small dolphins underwater",
                "a pair of little dolphins under the sea",
                "two small dolphins in the desert",
            ),
            (
                "a big robot in outer space",
                "a large robot among the stars",
                "a big robot on the grass",
            ),
            (
                "a small cactus in the desert",
                "a little cactus among dunes",
                "a small cactus in the snow",
            ),
            ("a big tiger on the grass", "a large tiger on a lawn", "a small tiger on the grass"),
            (
                "a small mouse on a white background",
                "a tiny mouse on white",
                "a big mouse on a white background",
            ),
            (
                "a big dragon in the sky",
                "a huge dragon flying among clouds",
                "a little dragon in the sky",
            ),
            ("a small boat underwater", "a little boat beneath the waves", "a big boat underwater"),
            (
                "a big pizza on a green background",
                "a large pizza on green",
                "a big pizza on a pink background",
            ),
        ],
    ),
    *_triples(
        "attribute",
        "free",
        [
            (
                "a wooden house in a forest",
                "a house made of wood among trees",
                "a wooden house on a beach",
            ),
            (
                "a golden crown on a cushion",
                "a crown made of gold on a pillow",
                "a golden crown on a throne",
            ),
            (
                "a glass vase on a shelf",
                "a vase made of glass on a rack",
                "a glass vase in a garden",
            ),
            (
                "a stone bridge over a river",
                "a bridge made of stone across a stream",
                "a stone bridge over a road",
            ),
            (
                "a snowy mountain at dawn",
                "a mountain covered in snow at sunrise",
                "a snowy mountain at night",
            ),
            ("a sandy beach at sunset", "a beach of sand at dusk", "a rocky beach at sunset"),
            (
                "a brick wall with ivy",
                "a wall of bricks covered in ivy",
                "a brick wall with graffiti",
            ),
            (
                "a silver spoon in a cup",
                "a spoon made of silver in a mug",
                "a silver spoon in a drawer",
            ),
            ("a woollen hat on a hook", "a hat made of wool on a peg", "a woollen hat on a head"),
            (
                "a colourful parrot on a branch",
                "a colorful parrot on a bough",
                "a grey parrot on a branch",
            ),
            (
                "a sleepy cat on a windowsill",
                "a drowsy cat on a window ledge",
                "a sleepy cat on a roof",
            ),
            ("a huge ship in a harbour", "a giant ship in a harbor", "a huge ship in a desert"),
            (
                "an old car in a garage",
                "an ancient automobile in a garage",
                "a new car in a garage",
            ),
            ("a wet dog on a porch", "a soaked dog on a porch", "a wet dog in a bathtub"),
            (
                "a leather bag on a chair",
                "a bag made of leather on a seat",
                "a leather bag in a river",
            ),
            (
                "a metal robot in a factory",
                "a robot made of steel in a plant",
                "a metal robot in a forest",
            ),
        ],
    ),
    *_triples(
        "synonym",
        "grammar",
        [
            ("a puppy on the grass", "a young dog on the grass", "a kitten on the grass"),
            ("a dog in the snow", "a puppy in the snow", "a wolf in the snow"),
            ("a cat on a beach", "a kitten on a beach", "a dog on a beach"),
            ("a tent in the desert", "a teepee in the desert", "a house in the desert"),
            ("an airplane in the sky", "an aeroplane in the sky", "a bird in the sky"),
            (
                "a couch on a blue background",
                "a sofa on a blue background",
                "a chair on a blue background",
            ),
            ("a rabbit in the snow", "a bunny in the snow", "a fox in the snow"),
            ("a car on the grass", "an automobile on the grass", "a truck on the grass"),
            ("a bird in the sky", "an owl in the sky", "a bee in the sky"),
            ("a ship underwater", "a boat underwater", "a fish underwater"),
            ("a frog on the grass", "a toad on the grass", "a snake on the grass"),
            (
                "a hamburger on a red background",
                "a burger on a red background",
                "a hot dog on a red background",
            ),
            (
                "a flower on a pink background",
                "a rose on a pink background",
                "a tree on a pink background",
            ),
            ("a tree in the snow", "a pine tree in the snow", "a bush in the snow"),
            ("a truck in the desert", "a pickup truck in the desert", "a car in the desert"),
            (
                "a gift box on a green background",
                "a present on a green background",
                "a basket on a green background",
            ),
        ],
    ),
    *_triples(
        "synonym",
        "free",
        [
            (
                "a puppy playing with a bone",
                "a young dog playing with a bone",
                "a kitten playing with a bone",
            ),
            ("a boy eating an apple", "a kid eating an apple", "a girl eating an apple"),
            (
                "a woman holding an umbrella",
                "a lady holding an umbrella",
                "a man holding an umbrella",
            ),
            ("a man sitting on a sofa", "a man sitting on a couch", "a man sitting on a chair"),
            ("a pony in a stable", "a small horse in a stable", "a donkey in a stable"),
            ("a ship in a storm", "a vessel in a storm", "a plane in a storm"),
            (
                "a cup of coffee on a desk",
                "a mug of coffee on a desk",
                "a glass of coffee on a desk",
            ),
            (
                "an automobile parked on a street",
                "a car parked on a street",
                "a bicycle parked on a street",
            ),
            ("a bunny eating a carrot", "a rabbit eating a carrot", "a squirrel eating a carrot"),
            ("a kitten chasing a mouse", "a cat chasing a mouse", "a dog chasing a mouse"),
            ("a shop on a busy road", "a store on a busy street", "a church on a busy road"),
            ("a child holding a balloon", "a kid holding a balloon", "a clown holding a balloon"),
            (
                "a monkey hanging from a tree",
                "an ape hanging from a tree",
                "a cat hanging from a tree",
            ),
            ("a stone on a beach", "a rock on a beach", "a shell on a beach"),
            (
                "a jet flying over a city",
                "an airplane flying over a city",
                "a bird flying over a city",
            ),
            ("a boat on a lake", "a rowboat on a lake", "a swan on a lake"),
        ],
    ),
    *_triples(
        "roles",
        "grammar",
        [
            (
                "an owl above a crescent moon",
                "an owl flying over a crescent moon",
                "a crescent moon above an owl",
            ),
            (
                "a cat next to a dog on the grass",
                "a cat beside a dog on the lawn",
                "a dog next to a cat on the grass",
            ),
            (
                "a rocket above a planet in outer space",
                "a spaceship over a planet in space",
                "a planet above a rocket in outer space",
            ),
            (
                "a big elephant next to a small mouse",
                "a huge elephant beside a tiny mouse",
                "a small elephant next to a big mouse",
            ),
            (
                "a fish below a sailboat underwater",
                "a fish beneath a sailing boat in the sea",
                "a sailboat below a fish underwater",
            ),
            (
                "a penguin to the left of an umbrella in the snow",
                "a penguin beside an umbrella on the ice",
                "an umbrella to the left of a penguin in the snow",
            ),
            (
                "a unicorn below a rainbow in the sky",
                "a unicorn under a rainbow among the clouds",
                "a rainbow below a unicorn in the sky",
            ),
            (
                "a small frog next to a big mushroom",
                "a tiny toad beside a large mushroom",
                "a big frog next to a small mushroom",
            ),
            (
                "a robot to the right of a dinosaur",
                "a robot standing beside a dinosaur",
                "a dinosaur to the right of a robot",
            ),
            (
                "a bee above a sunflower on the grass",
                "a bee hovering over a sunflower on a lawn",
                "a sunflower above a bee on the grass",
            ),
            (
                "a lion next to a zebra in the desert",
                "a lion beside a zebra among dunes",
                "a zebra next to a lion in the desert",
            ),
            (
                "a ghost above a pumpkin under a night sky",
                "a ghost floating over a pumpkin at night",
                "a pumpkin above a ghost under a night sky",
            ),
            (
                "a crab to the right of a starfish on a beach",
                "a crab beside a starfish on the sand",
                "a starfish to the right of a crab on a beach",
            ),
            (
                "two small birds above a cat",
                "a pair of little birds over a cat",
                "two small cats above a bird",
            ),
            (
                "a helicopter above a ship",
                "a chopper flying over a boat",
                "a ship above a helicopter",
            ),
            (
                "a snowman to the left of a tree in the snow",
                "a snowman beside a tree in a snowy field",
                "a tree to the left of a snowman in the snow",
            ),
        ],
    ),
    *_triples(
        "roles",
        "free",
        [
            ("a dog chasing a ball", "a puppy running after a ball", "a ball chasing a dog"),
            (
                "a cat watching a fish in a bowl",
                "a kitten looking at a fish in a bowl",
                "a fish watching a cat in a bowl",
            ),
            (
                "a girl feeding a horse",
                "a young girl giving food to a horse",
                "a horse feeding a girl",
            ),
            ("a bear catching a salmon", "a bear grabbing a fish", "a salmon catching a bear"),
            ("a man walking a dog", "a man taking his dog for a walk", "a dog walking a man"),
            ("a boy pushing a cart", "a kid shoving a trolley", "a cart pushing a boy"),
            (
                "a knight fighting a dragon",
                "a warrior battling a dragon",
                "a dragon fighting a knight",
            ),
            ("a squirrel eating a nut", "a squirrel nibbling an acorn", "a nut eating a squirrel"),
            (
                "a teacher helping a student",
                "a teacher assisting a pupil",
                "a student helping a teacher",
            ),
            ("a mother hugging her child", "a mom embracing her kid", "a child hugging her mother"),
            (
                "a fox hiding behind a tree",
                "a fox concealed behind a trunk",
                "a tree hiding behind a fox",
            ),
            ("a hawk catching a mouse", "a hawk seizing a mouse", "a mouse catching a hawk"),
            (
                "a farmer milking a cow",
                "a farmer drawing milk from a cow",
                "a cow milking a farmer",
            ),
            ("a cat sitting on a box", "a kitten perched on a carton", "a box sitting on a cat"),
            (
                "a baby laughing at a puppy",
                "an infant giggling at a young dog",
                "a puppy laughing at a baby",
            ),
            ("a lamp above a table", "a light hanging over a table", "a table above a lamp"),
        ],
    ),
    *_triples(
        "rival",
        "grammar",
        [
            ("a red car in the snow", "a crimson automobile in the snow", "a blue car in the snow"),
            (
                "two small penguins on a beach",
                "a pair of little penguins on a beach",
                "three small penguins on a beach",
            ),
            (
                "a cat to the left of a dog",
                "a cat on the left of a dog",
                "a cat to the right of a dog",
            ),
            ("a big bear in the snow", "a large bear in the snow", "a small bear in the snow"),
            ("a ship on a yellow background", "a boat on yellow", "a ship on a purple background"),
            (
                "three cherries on a white background",
                "three cherries on white",
                "two cherries on a white background",
            ),
            (
                "a pig above a cloud in the sky",
                "a pig over a cloud in the sky",
                "a pig below a cloud in the sky",
            ),
            ("a small duck on the grass", "a tiny duck on a lawn", "a big duck on the grass"),
            ("a house on a black background", "a home on black", "a house on a white background"),
            (
                "two cats under a night sky",
                "a pair of cats at night",
                "three cats under a night sky",
            ),
            ("a sun above a mountain", "a sun over a mountain", "a sun below a mountain"),
            (
                "a tulip on a pink background",
                "a tulip against pink",
                "a tulip on a green background",
            ),
            ("a big shark underwater", "a huge shark in the sea", "a small shark underwater"),
            (
                "a horse to the right of a barn",
                "a horse on the right of a barn",
                "a horse to the left of a barn",
            ),
            ("three stars in outer space", "a trio of stars in space", "two stars in outer space"),
            (
                "a red balloon in the sky",
                "a scarlet balloon in the sky",
                "a green balloon in the sky",
            ),
        ],
    ),
    *_triples(
        "rival",
        "free",
        [
            (
                "a black cat on a white fence",
                "a black cat sitting on a white fence",
                "a white cat on a black fence",
            ),
            ("a hot cup of tea", "a warm mug of tea", "a cold cup of tea"),
            ("a man in a grey coat", "a man wearing a gray coat", "a man in a brown coat"),
            ("two boys playing chess", "a pair of boys playing chess", "four boys playing chess"),
            ("a dog at night", "a dog in the night", "a dog in the morning"),
            ("a happy child at a party", "a joyful kid at a party", "a sad child at a party"),
            ("an old woman knitting", "an elderly woman knitting", "a young woman knitting"),
            (
                "a lamp on the left of a bed",
                "a light to the left of a bed",
                "a lamp on the right of a bed",
            ),
            (
                "a huge dog next to a tiny cat",
                "a giant dog beside a little cat",
                "a tiny dog next to a huge cat",
            ),
            (
                "a blue door in a white wall",
                "a blue door in a white wall of a house",
                "a red door in a white wall",
            ),
            (
                "a cat sleeping under a table",
                "a cat napping beneath a table",
                "a cat sleeping on a table",
            ),
            (
                "a girl in a yellow dress",
                "a girl wearing a yellow gown",
                "a girl in a purple dress",
            ),
            ("five ducks in a pond", "five ducks swimming in a pond", "two ducks in a pond"),
            (
                "a bird flying up into the sky",
                "a bird rising up into the sky",
                "a bird flying down from the sky",
            ),
            (
                "a cold winter morning in a village",
                "a chilly winter morning in a hamlet",
                "a hot summer morning in a village",
            ),
            ("a dog inside a house", "a dog in a house", "a dog outside a house"),
        ],
    ),
    # Added in the fifth session, before any constant was tuned again: more of the two weakest
    # kinds (the test half then ordered 52.9% of paraphrases and 87.5% of attributes right).
    *_triples(
        "paraphrase",
        "grammar",
        [
            (
                "a cat next to a dog on the grass",
                "a kitten beside a puppy on a lawn",
                "a cat next to a dog in the desert",
            ),
            ("a sailboat on the ocean", "a sailing boat on the sea", "a sailboat in the desert"),
            (
                "two penguins on a snowy hill",
                "a pair of penguins on a snow-covered slope",
                "two penguins on a sandy beach",
            ),
            ("a small frog on the grass", "a tiny toad on a lawn", "a small frog in the snow"),
            ("a car in the city", "an automobile among buildings", "a car in the forest"),
            ("a fish underwater", "a fish beneath the sea", "a fish in the sky"),
            ("a horse in a field", "a pony in a meadow", "a horse in a kitchen"),
            (
                "a big elephant in the desert",
                "a large elephant among sand dunes",
                "a big elephant in the snow",
            ),
        ],
    ),
    *_triples(
        "paraphrase",
        "free",
        [
            (
                "a man riding a bicycle down a street",
                "a guy cycling along a road",
                "a man riding a horse down a street",
            ),
            (
                "a chef cooking in a kitchen",
                "a cook preparing food at a stove",
                "a chef cooking in a forest",
            ),
            ("a cat sleeping on a sofa", "a kitten napping on a couch", "a cat sleeping on a roof"),
            (
                "a boy playing football in a field",
                "a kid kicking a soccer ball on a pitch",
                "a boy playing chess in a field",
            ),
            (
                "an astronaut floating in space",
                "a spaceman drifting among the stars",
                "an astronaut floating in a pool",
            ),
            (
                "a pirate ship on a stormy sea",
                "a buccaneer vessel in rough waters",
                "a pirate ship on a calm lake",
            ),
            ("a baby sleeping in a crib", "an infant asleep in a cot", "a baby crying in a crib"),
            (
                "a farmer driving a tractor",
                "a peasant steering a farm vehicle",
                "a farmer driving a car",
            ),
            (
                "a bird singing in a tree",
                "a songbird chirping on a branch",
                "a bird singing in a cage",
            ),
            (
                "an old man fishing on a lake",
                "an elderly man angling by a pond",
                "an old man swimming in a lake",
            ),
            (
                "a doctor talking to a patient",
                "a physician speaking with a sick person",
                "a doctor talking to a dog",
            ),
            ("a student writing an exam", "a pupil taking a test", "a teacher writing an exam"),
            (
                "a police car chasing a thief",
                "a squad car pursuing a robber",
                "a police car chasing a dog",
            ),
            (
                "a quiet village in the mountains",
                "a peaceful hamlet in the hills",
                "a quiet village by the sea",
            ),
            ("an empty street at night", "a deserted road after dark", "a crowded street at night"),
        ],
    ),
    *_triples(
        "attribute",
        "free",
        [
            ("a wooden chair", "a chair made of wood", "a plastic chair"),
            (
                "a golden crown on a pillow",
                "a crown made of gold on a cushion",
                "a silver crown on a pillow",
            ),
            ("a snowy mountain", "a mountain covered with snow", "a green mountain"),
            (
                "a tiny mouse next to a huge cheese",
                "a very small mouse beside an enormous cheese",
                "a huge mouse next to a tiny cheese",
            ),
            (
                "a glass vase with flowers",
                "a vase made of glass holding flowers",
                "a clay vase with flowers",
            ),
            ("a furry cat", "a fluffy cat", "a hairless cat"),
            ("a rusty old car", "an old car covered in rust", "a shiny new car"),
            ("a sandy beach at sunset", "a beach of sand at dusk", "a rocky beach at sunset"),
            (
                "a stone bridge over a river",
                "a bridge built of stone across a stream",
                "a metal bridge over a river",
            ),
            ("a leather bag", "a bag made of leather", "a paper bag"),
            ("a big red balloon", "a large crimson balloon", "a small red balloon"),
            ("a frozen lake", "a lake covered in ice", "a muddy lake"),
            ("a silver spoon", "a spoon made of silver", "a wooden spoon"),
        ],
    ),
]


def _marks(kind: str, expected: str, rows: list[tuple[str, str, str]]) -> list[MarkCase]:
    return [MarkCase(kind, answer, guess, word, expected) for answer, guess, word in rows]


MARK_CASES: list[MarkCase] = [
    *_marks(
        "synonym",
        "near",
        [
            ("a couch on a blue background", "a sofa", "couch"),
            ("a car on the grass", "an automobile", "car"),
            ("an airplane in the sky", "an aeroplane", "airplane"),
            ("a boy eating an apple", "a kid", "boy"),
            ("a big bear in the snow", "a large bear", "big"),
            ("a small owl", "a tiny owl", "small"),
            ("two cats on the grass", "a pair of cats", "two"),
            ("three stars in outer space", "a trio of stars", "three"),
            ("a hamburger on a red background", "a burger", "hamburger"),
            ("a grey cat", "a gray cat", "grey"),
            ("a colourful parrot", "a colorful parrot", "colourful"),
            ("a wooden house", "a house made of wood", "wooden"),
            ("a frog on the grass", "a toad", "frog"),
            ("a stone on a beach", "a rock", "stone"),
            ("a big ship in a harbour", "a big ship in a harbor", "harbour"),
            ("a shop on a busy road", "a store", "shop"),
        ],
    ),
    *_marks(
        "kind-of",
        "near",
        [
            ("a tent in the snow", "a teepee", "tent"),
            ("a tent in the snow", "a shelter", "tent"),
            ("a dog on a beach", "a puppy", "dog"),
            ("a cat on a beach", "a kitten", "cat"),
            ("a bird in the sky", "an owl", "bird"),
            ("an owl in the sky", "a bird", "owl"),
            ("a tree in the snow", "a pine", "tree"),
            ("a flower on a pink background", "a rose", "flower"),
            ("a rabbit on the grass", "a bunny", "rabbit"),
            ("a woman holding an umbrella", "a lady", "woman"),
            ("a red car in the snow", "a crimson car", "red"),
            ("a red balloon in the sky", "a scarlet balloon", "red"),
            ("a boat on a lake", "a rowboat", "boat"),
            ("a horse in a stable", "a stallion", "horse"),
            ("a gift box on a green background", "a present", "gift"),
            ("a puppy on the grass", "a dog", "puppy"),
        ],
    ),
    *_marks(
        "part",
        "absent",
        [
            ("a car on the grass", "a wheel", "car"),
            ("a bird in the sky", "a wing", "bird"),
            ("a tree in the snow", "a branch", "tree"),
            ("a house on a black background", "a roof", "house"),
            ("a flower on a pink background", "a petal", "flower"),
            ("a ship underwater", "a sail", "ship"),
            ("a castle under a night sky", "a tower", "castle"),
            ("a bicycle next to a bus", "a pedal", "bicycle"),
            ("a guitar on a purple background", "a string", "guitar"),
            ("a dog on a beach", "a tail", "dog"),
            ("a clock on a wall", "a hand", "clock"),
            ("an elephant in the desert", "a trunk", "elephant"),
        ],
    ),
    *_marks(
        "related",
        "absent",
        [
            ("a cat on a beach", "a dog", "cat"),
            ("a dog in the snow", "a wolf", "dog"),
            ("a car on the grass", "a truck", "car"),
            ("a tent in the snow", "a house", "tent"),
            ("a tent in the snow", "a dog in the snow", "tent"),
            ("an apple on a white background", "a banana", "apple"),
            ("a lion in the desert", "a tiger", "lion"),
            ("a rabbit on the grass", "a fox", "rabbit"),
            ("a bee above a flower", "a wasp", "bee"),
            ("a violin on a blue background", "a guitar", "violin"),
            ("a king on a throne", "a queen", "king"),
            ("a tree in the snow", "a forest", "tree"),
            ("a shark underwater", "a dolphin", "shark"),
            ("a spoon in a cup", "a fork", "spoon"),
        ],
    ),
    *_marks(
        "rival",
        "absent",
        [
            ("a red car in the snow", "a blue car", "red"),
            ("two cats on the grass", "three cats", "two"),
            ("a cat to the left of a dog", "a cat to the right of a dog", "left"),
            ("a big bear in the snow", "a small bear", "big"),
            ("a small duck on the grass", "a huge duck", "small"),
            ("a black cat", "a white cat", "black"),
            ("a hot cup of tea", "a cold cup of tea", "hot"),
            ("a dog at night", "a dog in the morning", "night"),
            ("a pig above a cloud", "a pig below a cloud", "above"),
            ("an old woman knitting", "a young woman knitting", "old"),
            ("a happy child", "a sad child", "happy"),
            ("a sun above a mountain", "a moon above a mountain", "sun"),
            ("a dog inside a house", "a dog outside a house", "inside"),
            ("a yellow tulip", "a purple tulip", "yellow"),
        ],
    ),
    *_marks(
        "other-role",
        "present",
        [
            ("a dog chasing a ball", "a ball chasing a cat", "ball"),
            ("an owl above a crescent moon", "a moon above a tree", "moon"),
            ("a cat next to a dog on the grass", "a dog on a sofa", "dog"),
            ("a big owl next to a small tree", "a small owl", "small"),
            ("a rocket above a planet in outer space", "a planet in the sky", "planet"),
            ("a knight fighting a dragon", "a dragon eating an apple", "dragon"),
            ("a fish below a sailboat underwater", "a sailboat in the desert", "sailboat"),
            ("a man walking a dog", "a dog walking on a beach", "dog"),
            ("a penguin on a beach", "a beach next to a penguin", "beach"),
            ("a lion next to a zebra in the desert", "a zebra in the snow", "zebra"),
            ("a red car next to a blue bus", "a blue car", "blue"),
            ("a bee above a sunflower", "a sunflower in a vase", "sunflower"),
        ],
    ),
    *_marks(
        "same-role",
        "exact",
        [
            ("a big owl next to a small tree", "a tiny owl", "owl"),
            ("a big owl next to a small tree", "a owl beside a big tree", "tree"),
            ("a dog chasing a ball in the park", "a puppy chasing a cat", "chasing"),
            ("a tent in the snow", "a teepee in the snow", "snow"),
            ("a tent in the snow", "snow", "snow"),
            (
                "two small penguins to the left of a sailboat on a beach",
                "a penguin on a beach",
                "beach",
            ),
            ("a cat next to a dog on the grass", "a kitten next to a dog", "dog"),
            ("a red car in the snow", "a car", "car"),
            ("an owl above a crescent moon under a night sky", "an owl under a night sky", "sky"),
            ("a woman reading a book in a library", "a lady reading a book", "book"),
            ("a small frog next to a big mushroom", "a frog beside a mushroom", "mushroom"),
            ("three balloons above a birthday cake", "a cake", "cake"),
        ],
    ),
]


def in_test_half(*texts: str) -> bool:
    """A fixed split: the first byte of a SHA-256 of the case's text, odd for the test half."""
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).digest()
    return digest[0] % 2 == 1


DEV_TRIPLES = [t for t in TRIPLES if not in_test_half(t.answer, t.better, t.worse)]
TEST_TRIPLES = [t for t in TRIPLES if in_test_half(t.answer, t.better, t.worse)]
DEV_MARKS = [c for c in MARK_CASES if not in_test_half(c.answer, c.guess, c.word)]
TEST_MARKS = [c for c in MARK_CASES if in_test_half(c.answer, c.guess, c.word)]
