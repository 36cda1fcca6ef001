"""`python -m generator.training.blind draw|score`: a blind reading (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.training.blind.reading import FormError, score_reading, scores_table


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generator.training.blind")
    commands = parser.add_subparsers(dest="command", required=True)
    drawing = commands.add_parser("draw", help="draw lettered sheets, a key and an answers form")
    drawing.add_argument("--out", type=Path, required=True, help="a new directory for the reading")
    drawing.add_argument(
        "--seed", type=int, required=True, help="picks the prompts: a fresh one for every reading"
    )
    drawing.add_argument(
        "--model-dir", type=Path, default=None, help="the model (default: the built-in weights)"
    )
    drawing.add_argument(
        "--label", default="", help="how the model card names this reading (e.g. which model)"
    )
    drawing.add_argument("--generated", type=int, default=12, help="sheets the pipeline draws")
    drawing.add_argument("--codec", type=int, default=6, help="sheets of real scenes via the VQGAN")
    drawing.add_argument("--real", type=int, default=4, help="sheets of real renders (controls)")
    scoring = commands.add_parser("score", help="score a filled answers form against the key")
    scoring.add_argument("reading", type=Path, help="the reading's directory (holds key.json)")
    scoring.add_argument(
        "--answers", type=Path, default=None, help="the filled form (default: sheets/answers.json)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "draw":
        from generator.pipeline import Generator
        from generator.training.blind.sheets import draw_reading

        counts = {"generated": args.generated, "codec": args.codec, "real": args.real}
        if min(counts.values()) < 0 or not sum(counts.values()):
            print("error: the numbers of sheets must be >= 0, and not all 0", file=sys.stderr)
            return 2
        try:
            generator = Generator(args.model_dir)
            keys = draw_reading(args.out, generator, args.seed, counts, args.label)
        except (FileExistsError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{len(keys)} sheets in {args.out / 'sheets'}; give the reader that folder alone")
        return 0
    try:
        result = score_reading(args.reading, args.answers)
    except (FileNotFoundError, FormError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(scores_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
