"""How long one puzzle takes to draw on this machine: 16 candidates, CLIP keeps 6.

The built-in model (`generator/weights/default/`) against the previous built-in model, taken
from git (`--previous-rev`, by default the last commit before the 16×16-token model) and run in
the same process, on the same prompts. Per model: load time, the first puzzle (it compiles),
then the mean of `--puzzles` further puzzles (different prompts and seeds). The goal for the
built-in model is at most 60 s per puzzle on a 2-core CPU.

    .venv/bin/python benchmarks/puzzle_generation.py              # about 5 minutes on 2 cores
    .venv/bin/python benchmarks/puzzle_generation.py --puzzles 5 --previous-rev HEAD~3
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from generator.pipeline import DEFAULT_MODEL_DIR, Generator

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = "generator/weights/default"
PROMPTS = (
    "a tent in the snow",
    "two small penguins to the left of a sailboat on a beach",
    "three apples on a green background",
    "an owl above a tent under a night sky",
    "a big pizza on a blue background",
    "a shark underwater",
)


def previous_weights(revision: str, into: Path) -> Path:
    """The built-in weights as they were at a git revision, unpacked into `into`."""
    archive = subprocess.run(
        ["git", "archive", revision, WEIGHTS], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / WEIGHTS


def measure(model_dir: Path, puzzles: int) -> dict[str, float]:
    started = time.perf_counter()
    generator = Generator(model_dir)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    generator.generate(PROMPTS[0], candidates=16, keep=6, seed=0)
    first = time.perf_counter() - started
    times = []
    for index in range(puzzles):
        prompt = PROMPTS[1 + index % (len(PROMPTS) - 1)]
        started = time.perf_counter()
        generator.generate(prompt, candidates=16, keep=6, seed=100 + index)
        times.append(time.perf_counter() - started)
    return {
        "load": loaded,
        "first": first,
        "puzzle": sum(times) / len(times),
        "tokens": generator.bart.config.image_length,
        "side": generator.vqgan.config.resolution,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puzzles", type=int, default=3, help="timed puzzles after the first")
    parser.add_argument("--previous-rev", default="e934636", help="git revision of the baseline")
    parser.add_argument(
        "--model-dir", type=Path, default=None, help="the model to time (default: the built-in)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        baseline = previous_weights(args.previous_rev, Path(scratch))
        rows = [
            (f"previous built-in ({args.previous_rev})", measure(baseline, args.puzzles)),
            (
                "built-in now" if args.model_dir is None else str(args.model_dir),
                measure(args.model_dir or DEFAULT_MODEL_DIR, args.puzzles),
            ),
        ]
    print(f"\nOne puzzle = 16 candidates, 6 kept; mean of {args.puzzles} puzzles after the first.")
    header = f"{'model':32} {'tokens':>6} {'px':>4} {'load s':>7} {'first s':>8} {'puzzle s':>9}"
    print(header + f" {'× previous':>11}")
    base = rows[0][1]["puzzle"]
    for name, row in rows:
        print(
            f"{name:32} {row['tokens']:6.0f} {row['side']:4.0f} {row['load']:7.1f} "
            f"{row['first']:8.1f} {row['puzzle']:9.1f} {row['puzzle'] / base:11.2f}"
        )
    print("goal: at most 60 s per puzzle for the built-in model on a 2-core CPU")


if __name__ == "__main__":
    main()
