"""DalleBart: shapes, published layout and sizes, config round trip, saving and loading."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from generator import checkpoint
from generator.dalle_bart import (
    DalleBart,
    DalleBartConfig,
    count_params,
    expected_params,
    init_dalle_bart,
    load_dalle_bart,
    save_dalle_bart,
)

TINY = DalleBartConfig(
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=4,
    encoder_ffn_dim=48,
    decoder_ffn_dim=40,
    encoder_vocab_size=50,
    image_vocab_size=24,
    max_text_length=8,
    image_length=16,
    init_std=0.3,
)
MEGA_LAYERS = "model/decoder/layers/FlaxBartDecoderLayers"


def _perturbed(model: DalleBart, seed: int = 1) -> DalleBart:
    """Random values in every parameter, norms included (init leaves them at 1 and 0)."""
    return dataclasses.replace(model, params=_add_noise(model.params, seed))


def _add_noise(params: dict, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_map(
        lambda p: jnp.asarray(p + 0.2 * rng.standard_normal(p.shape, np.float32)), params
    )


@pytest.fixture(scope="module")
def model() -> DalleBart:
    return _perturbed(init_dalle_bart(TINY, jax.random.key(0)))


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    input_ids = np.array([[0, 5, 7, 9, 2, 1, 1, 1], [0, 11, 2, 1, 1, 1, 1, 1]], np.int32)
    attention_mask = (input_ids != 1).astype(np.int32)
    decoder_input_ids = np.array([[24, 3, 5, 7, 1, 0], [24, 23, 22, 4, 4, 9]], np.int32)
    return input_ids, attention_mask, decoder_input_ids


def _unscanned(tree: dict) -> dict:
    """The per-layer layout dalle-mini's `unscan` writes: .../FlaxBartEncoderLayer_{i}/..."""
    flat = {}
    for path, leaf in checkpoint.flatten_params(tree).items():
        parts = path.split("/")
        stacked = next((i for i, p in enumerate(parts) if p.endswith("Layers")), None)
        if stacked is None:
            flat[path] = leaf
            continue
        for i in range(leaf.shape[0]):
            name = f"{parts[stacked][:-1]}_{i}"
            flat["/".join([*parts[:stacked], name, *parts[stacked + 1 :]])] = leaf[i]
    return checkpoint.unflatten_params(flat)


def _write(directory: Path, config: dict, params: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    checkpoint.write_config(directory, config)
    checkpoint.write_params(directory / "flax_model.msgpack", params)
    return directory


def _numpy(params: dict) -> dict:
    return jax.tree_util.tree_map(np.asarray, params)


def test_logits_are_float32_over_the_image_vocabulary_for_every_position(model: DalleBart):
    logits = model.logits(*_inputs())
    assert logits.shape == (2, 6, TINY.image_vocab_size + 1)
    assert logits.dtype == jnp.float32
    assert np.isfinite(np.asarray(logits)).all()


def test_logits_depend_on_the_text_but_not_on_masked_padding(model: DalleBart):
    input_ids, mask, decoder_ids = _inputs()
    other_padding = np.where(mask == 1, input_ids, 40)
    np.testing.assert_allclose(
        model.logits(other_padding, mask, decoder_ids),
        model.logits(input_ids, mask, decoder_ids),
        atol=1e-5,
    )
    other_text = input_ids.copy()
    other_text[:, 1] = 30
    assert not np.allclose(model.logits(other_text, mask, decoder_ids), model.logits(*_inputs()))


def test_decoder_is_causal(model: DalleBart):
    input_ids, mask, decoder_ids = _inputs()
    changed = decoder_ids.copy()
    changed[:, 4:] = 17
    before, after = (
        model.logits(input_ids, mask, decoder_ids),
        model.logits(input_ids, mask, changed),
    )
    np.testing.assert_allclose(after[:, :4], before[:, :4], atol=1e-5)
    assert not np.allclose(after[:, 4:], before[:, 4:])


def test_published_mini_and_mega_sizes_are_counted_without_allocating():
    assert count_params(DalleBartConfig.mini()) == pytest.approx(437.8e6, rel=1e-3)
    assert count_params(DalleBartConfig.mega()) == pytest.approx(2587.5e6, rel=1e-3)


def test_parameter_tree_is_the_published_scanned_layout():
    shapes = {
        path: tuple(spec.shape)
        for path, spec in checkpoint.flatten_params(expected_params(DalleBartConfig.mega())).items()
    }
    published = {
        "lm_head/kernel": (2048, 16416),
        "model/encoder/embed_tokens/embedding": (50272, 2048),
        "model/encoder/embed_positions/embedding": (64, 2048),
        "model/encoder/layernorm_embedding/scale": (2048,),
        "model/encoder/final_ln/bias": (2048,),
        "model/encoder/layers/FlaxBartEncoderLayers/LayerNorm_0/bias": (24, 2048),
        "model/encoder/layers/FlaxBartEncoderLayers/FlaxBartAttention_0/q_proj/kernel": (
            24,
            2048,
            2048,
        ),
        "model/encoder/layers/FlaxBartEncoderLayers/LayerNorm_1/scale": (24, 2048),
        "model/encoder/layers/FlaxBartEncoderLayers/GLU_0/Dense_0/kernel": (24, 2048, 4096),
        "model/encoder/layers/FlaxBartEncoderLayers/GLU_0/LayerNorm_1/bias": (24, 4096),
        "model/encoder/layers/FlaxBartEncoderLayers/GLU_0/Dense_2/kernel": (24, 4096, 2048),
        "model/decoder/embed_tokens/embedding": (16416, 2048),
        "model/decoder/embed_positions/embedding": (256, 2048),
        "model/decoder/final_ln/bias": (2048,),
        f"{MEGA_LAYERS}/FlaxBartAttention_0/out_proj/kernel": (24, 2048, 2048),
        f"{MEGA_LAYERS}/LayerNorm_2/bias": (24, 2048),
        f"{MEGA_LAYERS}/FlaxBartAttention_1/k_proj/kernel": (24, 2048, 2048),
        f"{MEGA_LAYERS}/LayerNorm_3/scale": (24, 2048),
        f"{MEGA_LAYERS}/GLU_0/Dense_1/kernel": (24, 2048, 4096),
    }
    for path, shape in published.items():
        assert shapes.get(path) == shape, path
    # Bias-only norms, no biases in dense layers, no final_logits_bias.
    absent = ["model/encoder/final_ln/scale", f"{MEGA_LAYERS}/LayerNorm_0/scale", "lm_head/bias"]
    assert not [path for path in absent if path in shapes]
    assert not [path for path in shapes if "proj/bias" in path or "Dense_0/bias" in path]


def test_config_round_trips_through_config_json_keeping_unknown_keys(tmp_path: Path):
    published = {**DalleBartConfig.mega().to_dict(), "architectures": ["eBart"], "use_scan": True}
    config = DalleBartConfig.from_dict(published)
    assert config == DalleBartConfig.mega()
    assert config.to_dict() == published
    assert config.image_codes == 16384  # mega pads its image vocabulary to 16415


def test_config_refuses_a_variant_it_does_not_compute():
    with pytest.raises(ValueError, match="ln_positions"):
        DalleBartConfig.from_dict({**TINY.to_dict(), "ln_positions": "swinv2"})
    with pytest.raises(ValueError, match="decoder_attention_heads"):
        dataclasses.replace(TINY, decoder_attention_heads=5)


def test_save_then_load_is_bit_identical(model: DalleBart, tmp_path: Path):
    config = dataclasses.replace(TINY, extra={"architectures": ["eBart"]})
    save_dalle_bart(dataclasses.replace(model, config=config), tmp_path / "bart")
    loaded = load_dalle_bart(tmp_path / "bart")
    assert loaded.config == TINY
    assert json.loads((tmp_path / "bart" / "config.json").read_text())["architectures"] == ["eBart"]
    for path, leaf in checkpoint.flatten_params(model.params).items():
        np.testing.assert_array_equal(checkpoint.flatten_params(loaded.params)[path], leaf)
    np.testing.assert_array_equal(loaded.logits(*_inputs()), model.logits(*_inputs()))


def test_saving_a_model_that_does_not_match_its_config_leaves_the_old_files(
    model: DalleBart, tmp_path: Path
):
    save_dalle_bart(model, tmp_path / "bart")
    before = {p.name: p.read_bytes() for p in (tmp_path / "bart").iterdir()}
    flat = checkpoint.flatten_params(model.params)
    del flat[next(iter(flat))]  # one parameter lost
    broken = dataclasses.replace(model, params=checkpoint.unflatten_params(flat))
    with pytest.raises(checkpoint.CheckpointError, match="does not match its configuration"):
        save_dalle_bart(broken, tmp_path / "bart")
    assert {p.name: p.read_bytes() for p in (tmp_path / "bart").iterdir()} == before


def test_unscanned_per_layer_checkpoint_gives_the_same_logits(model: DalleBart, tmp_path: Path):
    params = _unscanned(_numpy(model.params))
    assert "FlaxBartDecoderLayer_1" in params["model"]["decoder"]["layers"]
    loaded = load_dalle_bart(_write(tmp_path / "unscanned", TINY.to_dict(), params))
    np.testing.assert_allclose(loaded.logits(*_inputs()), model.logits(*_inputs()), atol=1e-6)


def test_float16_checkpoint_loads_in_float32(model: DalleBart, tmp_path: Path):
    half = jax.tree_util.tree_map(lambda p: np.asarray(p, np.float16), model.params)
    loaded = load_dalle_bart(_write(tmp_path / "fp16", TINY.to_dict(), half))
    kernel = loaded.params["lm_head"]["kernel"]
    assert kernel.dtype == jnp.float32
    np.testing.assert_array_equal(kernel, half["lm_head"]["kernel"].astype(np.float32))
    np.testing.assert_allclose(loaded.logits(*_inputs()), model.logits(*_inputs()), atol=0.05)


def test_norm_scales_are_read_from_the_checkpoint_keys(tmp_path: Path):
    scaled = _perturbed(
        init_dalle_bart(dataclasses.replace(TINY, force_ln_scale=True), jax.random.key(2))
    )
    # The config says no scales, but the file has them: the keys win.
    loaded = load_dalle_bart(_write(tmp_path / "scaled", TINY.to_dict(), _numpy(scaled.params)))
    assert loaded.config.force_ln_scale
    np.testing.assert_array_equal(loaded.logits(*_inputs()), scaled.logits(*_inputs()))


def test_misshaped_and_missing_parameters_are_named(model: DalleBart, tmp_path: Path):
    params = _numpy(model.params)
    layers = params["model"]["encoder"]["layers"]["FlaxBartEncoderLayers"]
    layers["GLU_0"]["Dense_2"]["kernel"] = np.zeros((2, 47, 32), np.float32)
    del params["lm_head"]
    with pytest.raises(checkpoint.CheckpointError) as raised:
        load_dalle_bart(_write(tmp_path / "bad", TINY.to_dict(), params))
    message = str(raised.value)
    assert "model/encoder/layers/FlaxBartEncoderLayers/GLU_0/Dense_2/kernel" in message
    assert "(2, 48, 32)" in message and "(2, 47, 32)" in message
    assert "missing: lm_head/kernel" in message


def test_a_hub_name_is_refused_with_a_local_only_message():
    with pytest.raises(checkpoint.CheckpointError, match="local"):
        load_dalle_bart("dalle-mini/dalle-mini")


def test_logits_refuse_tokens_outside_the_vocabularies(model: DalleBart):
    input_ids, mask, decoder_ids = _inputs()
    with pytest.raises(ValueError, match="decoder_input_ids"):
        model.logits(input_ids, mask, decoder_ids + 2)
    with pytest.raises(ValueError, match="image_length"):
        model.logits(input_ids, mask, np.zeros((2, 17), np.int32))
