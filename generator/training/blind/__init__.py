"""A blind reading: pictures read by someone who has not seen the prompts.

A recogniser trained on real renders finds an object from its colour and place; a player needs
its shape. So the model card's headline figure is read by a person (or a helper that has seen
nothing but the sheets): `draw` makes sheets of six pictures for random held-out prompts of the
grammar, named by a letter only, with real renders mixed in as controls and a key kept apart;
the reader fills in the answers form; `score` checks the form against the key.

    python -m generator.training.blind draw --out DIR --seed N [--model-dir MODEL]
    python -m generator.training.blind score DIR

The reader is given DIR/sheets/ alone (the pictures, the form and how to fill it in), never
DIR/key.json, the prompts or an earlier reading of the same prompts. Draw a fresh seed for
every reading, and never tune on a set already read.
"""
