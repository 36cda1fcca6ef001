"""The codec ablation: several VQGANs, one judge, the same held-out scenes.

    python -m generator.training.ablation --recogniser DIR \\
        --codec "f8, 8×8 grid, 1024 codes (first built-in)=DIR1" --codec "f4 ...=DIR2"

Each codec encodes and decodes the same held-out scenes (at its own resolution); the recogniser
reads the reconstructions. Writes a markdown table (to `codec_ablation.md` beside this file by
default, which the model card includes) and prints it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from generator.clip import load_clip
from generator.recogniser import load_recogniser
from generator.training.captions import caption
from generator.training.evaluate import codebook_usage, psnr, reconstruct
from generator.training.markdown import percent, table
from generator.training.model_card import ABLATION_FILE
from generator.training.train_recogniser import heldout_scenes, recognition_figures
from generator.vqgan import load_vqgan


def ablation_table(
    recogniser_dir: Path, codecs: list[tuple[str, Path]], scenes: int, clip_dir: Path | None = None
) -> str:
    """`clip_dir`: the CLIP whose text states a decoder that reads the prompt is given."""
    recogniser = load_recogniser(recogniser_dir)
    clip = load_clip(clip_dir) if clip_dir is not None else None
    size = recogniser.config.image_size
    images, specs = heldout_scenes(scenes, size)
    captions = [caption(spec) for spec in specs]
    real = recognition_figures(recogniser, images, specs)
    rows = []
    for name, directory in codecs:
        vqgan = load_vqgan(directory)
        side = vqgan.config.resolution
        scaled = images if side == size else _resize(images, side)
        reconstructed, codes = reconstruct(vqgan, scaled, captions, clip)
        judged = reconstructed if side == size else _resize(reconstructed, size)
        figures = recognition_figures(recogniser, judged, specs)
        usage = codebook_usage(codes, vqgan.config.n_embed)
        rows.append(
            (
                name,
                vqgan.config.num_tokens,
                f"{np.mean(psnr(scaled, reconstructed)):.1f} dB",
                percent(usage["codes_used"]),
                percent(figures["objects"]),
                f"{figures['objects'] / max(real['objects'], 1e-9):.2f}",
                percent(figures["counts"]),
            )
        )
    header = [
        "codec",
        "tokens",
        "PSNR",
        "codes used",
        "objects recognised",
        "÷ real",
        "counts right",
    ]
    return (
        f"Codec ablation, on {scenes} held-out scenes, judged by the shipped recogniser (real "
        f"scenes: {percent(real['objects'])} of objects recognised, "
        f"{percent(real['counts'])} counts right):\n\n" + table(header, rows) + "\n"
    )


def _resize(images: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image

    return np.stack(
        [np.asarray(Image.fromarray(i).resize((side, side), Image.Resampling.BOX)) for i in images]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator.training.ablation")
    parser.add_argument("--recogniser", type=Path, required=True)
    parser.add_argument(
        "--codec", action="append", required=True, metavar="NAME=DIR", help="a VQGAN directory"
    )
    parser.add_argument("--scenes", type=int, default=500)
    parser.add_argument(
        "--clip", type=Path, default=None, help="the CLIP of a codec whose decoder reads the prompt"
    )
    parser.add_argument("--out", type=Path, default=ABLATION_FILE)
    args = parser.parse_args(argv)
    codecs = []
    for item in args.codec:
        name, separator, directory = item.rpartition("=")
        if not separator or not name:
            parser.error(f"--codec wants NAME=DIR, got {item!r}")
        codecs.append((name, Path(directory)))
    table = ablation_table(args.recogniser, codecs, args.scenes, args.clip)
    args.out.write_text(table, "utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
