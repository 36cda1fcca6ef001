"""Drawing a blind reading: sheets of six pictures, each named by a letter, a key kept apart and
an answers form for the reader.

Every sheet is one held-out prompt of the grammar (a pair of objects or an object and a setting
that no training scene has), drawn afresh from the reading's seed. Three kinds of sheet, each on
its own prompts so that no prompt is seen twice:

- generated: the six pictures the game keeps (the pipeline draws 16 candidates, CLIP keeps 6);
- codec: six real renders of the prompt through the VQGAN (encode, decode), so that the loss of
  the codec and of DalleBart can be told apart;
- real: six real renders, the controls: what the 64 px world reads like when nothing is lost.

The sheets are shuffled and lettered; `DIR/key.json` holds the prompts and must not reach the
reader, who is given `DIR/sheets/` alone.
"""

from __future__ import annotations

import json
import shutil
import string
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm.auto import tqdm

from generator.pipeline import Generator
from generator.prompting import draw
from generator.training.captions import SceneSpec, caption
from generator.training.objects import objects_by_noun
from generator.training.scenes import render_scene
from generator.training.splits import draw_spec_for

KEY_FILE = "key.json"
SHEETS_DIR = "sheets"
FORM_FILE = "answers.json"
INSTRUCTIONS_FILE = "README.md"
KINDS = ("generated", "codec", "real")
PICTURES = 6
CANDIDATES = 16
SCALE = 3  # pictures are shown enlarged without smoothing, as the game shows them
GAP = 8
# Reading prompts come from held-out seeds far from the evaluation (0...) and validation
# (1,000,000...) prompts; each reading's seed picks its own block.
FIRST_SEED = 5_000_000
SEEDS_PER_READING = 10_000


@dataclass(frozen=True)
class SheetKey:
    """What one sheet shows: its prompt and how it was drawn (never shown to the reader)."""

    letter: str
    kind: str
    prompt: str
    objects: list[dict[str, object]]  # [{"noun", "count", "countable"}] in the prompt's order
    setting: str


def reading_prompts(seed: int, count: int) -> list[SceneSpec]:
    """`count` distinct held-out scene descriptions for the reading with this seed."""
    if seed < 0 or seed >= SEEDS_PER_READING:
        raise ValueError(f"the reading's seed must be in 0..{SEEDS_PER_READING - 1}, got {seed}")
    specs: list[SceneSpec] = []
    seen: set[str] = set()
    first = FIRST_SEED + seed * SEEDS_PER_READING
    for index in range(first, first + SEEDS_PER_READING):
        spec, _ = draw_spec_for("heldout", index)
        text = caption(spec)
        if text not in seen:
            seen.add(text)
            specs.append(spec)
            if len(specs) == count:
                return specs
    raise ValueError(f"fewer than {count} distinct prompts in this reading's seeds")


def letters() -> Iterator[str]:
    """A, B, ..., Z, AA, AB, ..."""
    yield from string.ascii_uppercase
    for first in string.ascii_uppercase:
        for second in string.ascii_uppercase:
            yield first + second


def real_renders(spec: SceneSpec, seed: int, size: int) -> np.ndarray:
    """Six real renders of a description (other layouts each), uint8 [6, size, size, 3]."""
    return np.stack(
        [render_scene(spec, np.random.default_rng([seed, 17, k]), size) for k in range(PICTURES)]
    )


def sheet_image(pictures: np.ndarray) -> Image.Image:
    """Six pictures in three columns and two rows, enlarged without smoothing."""
    side = pictures.shape[1] * SCALE
    columns, rows = 3, (len(pictures) + 2) // 3
    sheet = Image.new(
        "RGB", (columns * side + (columns + 1) * GAP, rows * side + (rows + 1) * GAP), "white"
    )
    for index, picture in enumerate(pictures):
        image = Image.fromarray(picture).resize((side, side), Image.Resampling.NEAREST)
        column, row = index % columns, index // columns
        sheet.paste(image, (GAP + column * (side + GAP), GAP + row * (side + GAP)))
    return sheet


def key_entry(letter: str, kind: str, spec: SceneSpec) -> SheetKey:
    table = objects_by_noun()
    objects: list[dict[str, object]] = [
        {"noun": phrase.noun, "count": phrase.count, "countable": not table[phrase.noun].mass}
        for phrase in spec.phrases
    ]
    return SheetKey(letter, kind, caption(spec), objects, spec.setting)


Drawer = Callable[[SceneSpec], np.ndarray]


def sheet_drawers(generator: Generator, seed: int, size: int) -> dict[str, Drawer]:
    """How each kind of sheet gets its six pictures."""

    def generated(spec: SceneSpec) -> np.ndarray:
        result = generator.generate(caption(spec), candidates=CANDIDATES, keep=PICTURES, seed=seed)
        return np.stack([np.asarray(candidate.image) for candidate in result.kept])

    def codec(spec: SceneSpec) -> np.ndarray:
        scenes = real_renders(spec, seed, size)
        codes = generator.vqgan.encode(scenes.astype(np.float32) / 255.0)
        return draw(generator.vqgan, generator.clip, codes, [caption(spec)])

    return {
        "generated": generated,
        "codec": codec,
        "real": lambda spec: real_renders(spec, seed, size),
    }


def draw_reading(
    out: Path,
    generator: Generator,
    seed: int,
    counts: dict[str, int],
    label: str = "",
) -> list[SheetKey]:
    """Write the lettered sheets, the answers form and its instructions under `out/sheets/`, and
    the key to `out/key.json`. Refuses a directory that already holds a reading."""
    if (out / KEY_FILE).exists():
        raise FileExistsError(f"{out} already holds a reading; draw a new one elsewhere")
    unknown = set(counts) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds of sheet: {sorted(unknown)} (known: {KINDS})")
    specs = reading_prompts(seed, sum(counts.values()))
    kinds = [kind for kind in KINDS for _ in range(counts.get(kind, 0))]
    order = np.random.default_rng([seed, 23]).permutation(len(specs))
    sheets_dir = out / SHEETS_DIR
    sheets_dir.mkdir(parents=True, exist_ok=True)
    drawers = sheet_drawers(generator, seed, generator.vqgan.config.resolution)
    keys: list[SheetKey] = []
    names = letters()
    for position in tqdm(order, desc="sheets", unit="sheet", dynamic_ncols=True):
        kind, spec = kinds[position], specs[position]
        letter = next(names)
        sheet_image(drawers[kind](spec)).save(sheets_dir / f"sheet-{letter}.png")
        keys.append(key_entry(letter, kind, spec))
    record = {
        "label": label,
        "seed": seed,
        "model": generator.model_name,
        "candidates": CANDIDATES,
        "sheets": [asdict(key) for key in keys],
    }
    (out / KEY_FILE).write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    write_form(sheets_dir, [key.letter for key in keys])
    return keys


def ship_reading(reading: Path, target: Path) -> None:
    """Copy a reading (key, sheets, filled form, scores) to where a shipped model keeps it."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(reading, target)


def write_form(sheets_dir: Path, sheet_letters: list[str]) -> None:
    """An empty answers form and how to fill it in: all the reader is given besides the sheets."""
    form = {
        letter: {"objects": [{"name": "", "count": 0}], "setting": "", "notes": ""}
        for letter in sheet_letters
    }
    (sheets_dir / FORM_FILE).write_text(json.dumps(form, indent=2) + "\n", "utf-8")
    (sheets_dir / INSTRUCTIONS_FILE).write_text(INSTRUCTIONS, "utf-8")


INSTRUCTIONS = """# Reading the sheets

Each `sheet-X.png` shows six small pictures (64 × 64 pixels, enlarged) drawn for one hidden
description, the way a player of a guess-the-prompt game sees them. The description names one or
two kinds of thing (each one, two or three of them) and a setting or a plain coloured background.

For every sheet, write in `answers.json` what you see, as a player would guess it:

- `objects`: each kind of thing you can name, most prominent first, with how many of it most of
  the six pictures show (`count`: 1, 2 or 3). Name the thing with an everyday noun ("rabbit",
  "fire truck"). Leave an object out rather than name what you cannot see; if you can name
  nothing, leave `objects` empty.
- `setting`: where the things are ("on a beach", "underwater", "in outer space", "on a green
  background", ...).
- `notes`: anything else (optional).

Look at each sheet on its own. There is no other material: the answers are not anywhere here.
"""
