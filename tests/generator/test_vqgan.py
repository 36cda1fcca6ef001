"""VQGAN: published layout and sizes, decoding/encoding behaviour, saving and loading."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from generator.checkpoint import CheckpointError, flatten_params, read_params, write_params
from generator.vqgan import (
    VQGAN,
    VQGANConfig,
    VQGANModule,
    count_params,
    init_vqgan,
    load_vqgan,
    param_shapes,
    save_vqgan,
)

# 16 px images, a 8x8 token grid (f=2), attention at the 8x8 level of encoder and decoder.
TINY = VQGANConfig(
    ch=32,
    ch_mult=(1, 2),
    num_res_blocks=1,
    attn_resolutions=(8,),
    z_channels=16,
    resolution=16,
    n_embed=64,
    embed_dim=8,
)
# The published dalle-mini/vqgan_imagenet_f16_16384 config.json, as the hub serves it.
PUBLISHED_CONFIG = {
    "_name_or_path": "dalle-mini/vqgan_imagenet_f16_16384",
    "architectures": ["VQModel"],
    "attn_resolutions": [16],
    "ch": 128,
    "ch_mult": [1, 1, 2, 2, 4],
    "double_z": False,
    "dropout": 0.0,
    "embed_dim": 256,
    "give_pre_end": False,
    "in_channels": 3,
    "model_type": "",
    "n_embed": 16384,
    "num_res_blocks": 2,
    "num_resolutions": 5,
    "out_ch": 3,
    "resamp_with_conv": True,
    "resolution": 256,
    "transformers_version": "4.9.0.dev0",
    "z_channels": 256,
}


@pytest.fixture(scope="module")
def tiny() -> VQGAN:
    return init_vqgan(TINY, jax.random.PRNGKey(0))


def random_codes(batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, TINY.n_embed, (batch, TINY.num_tokens))


# --- sizes and names ---------------------------------------------------------------------------


def conv(k: int, cin: int, cout: int) -> int:
    return k * k * cin * cout + cout


def resnet(cin: int, cout: int) -> int:
    shortcut = conv(1, cin, cout) if cin != cout else 0
    return 2 * cin + conv(3, cin, cout) + 2 * cout + conv(3, cout, cout) + shortcut


def attention(c: int) -> int:
    return 2 * c + 4 * conv(1, c, c)


def expected_counts(c: VQGANConfig) -> tuple[int, int]:
    """(total, decode path), recounted from the taming architecture description."""
    widths = [c.ch * m for m in c.ch_mult]
    top = widths[-1]
    mid = 2 * resnet(top, top) + attention(top)
    encoder, width, res = conv(3, c.in_channels, c.ch), c.ch, c.resolution
    for i, out in enumerate(widths):
        for _ in range(c.num_res_blocks):
            encoder += resnet(width, out) + (attention(out) if res in c.attn_resolutions else 0)
            width = out
        if i != len(widths) - 1:
            encoder += conv(3, out, out)
            res //= 2
    encoder += mid + 2 * top + conv(3, top, c.z_channels * (2 if c.double_z else 1))
    decoder, width, res = conv(3, c.z_channels, top) + mid, top, c.grid_size
    for i in reversed(range(len(widths))):
        out = widths[i]
        for _ in range(c.num_res_blocks + 1):
            decoder += resnet(width, out) + (attention(out) if res in c.attn_resolutions else 0)
            width = out
        if i:
            decoder += conv(3, out, out)
            res *= 2
    decoder += 2 * widths[0] + conv(3, widths[0], c.out_ch)
    decode_path = c.n_embed * c.embed_dim + conv(1, c.embed_dim, c.z_channels) + decoder
    return decode_path + encoder + conv(1, c.z_channels, c.embed_dim), decode_path


def test_it_counts_tiny_parameters_exactly(tiny: VQGAN) -> None:
    total, decode_path = expected_counts(TINY)
    assert count_params(TINY) == total
    assert count_params(TINY, decode_only=True) == decode_path
    assert sum(leaf.size for leaf in jax.tree_util.tree_leaves(tiny.params)) == total


def test_it_sizes_the_published_model_without_allocating() -> None:
    config = VQGANConfig.f16_16384()
    assert count_params(config, decode_only=True) == pytest.approx(46.7e6, rel=0.005)
    # The published flax_model.msgpack (encoder + decoder, float32) is 304 MB.
    assert count_params(config) * 4 == pytest.approx(304e6, rel=0.005)
    assert (count_params(config), count_params(config, decode_only=True)) == expected_counts(config)


def test_it_names_parameters_as_the_published_file() -> None:
    shapes = flatten_params(param_shapes(VQGANConfig.f16_16384()))
    flat = {path: leaf.shape for path, leaf in shapes.items()}
    assert flat["quantize/embedding/embedding"] == (16384, 256)
    assert flat["quant_conv/kernel"] == (1, 1, 256, 256)
    assert flat["post_quant_conv/kernel"] == (1, 1, 256, 256)
    assert flat["decoder/conv_in/kernel"] == (3, 3, 256, 512)
    assert flat["decoder/mid/attn_1/q/kernel"] == (1, 1, 512, 512)
    assert flat["decoder/mid/block_2/norm2/scale"] == (512,)
    assert flat["decoder/up_4/attn_2/proj_out/bias"] == (512,)
    assert flat["decoder/up_4/upsample/conv/kernel"] == (3, 3, 512, 512)
    assert flat["decoder/up_3/block_0/nin_shortcut/kernel"] == (1, 1, 512, 256)
    assert flat["decoder/up_1/block_0/nin_shortcut/kernel"] == (1, 1, 256, 128)
    assert flat["decoder/up_0/block_2/conv2/kernel"] == (3, 3, 128, 128)
    assert flat["decoder/conv_out/kernel"] == (3, 3, 128, 3)
    assert flat["encoder/down_0/block_0/conv1/kernel"] == (3, 3, 128, 128)
    assert flat["encoder/down_0/downsample/conv/kernel"] == (3, 3, 128, 128)
    assert flat["encoder/down_4/attn_1/k/kernel"] == (1, 1, 512, 512)
    assert flat["encoder/conv_out/kernel"] == (3, 3, 512, 256)
    assert not any(
        p.startswith(("decoder/up_0/upsample", "encoder/down_4/downsample", "decoder/up_3/attn"))
        for p in flat
    )


# --- config ------------------------------------------------------------------------------------


def test_it_reads_the_published_config_and_keeps_unknown_keys() -> None:
    config = VQGANConfig.from_dict(PUBLISHED_CONFIG)
    assert config == VQGANConfig.f16_16384()
    assert config.num_tokens == 256
    assert config.to_dict() == PUBLISHED_CONFIG


def test_it_rejects_a_config_that_cannot_work() -> None:
    with pytest.raises(ValueError, match="GroupNorm"):
        VQGANConfig.from_dict({**PUBLISHED_CONFIG, "ch": 48})
    with pytest.raises(ValueError, match="num_resolutions"):
        VQGANConfig.from_dict({**PUBLISHED_CONFIG, "num_resolutions": 4})
    with pytest.raises(ValueError, match="n_embed"):
        VQGANConfig.from_dict({**PUBLISHED_CONFIG, "n_embed": 0})


# --- decoding and encoding ---------------------------------------------------------------------


def test_it_decodes_codes_to_clipped_images(tiny: VQGAN) -> None:
    codes = random_codes(2, seed=0)
    images = tiny.decode_code(codes)
    assert images.shape == (2, 16, 16, 3)
    assert images.dtype == np.float32
    raw = VQGANModule(TINY).apply({"params": tiny.params}, codes, method=VQGANModule.decode_code)
    assert float(np.min(raw)) < 0 or float(np.max(raw)) > 1  # random weights overshoot
    # jit may fuse ops differently from the eager run: equal within float32 rounding.
    np.testing.assert_allclose(images, np.clip(raw, 0, 1), atol=1e-5)


def test_it_lays_tokens_out_row_major(tiny: VQGAN) -> None:
    # GroupNorm and attention spread any change over the whole image, so the layout is checked
    # where it is decided: the latent grid the decoder receives.
    codes = random_codes(1, seed=1)
    changed = codes.copy()
    token = 13  # row 1, column 5 of the 8x8 grid
    changed[0, token] = (changed[0, token] + 7) % TINY.n_embed

    def grid(module: VQGANModule, c: jax.Array) -> jax.Array:
        return module.quantize.lookup(c)

    def latents(c: np.ndarray) -> np.ndarray:
        return np.asarray(VQGANModule(TINY).apply({"params": tiny.params}, c, method=grid))

    before, after = latents(codes), latents(changed)
    assert before.shape == (1, 8, 8, TINY.embed_dim)
    moved = np.argwhere(np.abs(after - before).sum(axis=-1)[0] > 0)
    assert moved.tolist() == [[1, 5]]
    table = np.asarray(tiny.params["quantize"]["embedding"]["embedding"])
    np.testing.assert_array_equal(after[0, 1, 5], table[changed[0, token]])


def test_it_encodes_a_decoded_image_to_a_code_grid(tiny: VQGAN) -> None:
    images = tiny.decode_code(random_codes(2, seed=2))
    codes = tiny.encode(images)
    assert codes.shape == (2, TINY.num_tokens)
    assert codes.dtype == np.int32
    assert codes.min() >= 0 and codes.max() < TINY.n_embed


def test_it_picks_the_nearest_codebook_entry(tiny: VQGAN) -> None:
    images = np.random.default_rng(3).random((2, 16, 16, 3), dtype=np.float32)

    def latents(module: VQGANModule, x: jax.Array) -> jax.Array:
        return module.quant_conv(module.encoder(x))

    # Full float32 matmuls, so that an accelerator's TF32 default cannot flip a near-tie.
    with jax.default_matmul_precision("float32"):
        z = np.asarray(VQGANModule(TINY).apply({"params": tiny.params}, images, method=latents))
        codes = tiny.encode(images)
    table = np.asarray(tiny.params["quantize"]["embedding"]["embedding"], dtype=np.float64)
    flat = z.reshape(-1, TINY.embed_dim).astype(np.float64)
    brute = ((flat[:, None, :] - table[None, :, :]) ** 2).sum(-1).argmin(axis=1)
    np.testing.assert_array_equal(codes, brute.reshape(2, -1))


def test_it_rejects_bad_codes_and_images(tiny: VQGAN) -> None:
    with pytest.raises(ValueError, match=r"\[0, 64\)"):
        tiny.decode_code(np.full((1, 64), 64))
    with pytest.raises(ValueError, match="square"):
        tiny.decode_code(np.zeros((1, 60), dtype=np.int32))
    with pytest.raises(ValueError, match="uint8"):
        tiny.encode(np.zeros((1, 16, 16, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tiny.encode(np.full((1, 16, 16, 3), 2.0, dtype=np.float32))


# --- saving and loading ------------------------------------------------------------------------


def test_it_saves_and_loads_bit_identical(tiny: VQGAN, tmp_path) -> None:
    extra = VQGANConfig.from_dict({**TINY.to_dict(), "architectures": ["VQModel"]})
    save_vqgan(VQGAN(extra, tiny.params), tmp_path)
    loaded = load_vqgan(tmp_path)
    assert loaded.config == TINY
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == ["VQModel"]
    saved, again = flatten_params(tiny.params), flatten_params(loaded.params)
    assert saved.keys() == again.keys()
    for path, leaf in saved.items():
        np.testing.assert_array_equal(np.asarray(again[path]), np.asarray(leaf), err_msg=path)
    codes = random_codes(1, seed=4)
    np.testing.assert_array_equal(loaded.decode_code(codes), tiny.decode_code(codes))


def test_it_names_a_misshaped_parameter(tiny: VQGAN, tmp_path) -> None:
    save_vqgan(tiny, tmp_path)
    params = read_params(tmp_path / "flax_model.msgpack")
    params["decoder"]["conv_out"]["kernel"] = np.zeros((3, 3, 32, 4), np.float32)
    write_params(tmp_path / "flax_model.msgpack", params)
    with pytest.raises(CheckpointError, match=r"decoder/conv_out/kernel.*\(3, 3, 32, 3\)"):
        load_vqgan(tmp_path)


def test_it_leaves_a_saved_model_alone_when_saving_a_bad_one(tiny: VQGAN, tmp_path) -> None:
    save_vqgan(tiny, tmp_path)
    before = (tmp_path / "flax_model.msgpack").read_bytes()
    broken = jax.tree_util.tree_map(lambda leaf: leaf, tiny.params)
    del broken["post_quant_conv"]
    with pytest.raises(CheckpointError, match="post_quant_conv/kernel"):
        save_vqgan(VQGAN(TINY, broken), tmp_path)
    assert (tmp_path / "flax_model.msgpack").read_bytes() == before


def test_it_loads_from_local_directories_only() -> None:
    with pytest.raises(CheckpointError, match="local"):
        load_vqgan("dalle-mini/vqgan_imagenet_f16_16384")


def test_it_names_the_file_of_a_malformed_config(tiny: VQGAN, tmp_path) -> None:
    save_vqgan(tiny, tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**TINY.to_dict(), "ch_mult": 5}))
    with pytest.raises(CheckpointError, match=r"config\.json.*ch_mult"):
        load_vqgan(tmp_path)
