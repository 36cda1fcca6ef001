"""The sampler: cached decoding, super-conditioning, filters and per-seed reproducibility."""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from generator.dalle_bart import (
    DalleBart,
    DalleBartConfig,
    decode_step,
    encode_for_decoding,
    init_dalle_bart,
    init_decoder_cache,
)
from generator.sampler import SamplingConfig, keep_top_k, keep_top_p, sample_image_tokens

# image_vocab_size above the start token, as in mega: only ids < 20 are image codes.
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
    decoder_start_token_id=20,
    max_text_length=8,
    image_length=16,
    init_std=0.5,
)
PROMPT = np.array([[0, 5, 7, 9, 2, 1, 1, 1]], np.int32)
EMPTY = np.array([[0, 2, 1, 1, 1, 1, 1, 1]], np.int32)


def _mask(ids: np.ndarray) -> np.ndarray:
    return (ids != 1).astype(np.int32)


@pytest.fixture(scope="module")
def model() -> DalleBart:
    model = init_dalle_bart(TINY, jax.random.key(0))
    return dataclasses.replace(model, params=_add_noise(model.params, 1))


def _add_noise(params: dict, seed: int) -> dict:
    """Random values in every parameter, norms included (init leaves them at 1 and 0)."""
    rng = np.random.default_rng(seed)
    return jax.tree_util.tree_map(
        lambda p: jnp.asarray(p + 0.2 * rng.standard_normal(p.shape, np.float32)), params
    )


def _sample(model: DalleBart, seeds: list[int], **sampling: float) -> np.ndarray:
    config = SamplingConfig(**sampling)
    return sample_image_tokens(model, PROMPT, _mask(PROMPT), EMPTY, _mask(EMPTY), seeds, config)


def test_cached_decoding_equals_full_recomputation(model: DalleBart):
    ids = np.concatenate([PROMPT, EMPTY])
    sequence = np.array([[20, *range(15)], [20, *range(19, 4, -1)]], np.int32)
    module = model.module
    context = encode_for_decoding(module, model.params, jnp.asarray(ids), jnp.asarray(_mask(ids)))
    cache = init_decoder_cache(TINY, 2, model.dtype)
    step = jax.jit(functools.partial(decode_step, module))
    cached = []
    for position in range(TINY.image_length):
        logits, cache = step(model.params, sequence[:, position], position, cache, context)
        cached.append(logits)
    full = model.logits(ids, _mask(ids), sequence)
    np.testing.assert_allclose(np.stack(cached, axis=1), full, atol=2e-5, rtol=1e-5)


def test_samples_one_row_of_image_codes_per_seed(model: DalleBart):
    tokens = _sample(model, [0, 1, 2], condition_scale=1.0)
    assert tokens.shape == (3, TINY.image_length) and tokens.dtype == np.int32
    assert tokens.min() >= 0 and tokens.max() < 20  # never the start token or padding rows
    assert len({row.tobytes() for row in tokens}) == 3


def test_a_seed_gives_the_same_tokens_alone_and_inside_a_batch(model: DalleBart):
    alone = _sample(model, [7])
    batch = _sample(model, [3, 7, 11])
    np.testing.assert_array_equal(batch[1], alone[0])
    np.testing.assert_array_equal(_sample(model, [7]), alone)


def test_condition_scale_one_samples_from_the_conditional_logits_alone(model: DalleBart):
    seeds = [4, 5, 6]
    conditional_only = sample_image_tokens(
        model, PROMPT, _mask(PROMPT), None, None, seeds, SamplingConfig(condition_scale=1.0)
    )
    # With the prompt as its own "unconditional" input, any scale reduces to the conditional.
    self_guided = sample_image_tokens(
        model, PROMPT, _mask(PROMPT), PROMPT, _mask(PROMPT), seeds, SamplingConfig(3.0)
    )
    np.testing.assert_array_equal(conditional_only, self_guided)
    assert not np.array_equal(conditional_only, _sample(model, seeds, condition_scale=3.0))


def test_top_k_one_is_greedy_on_the_super_conditioned_logits(model: DalleBart):
    tokens = _sample(model, [0], top_k=1, condition_scale=4.0)
    sequence = np.concatenate([[[20]], tokens[:, :-1]], axis=1)
    cond = model.logits(PROMPT, _mask(PROMPT), sequence)
    uncond = model.logits(EMPTY, _mask(EMPTY), sequence)
    guided = np.asarray(uncond + 4.0 * (cond - uncond))[:, :, :20]
    np.testing.assert_array_equal(tokens, guided.argmax(axis=-1))


def test_keep_top_k_keeps_exactly_the_k_largest():
    logits = jnp.array([[0.5, 3.0, -1.0, 2.0, 2.5]])
    kept = np.asarray(keep_top_k(logits, 2))
    np.testing.assert_array_equal(np.isfinite(kept), [[False, True, False, False, True]])
    np.testing.assert_array_equal(kept[np.isfinite(kept)], [3.0, 2.5])


def test_keep_top_p_keeps_the_fewest_tokens_reaching_the_mass():
    logits = jnp.log(jnp.array([[0.15, 0.5, 0.05, 0.3]]))
    assert np.isfinite(keep_top_p(logits, 0.7)).tolist() == [[False, True, False, True]]
    assert np.isfinite(keep_top_p(logits, 0.5)).tolist() == [[False, True, False, False]]
    assert np.isfinite(keep_top_p(logits, 0.9)).tolist() == [[True, True, False, True]]


def test_bad_sampling_requests_are_refused(model: DalleBart):
    with pytest.raises(ValueError, match="temperature"):
        SamplingConfig(temperature=0.0)
    with pytest.raises(ValueError, match="top_p"):
        SamplingConfig(top_p=1.5)
    with pytest.raises(ValueError, match="seeds"):
        _sample(model, [-1])
    with pytest.raises(ValueError, match="unconditional"):
        sample_image_tokens(model, PROMPT, _mask(PROMPT), None, None, [0], SamplingConfig())
    with pytest.raises(ValueError, match="rows"):
        two = np.repeat(PROMPT, 2, axis=0)
        sample_image_tokens(model, two, _mask(two), EMPTY, _mask(EMPTY), [0, 1, 2])
