"""A VQGAN decoder that reads the prompt (the built-in model's): its layers, sizes, inputs and
files. A published VQGAN's decoder is untouched: test_vqgan.py and the parity tests hold it."""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from generator.vqgan import (
    VQGAN,
    PromptStates,
    VQGANConfig,
    VQGANModule,
    count_params,
    decoder_head,
    init_vqgan,
    load_vqgan,
    save_vqgan,
)

TEXT_WIDTH = 24
PLAIN = VQGANConfig(
    ch=32,
    ch_mult=(1, 2),
    num_res_blocks=1,
    attn_resolutions=(),
    z_channels=16,
    resolution=16,
    n_embed=64,
    embed_dim=8,
)
READER = dataclasses.replace(PLAIN, text_width=TEXT_WIDTH, text_attn_resolutions=(8,), text_heads=4)


@pytest.fixture(scope="module")
def reader() -> VQGAN:
    model = init_vqgan(READER, jax.random.key(0))
    # The new layers start at zero (a plain decoder); give them weights that use the prompt.
    rng = np.random.default_rng(1)

    def wake(path: tuple, leaf: jax.Array) -> jax.Array:
        names = [getattr(part, "key", "") for part in path]
        if any(str(name).startswith("text_") for name in names):
            return jnp.asarray(rng.normal(0, 0.3, leaf.shape), jnp.float32)
        return leaf

    return VQGAN(READER, jax.tree_util.tree_map_with_path(wake, model.params))


def prompt(rows: int, seed: int, length: int = 5) -> PromptStates:
    rng = np.random.default_rng(seed)
    mask = np.ones((rows, length), np.int32)
    mask[:, -2:] = 0  # padding
    return PromptStates(
        tokens=jnp.asarray(rng.normal(size=(rows, length, TEXT_WIDTH)), jnp.float32),
        mask=jnp.asarray(mask),
        pooled=jnp.asarray(rng.normal(size=(rows, TEXT_WIDTH)), jnp.float32),
    )


def codes(rows: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, READER.n_embed, (rows, READER.num_tokens))


def test_it_adds_exactly_the_prompt_layers() -> None:
    film = 0  # per resnet block of the decoder: Dense(pooled -> 2 × channels)
    decoder_blocks = [64, 64] + [64] * 2 + [32] * 2  # mid (2), up_1 at 8 px (2), up_0 (2)
    for channels in decoder_blocks:
        film += TEXT_WIDTH * 2 * channels + 2 * channels
    # Cross-attention after each block at 8 px (up_1, 64 channels): norm, q, k, v, proj_out.
    attention = 2 * (2 * 64 + (64 * 64 + 64) + 2 * (TEXT_WIDTH * 64 + 64) + (64 * 64 + 64))
    assert count_params(READER) - count_params(PLAIN) == film + attention


def test_a_plain_config_file_is_the_published_one_and_a_reader_names_its_fields() -> None:
    assert "text_width" not in PLAIN.to_dict()
    saved = READER.to_dict()
    assert saved["text_width"] == TEXT_WIDTH and saved["text_attn_resolutions"] == [8]
    assert VQGANConfig.from_dict(saved) == READER


def test_it_rejects_prompt_settings_that_cannot_work() -> None:
    with pytest.raises(ValueError, match="no level at 12 px"):
        dataclasses.replace(PLAIN, text_width=8, text_attn_resolutions=(12,))
    with pytest.raises(ValueError, match="split into 5 heads"):
        dataclasses.replace(PLAIN, text_width=8, text_attn_resolutions=(8,), text_heads=5)
    with pytest.raises(ValueError, match="text_width"):
        dataclasses.replace(PLAIN, text_width=-1)


def test_the_picture_depends_on_the_prompt(reader: VQGAN) -> None:
    grid = codes(2)
    one, other = reader.decode_code(grid, prompt(2, 1)), reader.decode_code(grid, prompt(2, 2))
    assert one.shape == (2, 16, 16, 3)
    assert np.abs(one - other).mean() > 1e-3


def test_padding_tokens_are_not_read(reader: VQGAN) -> None:
    states = prompt(1, 3)
    changed = np.asarray(states.tokens).copy()
    changed[:, -2:] += 5.0  # only the padded positions
    other = PromptStates(tokens=jnp.asarray(changed), mask=states.mask, pooled=states.pooled)
    np.testing.assert_allclose(
        reader.decode_code(codes(1), states), reader.decode_code(codes(1), other), atol=1e-6
    )


def test_one_prompt_serves_every_picture(reader: VQGAN) -> None:
    grid = codes(3)
    single = prompt(1, 4)
    repeated = PromptStates(
        tokens=jnp.repeat(single.tokens, 3, axis=0),
        mask=jnp.repeat(single.mask, 3, axis=0),
        pooled=jnp.repeat(single.pooled, 3, axis=0),
    )
    np.testing.assert_allclose(
        reader.decode_code(grid, single), reader.decode_code(grid, repeated), atol=1e-6
    )


def test_it_names_a_missing_or_misshaped_prompt(reader: VQGAN) -> None:
    with pytest.raises(ValueError, match="reads the prompt"):
        reader.decode_code(codes(1))
    with pytest.raises(ValueError, match=f"length, {TEXT_WIDTH}"):
        wrong = PromptStates(
            tokens=jnp.zeros((1, 5, 7)), mask=jnp.ones((1, 5), jnp.int32), pooled=jnp.zeros((1, 7))
        )
        reader.decode_code(codes(1), wrong)
    with pytest.raises(ValueError, match="2 rows for 3 pictures"):
        reader.decode_code(codes(3), prompt(2, 1))
    plain = init_vqgan(PLAIN, jax.random.key(0))
    with pytest.raises(ValueError, match="does not read a prompt"):
        plain.decode_code(codes(1), prompt(1, 1))


def test_the_head_finishes_what_the_features_start(reader: VQGAN) -> None:
    module = VQGANModule(READER)
    grid, states = jnp.asarray(codes(2)), prompt(2, 5)
    variables = {"params": reader.params}
    whole = module.apply(variables, grid, states, method=VQGANModule.decode_code)
    features = module.apply(variables, grid, states, True, method=VQGANModule.decode_code)
    head = decoder_head(reader.params["decoder"], features, READER.out_ch)
    np.testing.assert_allclose(np.asarray(head), np.asarray(whole), atol=1e-5)


def test_it_saves_and_loads_with_its_prompt_layers(reader: VQGAN, tmp_path) -> None:
    save_vqgan(reader, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["text_width"] == TEXT_WIDTH
    loaded = load_vqgan(tmp_path)
    assert loaded.reads_prompt and loaded.config == READER
    states = prompt(1, 6)
    np.testing.assert_array_equal(
        loaded.decode_code(codes(1), states), reader.decode_code(codes(1), states)
    )
