"""`python -m generator.training STEP --out DIR [--size small]`: train the built-in model.

STEP is one of scenes, tokenizer, recogniser, vqgan, dalle_bart, clip, decoder, assemble, evaluate,
`all` (every step in order), `export` (ship DIR's evaluated model into
generator/weights/default/) or `adopt` (start DIR from a shipped model, `--from`, whose parts
then count as DIR's trained stages: e.g. to train a GPU-trained model's recogniser further).
Every step resumes where an interrupted run stopped. `--minutes M` fits each training stage's
steps to its share of M minutes on this machine (all of them when one stage runs alone).
`time` (no --out needed) measures seconds per step of each stage on this machine and
extrapolates the whole run. `card` (no --out needed) writes a shipped model's card again from
what ships beside it (`--target`, default the built-in model), e.g. after a blind reading.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from generator.training.configs import CONFIGS, get_config
from generator.training.paths import RunPaths, claim_run
from generator.training.run import ALL, STEPS, run_steps


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m generator.training",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("step", choices=[*STEPS, "all", "export", "adopt", "time", "card"])
    parser.add_argument("--out", type=Path, help="the run directory (all steps but time)")
    parser.add_argument("--size", choices=sorted(CONFIGS), default="small")
    parser.add_argument(
        "--stop-after",
        type=int,
        default=None,
        metavar="N",
        help="stop each training step at step N (it resumes from there later)",
    )
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        metavar="M",
        help="fit each training stage's steps to its share of M minutes on this machine "
        "(the first steps are timed; the fitted steps are kept, so a resumed run goes on alike)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        metavar="DIR",
        help="export: another evaluated run (e.g. the CPU recipe) whose figures the card shows",
    )
    parser.add_argument(
        "--prompts",
        type=int,
        default=None,
        metavar="N",
        help="evaluate: held-out prompts to evaluate on (default: the configuration's; fewer "
        "on a CPU, where each prompt costs a puzzle's generation)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="MODEL",
        help="adopt: the shipped model to start from (default generator/weights/default)",
    )
    parser.add_argument(
        "--target",
        type=Path,
        default=None,
        help="export: where to ship the model (default generator/weights/default)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = get_config(args.size)
    if args.step == "time":
        from generator.training.timing import measure, print_table

        print_table(config, measure(config))
        return 0
    if args.step == "card":
        from generator.paths import BUILTIN_MODEL_DIR
        from generator.training.export import write_card

        print(f"wrote {write_card(args.target or BUILTIN_MODEL_DIR, config)}")
        return 0
    if args.out is None:
        print("error: --out DIR is required for this step", file=sys.stderr)
        return 2
    paths = claim_run(args.out, config)
    if args.step == "export":
        from generator.training.export import DEFAULT_TARGET, export_model

        compare = RunPaths(args.compare) if args.compare else None
        target = export_model(paths, config, args.target or DEFAULT_TARGET, compare)
        print(f"exported to {target}")
        return 0
    if args.step == "adopt":
        from generator.paths import BUILTIN_MODEL_DIR
        from generator.training.adopt import adopt_model

        adopt_model(paths, args.source or BUILTIN_MODEL_DIR)
        print(f"adopted {args.source or BUILTIN_MODEL_DIR} into {args.out}")
        return 0
    if args.prompts is not None:
        if args.prompts < config.contact_sheet_prompts:
            print(
                f"error: --prompts must be at least {config.contact_sheet_prompts}", file=sys.stderr
            )
            return 2
        config = dataclasses.replace(config, evaluation_prompts=args.prompts)
    steps = list(ALL) if args.step == "all" else [args.step]
    run_steps(steps, paths, config, args.stop_after, args.minutes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
