"""How fast DalleBart decodes image tokens: the compiled cached loop against a naive loop,
and a mega-shaped decoder against its memory-bandwidth floor.

Table 1 (a small random model, same model and run for both rows): image tokens per second of
`generator.sampler.sample_image_tokens` (one jitted `fori_loop` over a preallocated KV cache,
cond + uncond rows batched, cross-attention K/V computed once) against a naive loop that
calls a jitted full forward (encoder + decoder over the whole 256-token sequence) from Python
once per token. The naive step costs the same at every position (the sequence is padded to
full length), so it is timed over `--naive-steps` steps and reported as a rate.

Table 2 (DALL·E Mega's decoder shape, 24 layers, d_model 2048, random bfloat16 weights made
directly with jax.random, no encoder): seconds per decode step at 1 and 9 images (2 and 18
rows), timed over `--mega-steps` steps of a compiled loop, next to the floor = bytes of decoder
weights one step must read (self-attention, cross-attention queries/outputs, GLU, lm_head; the
cross-attention K/V projections run once before the loop) / memory bandwidth measured in the
same run (a jitted sum over a large array).

On a CPU, XLA's bfloat16 matmuls are slower than its float32 ones despite reading half the
bytes (2-core run here: 3.4 vs 2.9 s/step at 2 rows, 12.2 vs 6.6 s/step at 18 rows), so pass
`--mega-dtype float32` to see what a CPU can do; bfloat16 is the default because it is what a
GPU runs.

The same script runs unchanged on a GPU and prints the same tables. The figure to compare with
there: min-dalle (torch) draws the 3×3 Mega grid (9 images, 256 steps) in about 10-15 s on an
A100 or A10G, i.e. about 40-60 ms per step at 18 rows.

    .venv/bin/python benchmarks/generator_decode.py            # a few minutes on 2 CPU cores
    .venv/bin/python benchmarks/generator_decode.py --skip-mega --naive-steps 32
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm import tqdm

from generator import checkpoint
from generator.dalle_bart import (
    DalleBart,
    DalleBartConfig,
    DalleBartModule,
    DecoderCache,
    EncoderContext,
    decode_step,
    expected_params,
    init_dalle_bart,
    init_decoder_cache,
)
from generator.sampler import SamplingConfig, sample_image_tokens


def main() -> None:
    args = _parse_args()
    print(f"JAX backend: {jax.default_backend()} ({jax.devices()[0].device_kind})")
    if not args.skip_small:
        _print_table(*_cached_vs_naive(args))
    if not args.skip_mega:
        _print_table(*_mega_decoder(args))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d-model", type=int, default=256, help="small model width")
    parser.add_argument("--layers", type=int, default=4, help="small model encoder/decoder layers")
    parser.add_argument("--heads", type=int, default=8, help="small model attention heads")
    parser.add_argument("--ffn", type=int, default=512, help="small model GLU inner size")
    parser.add_argument("--images", type=int, default=2, help="images per small-model batch")
    parser.add_argument("--naive-steps", type=int, default=16, help="naive steps to time")
    parser.add_argument("--mega-steps", type=int, default=3, help="mega decode steps to time")
    parser.add_argument("--mega-images", type=int, nargs="+", default=[1, 9])
    parser.add_argument(
        "--mega-dtype", choices=["bfloat16", "float16", "float32"], default="bfloat16"
    )
    parser.add_argument("--bandwidth-mib", type=int, default=1024, help="array size to sum")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-mega", action="store_true")
    return parser.parse_args()


def _print_table(title: str, header: list[str], rows: list[list[str]], notes: list[str]) -> None:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    for note in notes:
        print(note)


def _best_time(run: Callable[[], Any], repeats: int = 1) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(run())
        best = min(best, time.perf_counter() - start)
    return best


# --- table 1: compiled cached loop vs naive full recomputation --------------------------------


def _small_model(args: argparse.Namespace) -> DalleBart:
    config = DalleBartConfig(
        d_model=args.d_model,
        encoder_layers=args.layers,
        decoder_layers=args.layers,
        encoder_attention_heads=args.heads,
        decoder_attention_heads=args.heads,
        encoder_ffn_dim=args.ffn,
        decoder_ffn_dim=args.ffn,
        encoder_vocab_size=50264,
        image_vocab_size=16384,
    )
    return init_dalle_bart(config, jax.random.key(0))


def _cached_vs_naive(args: argparse.Namespace) -> tuple[str, list[str], list[list[str]], list]:
    model = _small_model(args)
    config, images = model.config, args.images
    prompt = np.zeros((images, config.max_text_length), np.int32)
    prompt[:, :6] = [0, 100, 200, 300, 400, 2]
    empty = np.zeros_like(prompt)
    empty[:, :2] = [0, 2]
    mask, empty_mask = (prompt > 0).astype(np.int32), (empty > 0).astype(np.int32)
    mask[:, 0] = empty_mask[:, 0] = 1
    seeds = list(range(images))
    sampling = SamplingConfig()

    def cached() -> np.ndarray:
        return sample_image_tokens(model, prompt, mask, empty, empty_mask, seeds, sampling)

    compile_s = _best_time(cached)
    cached_s = _best_time(cached, repeats=2)
    naive_step_s = _naive_step_seconds(model, prompt, mask, empty, empty_mask, args.naive_steps)

    steps = config.image_length
    cached_rate = images * steps / cached_s
    naive_rate = images / naive_step_s
    header = ["loop", "images", "rows", "steps timed", "s/step", "image tokens/s", "speed-up"]
    rows = [
        ["compiled cached (sampler)", images, 2 * images, steps, f"{cached_s / steps:.4f}",
         f"{cached_rate:.1f}", f"{cached_rate / naive_rate:.1f}x"],
        ["naive full recompute", images, 2 * images, args.naive_steps, f"{naive_step_s:.4f}",
         f"{naive_rate:.1f}", "1.0x"],
    ]  # fmt: skip
    size = sum(math.prod(p.shape) for p in jax.tree_util.tree_leaves(model.params)) / 1e6
    title = (
        f"Decode loop, small random model (d_model {config.d_model}, {config.decoder_layers}+"
        f"{config.encoder_layers} layers, {size:.1f} M params, float32)"
    )
    notes = [f"(cached loop: first call incl. compilation {compile_s:.1f} s, not counted)"]
    return title, header, rows, notes


def _naive_step_seconds(
    model: DalleBart,
    prompt: np.ndarray,
    mask: np.ndarray,
    empty: np.ndarray,
    empty_mask: np.ndarray,
    steps: int,
) -> float:
    """Seconds per token step when every step recomputes the whole sequence."""
    config = model.config
    module = model.module
    forward = jax.jit(lambda params, ids, m, dec: module.apply({"params": params}, ids, m, dec))
    codes = config.image_codes

    @jax.jit
    def pick(logits: jax.Array, key: jax.Array) -> jax.Array:
        cond, uncond = jnp.split(logits[:, :codes], 2)
        guided = uncond + 10.0 * (cond - uncond)
        threshold = jax.lax.top_k(guided, 50)[0][:, -1:]
        return jax.random.categorical(key, jnp.where(guided >= threshold, guided, -jnp.inf))

    ids, text_mask = np.concatenate([prompt, empty]), np.concatenate([mask, empty_mask])
    tokens = np.full((len(ids), config.image_length), config.decoder_start_token_id, np.int32)
    key = jax.random.key(0)
    jax.block_until_ready(pick(forward(model.params, ids, text_mask, tokens)[:, 0], key))  # compile
    start = time.perf_counter()
    for step in tqdm(range(steps), desc="naive loop", leave=False):
        logits = forward(model.params, ids, text_mask, tokens)[:, step]
        drawn = np.asarray(pick(logits, jax.random.fold_in(key, step)))
        tokens[:, step + 1] = np.concatenate([drawn, drawn])
    return (time.perf_counter() - start) / steps


# --- table 2: mega-shaped decoder against the bandwidth floor --------------------------------


def _mega_decoder(args: argparse.Namespace) -> tuple[str, list[str], list[list[str]], list]:
    dtype = jnp.dtype(args.mega_dtype)
    config = DalleBartConfig.mega()
    params = _random_decoder_params(config, dtype)
    step_bytes = _bytes_read_per_step(params)
    bandwidth = _memory_bandwidth(args.bandwidth_mib)
    floor_s = step_bytes / bandwidth
    header = ["images", "rows", "steps timed", "s/step", "256 steps (s)", "floor s/step", "÷ floor"]
    rows = []
    for images in tqdm(args.mega_images, desc="mega decoder", leave=False):
        step_s = _mega_step_seconds(config, params, dtype, 2 * images, args.mega_steps)
        rows.append(
            [images, 2 * images, args.mega_steps, f"{step_s:.3f}", f"{256 * step_s:.1f}",
             f"{floor_s:.3f}", f"{step_s / floor_s:.1f}x"]
        )  # fmt: skip
    count = sum(math.prod(p.shape) for p in jax.tree_util.tree_leaves(params)) / 1e9
    title = f"Mega-shaped decoder + lm_head ({count:.2f} B params, random {dtype.name} weights)"
    notes = [
        f"weights read per step: {step_bytes / 1e9:.2f} GB; measured memory bandwidth "
        f"{bandwidth / 1e9:.1f} GB/s (jitted sum over {args.bandwidth_mib} MiB); "
        "floor = weights / bandwidth",
        "compare (GPU): min-dalle Mega 3x3 grid in about 10-15 s on an A100/A10G "
        "(~0.04-0.06 s/step at 18 rows)",
    ]
    return title, header, rows, notes


def _random_decoder_params(config: DalleBartConfig, dtype: Any) -> dict:
    """Decoder and lm_head weights drawn directly in `dtype` (no float32 copy of the model)."""
    shapes = expected_params(config)
    wanted = {"lm_head": shapes["lm_head"], "model": {"decoder": shapes["model"]["decoder"]}}
    flat = checkpoint.flatten_params(wanted)
    keys = jax.random.split(jax.random.key(0), len(flat))
    draw = jax.jit(
        lambda key, shape: config.init_std * jax.random.normal(key, shape, dtype),
        static_argnums=1,
    )
    params = {
        path: draw(key, tuple(spec.shape))
        for (path, spec), key in tqdm(
            zip(flat.items(), keys, strict=True), total=len(flat), desc="random weights"
        )
    }
    return checkpoint.unflatten_params(params)


def _bytes_read_per_step(params: dict) -> int:
    # Embedding tables are gathered (one row per token) and the cross-attention key/value
    # projections run once before the loop: neither is streamed at every step.
    once = ("embed_", "FlaxBartAttention_1/k_proj", "FlaxBartAttention_1/v_proj")
    flat = checkpoint.flatten_params(params)
    return sum(leaf.nbytes for path, leaf in flat.items() if not any(s in path for s in once))


def _memory_bandwidth(mib: int) -> float:
    data = jnp.ones((mib * 2**20 // 4,), jnp.float32)
    total = jax.jit(jnp.sum)
    jax.block_until_ready(total(data))
    seconds = _best_time(lambda: total(data), repeats=5)
    return data.nbytes / seconds


def _mega_step_seconds(
    config: DalleBartConfig, params: dict, dtype: Any, rows: int, steps: int
) -> float:
    module = DalleBartModule(config, dtype)
    heads, head_dim = (
        config.decoder_attention_heads,
        config.d_model // config.decoder_attention_heads,
    )
    cross_shape = (config.decoder_layers, rows, heads, config.max_text_length, head_dim)
    context = EncoderContext(
        cross_keys=jnp.full(cross_shape, 0.1, dtype),
        cross_values=jnp.full(cross_shape, 0.1, dtype),
        bias=jnp.zeros((rows, 1, 1, config.max_text_length), jnp.float32),
    )
    cache = init_decoder_cache(config, rows, dtype)
    run = jax.jit(functools.partial(_decode_loop, module, steps=steps))
    compiled = run.lower(params, context, cache).compile()
    start = time.perf_counter()
    jax.block_until_ready(compiled(params, context, cache))
    return (time.perf_counter() - start) / steps


def _decode_loop(
    module: DalleBartModule,
    params: dict,
    context: EncoderContext,
    cache: DecoderCache,
    steps: int,
) -> jax.Array:
    """`steps` decode steps in one compiled loop, feeding back the argmax token."""
    rows = cache.keys.shape[1]

    def body(step: jax.Array, carry: tuple) -> tuple:
        tokens, cache = carry
        logits, cache = decode_step(module, params, tokens, step, cache, context)
        return jnp.argmax(logits[:, : module.config.image_codes], axis=-1), cache

    start = jnp.full((rows,), module.config.decoder_start_token_id, jnp.int32)
    tokens, _ = jax.lax.fori_loop(0, steps, body, (start, cache))
    return tokens


if __name__ == "__main__":
    main()
