"""(answer, better guess, worse guess) triples for the similarity score.

The better guess says the same thing in other words; the worse one shares words with the answer
but changes what the picture shows (roles or attributes swapped, a rival value, a different
thing). The scorer's constants were chosen on DEV (even positions) and checked on HELD_OUT (odd
positions); both halves mix the built-in model's caption language and general language.
"""

from __future__ import annotations

TRIPLES: list[tuple[str, str, str]] = [
    # ---- the built-in emoji-world model's caption language
    (
        "two small penguins to the left of a sailboat on a beach",
        "a pair of little penguins beside a sailing boat on the sand",
        "two small sailboats to the left of a penguin on a beach",
    ),
    (
        "a big rocket above a full moon in outer space",
        "a large spaceship over the moon in space",
        "a big moon above a rocket in outer space",
    ),
    (
        "three cats next to a dog on the grass",
        "a trio of kittens beside a puppy on a lawn",
        "three dogs next to a cat on the grass",
    ),
    (
        "a red car to the right of a tree in the snow",
        "a crimson automobile beside a tree on a snowy day",
        "a red tree to the right of a car in the snow",
    ),
    (
        "an owl above a crescent moon under a night sky",
        "an owl flying over the moon at night",
        "a crescent owl above the moon in the sky",
    ),
    (
        "two small fish below a sailboat underwater",
        "a couple of little fish swimming beneath a boat in the sea",
        "two small sailboats below a fish underwater",
    ),
    (
        "a big elephant next to a small mouse in the desert",
        "a huge elephant beside a little mouse in the sand dunes",
        "a small elephant next to a big mouse in the desert",
    ),
    (
        "a snowman to the left of a christmas tree in the snow",
        "a snowman beside a decorated fir tree in a snowy landscape",
        "a christmas tree to the left of a snowman in the desert",
    ),
    (
        "three balloons above a birthday cake on a pink background",
        "three party balloons floating over a birthday cake on pink",
        "three birthday cakes above a balloon on a pink background",
    ),
    (
        "a dragon next to a castle on a black background",
        "a dragon beside a fortress on black",
        "a castle next to a dragon on a white background",
    ),
    (
        "two rabbits to the right of a carrot on the grass",
        "a pair of bunnies beside a carrot on the lawn",
        "two carrots to the right of a rabbit on the grass",
    ),
    (
        "a unicorn below a rainbow in the sky",
        "a unicorn underneath a rainbow among the clouds",
        "a rainbow below a unicorn in the sky",
    ),
    (
        "a big pizza above a small hamburger on a yellow background",
        "a large pizza over a little burger on yellow",
        "a small pizza above a big hamburger on a blue background",
    ),
    (
        "a shark to the left of a small octopus underwater",
        "a shark beside a little octopus in the ocean",
        "an octopus to the left of a small shark underwater",
    ),
    (
        "two small bicycles next to a bus on a green background",
        "a couple of little bikes beside a bus on green",
        "two small buses next to a bicycle on a green background",
    ),
    (
        "a teddy bear above a gift box on a red background",
        "a stuffed bear over a present on red",
        "a gift box above a teddy bear on a green background",
    ),
    (
        "a helicopter to the right of a mountain in the sky",
        "a chopper flying beside a mountain peak",
        "a mountain to the right of a helicopter in the sky",
    ),
    (
        "three strawberries below a cupcake on a white background",
        "three berries under a little cake on white",
        "three cupcakes below a strawberry on a white background",
    ),
    (
        "a frog next to a big mushroom on the grass",
        "a toad beside a large mushroom on the lawn",
        "a mushroom next to a big frog on the grass",
    ),
    (
        "a flying saucer above a cow in the desert",
        "a ufo hovering over a cow in the sand",
        "a cow above a flying saucer in the desert",
    ),
    (
        "two small dolphins to the left of a whale underwater",
        "a pair of little dolphins beside a whale in the sea",
        "two small whales to the left of a dolphin underwater",
    ),
    (
        "a tractor next to a pig on the grass",
        "a farm tractor beside a pig in a field",
        "a pig next to a tractor in the snow",
    ),
    (
        "a guitar to the right of a drum on a purple background",
        "a guitar beside a drum on purple",
        "a drum to the right of a guitar on an orange background",
    ),
    (
        "a big tiger below a palm tree on a beach",
        "a large tiger under a palm on the sand",
        "a big palm tree below a tiger on a beach",
    ),
    (
        "a penguin above an umbrella in the snow",
        "a penguin over a parasol in snowy weather",
        "an umbrella above a penguin in the snow",
    ),
    (
        "three stars above a planet in outer space",
        "three stars over a planet in space",
        "three planets above a star in outer space",
    ),
    (
        "a fox to the left of a rabbit in the snow",
        "a fox beside a bunny in a snowy field",
        "a rabbit to the left of a fox in the snow",
    ),
    (
        "a small volcano next to a desert island underwater",
        "a little volcano beside a tropical island in the sea",
        "a desert volcano next to a small island underwater",
    ),
    (
        "two hot air balloons above a house in the sky",
        "a pair of hot air balloons floating over a home",
        "two houses above a hot air balloon in the sky",
    ),
    (
        "a crab to the right of a starfish on a beach",
        "a crab beside a starfish on the sand",
        "a starfish to the right of a crab on a beach",
    ),
    # ---- general language
    (
        "a dog chasing a ball in the park",
        "a puppy running after a ball in a park",
        "a ball chasing a dog in the park",
    ),
    (
        "a woman reading a book in a cozy library",
        "a lady enjoying a novel in a warm library",
        "a book reading a woman in a cozy library",
    ),
    (
        "children building a sandcastle at the seaside",
        "kids making a sand castle on the beach",
        "a sandcastle building children at the seaside",
    ),
    (
        "an old man feeding pigeons in the square",
        "an elderly gentleman giving bread to pigeons in a plaza",
        "old pigeons feeding a man in the square",
    ),
    (
        "a chef cooking pasta in a busy kitchen",
        "a cook preparing spaghetti in a crowded kitchen",
        "pasta cooking a chef in a busy kitchen",
    ),
    (
        "a lighthouse on a cliff during a storm",
        "a lighthouse standing on a rocky cliff in stormy weather",
        "a storm on a cliff during a lighthouse",
    ),
    (
        "a fox hiding in the tall grass",
        "a fox concealed among high grass",
        "tall grass hiding in a fox",
    ),
    (
        "a teddy bear having a picnic in the forest",
        "a stuffed bear eating lunch on a blanket in the woods",
        "a forest having a picnic in a teddy bear",
    ),
    (
        "a bicycle leaning against a brick wall",
        "a bike propped up against a wall of bricks",
        "a brick wall leaning against a bicycle",
    ),
    (
        "an astronaut floating in space above the earth",
        "an astronaut drifting in orbit over our planet",
        "the earth floating in space above an astronaut",
    ),
    (
        "a girl flying a kite on a windy hill",
        "a young girl with a kite on a breezy hilltop",
        "a kite flying a girl on a windy hill",
    ),
    (
        "a dragon guarding a pile of gold",
        "a dragon protecting a heap of treasure",
        "a pile of gold guarding a dragon",
    ),
    (
        "a farmer driving a tractor through a field",
        "a farmer on a tractor crossing farmland",
        "a field driving a tractor through a farmer",
    ),
    ("a penguin holding an umbrella", "a penguin with a parasol", "an umbrella holding a penguin"),
    (
        "a giraffe eating leaves from a tall tree",
        "a giraffe feeding on foliage of a high tree",
        "a tall tree eating leaves from a giraffe",
    ),
    ("a boy hugging his dog", "a kid embracing his puppy", "a dog hugging his boy"),
    (
        "a hot cup of coffee on a cold morning",
        "a warm mug of coffee on a chilly morning",
        "a cold cup of coffee on a hot morning",
    ),
    (
        "the sun setting behind the mountains",
        "a sunset over the mountain range",
        "the mountains setting behind the sun",
    ),
    (
        "a monkey eating a banana in a tree",
        "an ape snacking on a banana up a tree",
        "a banana eating a monkey in a tree",
    ),
    (
        "a cat sleeping inside a cardboard box",
        "a kitten napping in a carton",
        "a cardboard box sleeping inside a cat",
    ),
    (
        "a man riding a horse on the beach",
        "a man on horseback by the sea",
        "a horse riding a man on the beach",
    ),
    (
        "a robot watering flowers in a garden",
        "a machine giving water to plants in a garden",
        "flowers watering a robot in a garden",
    ),
    (
        "a small boat on a calm lake at sunrise",
        "a little rowboat on still water at dawn",
        "a calm boat on a small lake at sunset",
    ),
    (
        "a black cat sitting on a white fence",
        "a dark kitten perched on a pale fence",
        "a white cat sitting on a black fence",
    ),
    (
        "a grandmother knitting a scarf by the fire",
        "an old woman making a scarf next to the fireplace",
        "a scarf knitting a grandmother by the fire",
    ),
    (
        "a wolf howling at the full moon",
        "a wolf crying out to the moon",
        "the full moon howling at a wolf",
    ),
    (
        "a student sleeping on a pile of books",
        "a pupil napping on a stack of textbooks",
        "a pile of books sleeping on a student",
    ),
    (
        "a bear catching a fish in a river",
        "a bear grabbing a salmon in a stream",
        "a fish catching a bear in a river",
    ),
    (
        "two children playing chess in the park",
        "a pair of kids playing a board game outdoors",
        "three children playing football in the park",
    ),
    (
        "a knight fighting a dragon in front of a castle",
        "a warrior battling a dragon before a fortress",
        "a dragon fighting a knight behind a castle",
    ),
    (
        "a squirrel eating a nut on a branch",
        "a squirrel nibbling an acorn on a tree limb",
        "a nut eating a squirrel on a branch",
    ),
    (
        "a baby laughing at a puppy",
        "an infant giggling at a little dog",
        "a puppy laughing at a baby",
    ),
]

DEV = TRIPLES[0::2]
HELD_OUT = TRIPLES[1::2]
