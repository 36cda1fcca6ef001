"""`python -m generator`: generate ranked pictures for a prompt, or describe a model directory.

    python -m generator generate "a red apple on a table" --candidates 16 --keep 6 --seed 1 \
        --out runs/apple [--model-dir DIR] [--condition-scale 10 --temperature 1 --top-k 50]
    python -m generator info [--model-dir DIR]

The model directory defaults to $SIXFOLD_MODEL_DIR, else the built-in weights.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from generator.checkpoint import CheckpointError, read_config

# Errors a person can fix (bad path, bad file, bad value): one line, no traceback.
USER_ERRORS = (CheckpointError, FileNotFoundError, NotADirectoryError, ValueError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.command(args)
    except USER_ERRORS as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    generate = commands.add_parser("generate", help="draw pictures for a prompt, best first")
    generate.add_argument("prompt", help="what to draw")
    generate.add_argument("--candidates", type=_positive, default=16, help="pictures to draw")
    generate.add_argument("--keep", type=_positive, default=6, help="best pictures to save")
    generate.add_argument("--seed", type=_non_negative, default=0, help="first seed")
    generate.add_argument("--out", type=Path, required=True, help="directory for PNGs + JSON")
    _add_model_dir(generate)
    generate.add_argument(
        "--condition-scale", type=float, help="super-conditioning (the model's default, else 10)"
    )
    generate.add_argument("--temperature", type=float, help="sampling temperature (1.0)")
    generate.add_argument("--top-k", type=_non_negative, help="keep the k likeliest (50)")
    generate.add_argument("--top-p", type=float, help="nucleus mass (1.0)")
    generate.add_argument("--batch-size", type=_positive, default=8, help="pictures per batch")
    generate.add_argument(
        "--dtype",
        choices=("float32", "bfloat16", "float16"),
        default="float32",
        help="DalleBart compute dtype (the VQGAN and CLIP stay float32)",
    )
    generate.set_defaults(command=_generate)

    info = commands.add_parser("info", help="show each model's config and parameter count")
    _add_model_dir(info)
    info.set_defaults(command=_info)
    return parser


def _add_model_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-dir",
        default=os.environ.get("SIXFOLD_MODEL_DIR") or None,
        help="directory with dalle_bart/, vqgan/, clip/ (default: $SIXFOLD_MODEL_DIR, else the "
        "built-in weights)",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


# --- generate --------------------------------------------------------------------------------


def _generate(args: argparse.Namespace) -> int:
    from generator.pipeline import Generator, find_model_dir  # JAX loads only when needed

    if args.keep > args.candidates:
        raise ValueError(f"--keep {args.keep} is more than --candidates {args.candidates}")
    overrides = {
        "condition_scale": args.condition_scale,
        "temperature": args.temperature,
        "top_k": args.top_k,
        "top_p": args.top_p,
    }

    started = time.perf_counter()
    directory = find_model_dir(args.model_dir)  # a bad path fails before any notice is printed
    print(f"loading models from {directory} …", file=sys.stderr)
    generator = Generator(directory, dtype=args.dtype, batch_size=args.batch_size)
    # Options given on the command line replace the model's own defaults (from model.json).
    chosen = {k: v for k, v in overrides.items() if v is not None}
    sampling = dataclasses.replace(generator.default_sampling, **chosen)
    with _ProgressBars() as bars:
        result = generator.generate(
            args.prompt, args.candidates, args.keep, args.seed, sampling, progress=bars.update
        )
    seconds = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(args.keep)))
    files = []
    for rank, candidate in enumerate(result.kept, start=1):
        name = f"{rank:0{width}d}.png"
        candidate.image.save(args.out / name)
        files.append(name)
    report = {
        "prompt": result.prompt,
        "text": result.text,
        "model": result.model_name,
        "model_dir": str(generator.model_dir),
        "seeds": [c.seed for c in result.candidates],
        "scores": [c.score for c in result.candidates],
        "kept": [
            {"file": name, "rank": rank, "seed": c.seed, "score": c.score}
            for rank, (name, c) in enumerate(zip(files, result.kept, strict=True), start=1)
        ],
        "candidates": args.candidates,
        "keep": args.keep,
        "first_seed": args.seed,
        "sampling": dataclasses.asdict(result.sampling),
        "dtype": args.dtype,
        "seconds": round(seconds, 2),
    }
    (args.out / "scores.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    best = result.candidates[0]
    print(
        f"saved the best {len(files)} of {args.candidates} to {args.out} "
        f"(best: seed {best.seed}, score {best.score:.2f}) in {seconds:.1f} s"
    )
    return 0


class _ProgressBars:
    """One tqdm bar per pipeline stage, fed by the generator's progress callback."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None
        self.stage = ""

    def update(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=f"{stage:>6}", unit="img" if total > 1 else "step")
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> _ProgressBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- info ------------------------------------------------------------------------------------


def _info(args: argparse.Namespace) -> int:
    from generator.pipeline import find_model_dir, read_model_name

    directory = find_model_dir(args.model_dir)
    print(f"model: {read_model_name(directory)}  ({directory})")
    total = 0
    for name, (config, count) in _describe(directory).items():
        total += count
        size = _file_size(directory / name / "flax_model.msgpack")
        print(f"\n{name}/  {count:,} parameters  ({size})")
        for key, value in config.items():
            print(f"  {key}: {json.dumps(value)}")
    print(f"\ntotal: {total:,} parameters")
    return 0


def _describe(directory: Path) -> dict[str, tuple[dict[str, Any], int]]:
    """Each model's config.json and its parameter count (from shapes; nothing is allocated)."""
    from generator import clip, dalle_bart, vqgan

    kinds: dict[str, tuple[Any, Callable[[Any], int]]] = {
        "dalle_bart": (dalle_bart.DalleBartConfig, dalle_bart.count_params),
        "vqgan": (vqgan.VQGANConfig, vqgan.count_params),
        "clip": (clip.CLIPConfig, clip.count_params),
    }
    described = {}
    for name, (config_class, count_params) in kinds.items():
        raw = read_config(directory / name)
        try:
            config = config_class.from_dict(raw)
        except (TypeError, ValueError, KeyError) as error:
            raise CheckpointError(f"{directory / name / 'config.json'}: {error}") from None
        described[name] = (raw, count_params(config))
    return described


def _file_size(path: Path) -> str:
    if not path.is_file():
        return "no flax_model.msgpack"
    return f"flax_model.msgpack {path.stat().st_size / 1e6:,.1f} MB"
