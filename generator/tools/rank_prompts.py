"""Order a prompt CSV by how legibly the built-in model draws each prompt, most legible first.

For each row's `text`, the pipeline draws 16 candidates (seed 0), CLIP keeps six, and the
model's recogniser says how plainly the kept six show the prompt's objects (the legibility the
review page shows, 0-1). The rows are written back in that order, every column kept, and a
table of the figures is printed; `--below X` also drops the rows under X. The demo prompts
(`puzzles/data/demo_prompts.csv`) are ordered this way, so that the first days after a new
install are the pictures a player can read best:

    .venv/bin/python -m generator.tools.rank_prompts puzzles/data/demo_prompts.csv

It takes about 10 s a prompt on a 2-core CPU (a progress bar shows how far it is).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from generator.paths import BUILTIN_MODEL_DIR
from generator.pipeline import Generator


def kept_legibility(generator: Generator, prompt: str) -> float:
    """Mean legibility of the six pictures the pipeline keeps for `prompt` (seed 0)."""
    result = generator.generate(prompt, candidates=16, keep=6, seed=0)
    scores = [c.legibility for c in result.kept if c.legibility is not None]
    return float(np.mean(scores)) if scores else 0.0


def ranked(figures: list[float]) -> list[int]:
    """Row indices, most legible first; ties keep the file's order."""
    return sorted(range(len(figures)), key=lambda index: -figures[index])


def csv_text(fields: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", type=Path, help="a prompt CSV with a `text` column (rewritten)")
    parser.add_argument("--model", type=Path, default=BUILTIN_MODEL_DIR)
    parser.add_argument("--below", type=float, default=None, help="drop rows under this")
    args = parser.parse_args(argv)
    with args.csv.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        fields, rows = list(reader.fieldnames or []), list(reader)
    if "text" not in fields:
        parser.error(f"{args.csv} has no `text` column")
    generator = Generator(args.model, batch_size=16)
    figures = [
        kept_legibility(generator, row["text"])
        for row in tqdm(rows, desc="prompts", unit="prompt", dynamic_ncols=True)
    ]
    order = ranked(figures)
    kept = [i for i in order if args.below is None or figures[i] >= args.below]
    args.csv.write_text(csv_text(fields, [rows[i] for i in kept]), encoding="utf-8")
    print("| rank | legibility | prompt |\n|---|---|---|")
    for rank, index in enumerate(order, start=1):
        dropped = "" if args.below is None or figures[index] >= args.below else " (dropped)"
        print(f"| {rank} | {figures[index]:.2f} | {rows[index]['text']}{dropped} |")
    print(f"mean legibility {np.mean(figures):.2f}; {len(kept)} of {len(rows)} rows kept")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
