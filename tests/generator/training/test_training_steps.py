"""A few training steps on tiny models lower each loss (real networks, real scenes)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from generator.clip import init_clip
from generator.dalle_bart import init_dalle_bart
from generator.recogniser import RecogniserConfig, init_params
from generator.testing import tiny_clip_config, tiny_codec_config, tiny_dalle_bart_config
from generator.text import normalize_text
from generator.tokenizers import encode_texts, load_bart_tokenizer, load_clip_tokenizer
from generator.training import (
    configs,
    train_clip,
    train_dalle_bart,
    train_recogniser,
    train_vqgan,
)
from generator.training.bpe import train_bart_tokenizer, train_clip_tokenizer
from generator.training.captions import SETTINGS, parse_caption
from generator.training.dataset import SceneSet
from generator.training.foils import scenes_with_foils
from generator.training.objects import default_objects
from generator.training.optim import make_optimizer, strong_types
from generator.training.splits import draw_samples
from generator.vqgan import init_vqgan

STEPS = 8
SIZE = 16


@pytest.fixture(scope="module")
def scenes():
    captions, images = draw_samples(0, 48, "train", SIZE)
    return SceneSet(images, captions)


def _optimizer(learning_rate=3e-3):
    return make_optimizer(configs.OptimizerConfig(learning_rate, 1, STEPS, 8))


def test_vqgan_steps_lower_the_loss(scenes):
    settings = dataclasses.replace(
        configs.tiny().vqgan,
        model=tiny_codec_config(SIZE),
        crop=8,
        quantize_after=2,
    )
    optimizer = _optimizer()
    step = train_vqgan.make_train_step(settings, optimizer)
    params = strong_types(init_vqgan(settings.model, jax.random.key(0)).params)
    opt_state, usage = optimizer.init(params), jnp.zeros(16)
    images = jnp.asarray(train_vqgan.crop_batch(scenes, 0, 8, 8, seed=0))
    losses = []
    for index in range(STEPS):
        phase = train_vqgan.StepPhase.at(index, settings)  # quantization from step 2 on
        params, opt_state, usage, metrics = step(
            params, opt_state, usage, images, jax.random.key(index), phase
        )
        losses.append(float(metrics["loss"]))
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.8 * losses[0], losses
    assert float(metrics["codes_used"]) > 0.5  # restarts keep the codebook in use


def test_crops_are_a_pure_function_of_the_step(scenes):
    first = train_vqgan.crop_batch(scenes, 3, 4, 8, seed=0)
    assert first.shape == (4, 8, 8, 3) and first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(first, train_vqgan.crop_batch(scenes, 3, 4, 8, seed=0))
    assert not np.array_equal(first, train_vqgan.crop_batch(scenes, 4, 4, 8, seed=0))


@pytest.fixture(scope="module")
def bart_tokenizer(scenes, tmp_path_factory):
    directory = tmp_path_factory.mktemp("bart")
    train_bart_tokenizer([normalize_text(c) for c in scenes.captions], directory, vocab_size=400)
    return load_bart_tokenizer(directory)


def _caption_codes(tokenizer, scenes, image_length, codes_count):
    texts = [normalize_text(caption) for caption in scenes.captions]
    ids, mask = train_dalle_bart.tokenize_captions(tokenizer, texts, 32)
    empty_ids, empty_mask = encode_texts(tokenizer, [""], 32)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, codes_count, (len(scenes.captions), image_length)).astype(np.int16)
    return train_dalle_bart.CaptionCodes(ids, mask, codes, empty_ids[0], empty_mask[0])


def test_dalle_bart_steps_lower_the_loss(scenes, bart_tokenizer):
    model_config = tiny_dalle_bart_config(len(bart_tokenizer), image_length=16, image_codes=16)
    data = _caption_codes(bart_tokenizer, scenes, 16, 16)
    optimizer = _optimizer(1e-2)
    step = train_dalle_bart.make_train_step(model_config, optimizer)
    params = strong_types(init_dalle_bart(model_config, jax.random.key(0)).params)
    opt_state = optimizer.init(params)
    batch = data.batch(0, 8, dropout=0.0, seed=0)
    losses = []
    for _ in range(STEPS):
        params, opt_state, metrics = step(params, opt_state, *batch)
        losses.append(float(metrics["loss"]))
    assert losses[0] == pytest.approx(np.log(17), abs=0.3)  # uniform over codes + start token
    assert losses[-1] < 0.8 * losses[0], losses


def test_caption_dropout_feeds_the_empty_prompt(scenes, bart_tokenizer):
    data = _caption_codes(bart_tokenizer, scenes, 16, 16)
    ids, mask, codes = data.batch(5, 400, dropout=0.25, seed=0)
    empty = (ids == data.empty_ids).all(axis=1)
    assert 0.15 < empty.mean() < 0.35
    assert (mask[empty] == data.empty_mask).all()
    assert codes.shape == (400, 16)
    again = data.batch(5, 400, dropout=0.25, seed=0)
    np.testing.assert_array_equal(ids, again[0])


def test_clip_steps_lower_the_loss(scenes, tmp_path):
    train_clip_tokenizer(scenes.captions, tmp_path, vocab_size=500)
    tokenizer = load_clip_tokenizer(tmp_path)
    model_config = tiny_clip_config(len(tokenizer), image_size=SIZE)
    optimizer = _optimizer()
    step = train_clip.make_train_step(model_config, configs.tiny().clip, optimizer)
    params = strong_types(init_clip(model_config, jax.random.key(0)).params)
    opt_state = optimizer.init(params)
    ids, mask = encode_texts(tokenizer, scenes.captions, 32)
    batch = train_clip.clip_batch(scenes, ids, mask, 0, 8, seed=0)
    losses = []
    for _ in range(STEPS):
        params, opt_state, metrics = step(params, opt_state, *batch)
        losses.append(float(metrics["loss"]))
    assert losses[-1] < 0.8 * losses[0], losses


def test_clip_ranking_steps_teach_each_caption_its_scene_over_its_foil(scenes, tmp_path):
    ranking_captions = scenes_with_foils(0, 8, SIZE)[0]
    train_clip_tokenizer(scenes.captions + ranking_captions, tmp_path, vocab_size=500)
    tokenizer = load_clip_tokenizer(tmp_path)
    model_config = tiny_clip_config(len(tokenizer), image_size=SIZE)
    optimizer = _optimizer()
    step = train_clip.make_train_step(model_config, configs.tiny().clip, optimizer)
    params = strong_types(init_clip(model_config, jax.random.key(0)).params)
    opt_state = optimizer.init(params)
    ids, mask, pixels = train_clip.ranking_batch(tokenizer, 32, 0, 8, SIZE, seed=0)
    assert ids.shape[0] == 8 and pixels.shape[0] == 16  # eight scenes, then their eight foils
    losses, beaten = [], []
    for _ in range(STEPS):
        params, opt_state, metrics = step(params, opt_state, ids, mask, pixels)
        losses.append(float(metrics["loss"]))
        beaten.append(float(metrics["beats_foil"]))
    assert losses[-1] < 0.8 * losses[0], losses
    assert beaten[-1] > beaten[0] and beaten[-1] >= 0.75, beaten


def test_clip_pixels_match_the_pipeline_preprocessing(scenes, tmp_path):
    train_clip_tokenizer(scenes.captions, tmp_path, vocab_size=500)
    model_config = tiny_clip_config(len(load_clip_tokenizer(tmp_path)), image_size=SIZE)
    clip = init_clip(model_config, jax.random.key(0), tmp_path)
    images = scenes.images[:4]
    np.testing.assert_allclose(train_clip.pixel_values(images), clip.preprocess(images), atol=1e-5)


def test_recogniser_steps_lower_the_loss(scenes):
    model = RecogniserConfig(
        objects=tuple(item.noun for item in default_objects()),
        settings=SETTINGS,
        image_size=SIZE,
        widths=(16, 32),
    )
    counts, settings = train_recogniser.scene_labels(
        [parse_caption(text) for text in scenes.captions], model
    )
    optimizer = _optimizer()
    step = train_recogniser.make_train_step(model, optimizer)
    params = strong_types(init_params(model, jax.random.key(0)))
    opt_state = optimizer.init(params)
    images = np.asarray(scenes.images[:16], np.float32) / 255.0
    losses = []
    for _ in range(STEPS):
        params, opt_state, metrics = step(params, opt_state, images, counts[:16], settings[:16])
        losses.append(float(metrics["loss"]))
    assert losses[-1] < 0.8 * losses[0], losses


def test_recogniser_batches_mix_flips_degradations_and_pure_noise(scenes):
    counts = np.ones((32, 5), np.int32)
    settings = np.arange(32, dtype=np.int32)
    rng = np.random.default_rng(3)
    originals = np.asarray(scenes.images[:32])
    images, batch_counts, batch_settings = train_recogniser.training_batch(
        originals, counts, settings, rng
    )
    assert images.dtype == np.float32 and images.min() >= 0.0 and images.max() <= 1.0
    noise = batch_settings == -1
    assert (batch_counts[noise] == 0).all() and (batch_counts[~noise] == 1).all()
    pixels = np.round(images * 255).astype(np.uint8)
    changed = [
        not np.array_equal(pixels[i], originals[i])
        and not np.array_equal(pixels[i], originals[i, :, ::-1])
        for i in range(32)
    ]
    assert 4 < sum(changed) < 30  # about half are degraded
    # Every degradation keeps the picture's size and type.
    for seed in range(8):
        degraded = train_recogniser.degrade(originals[0], np.random.default_rng(seed))
        assert degraded.shape == originals[0].shape and degraded.dtype == np.uint8


def test_vqgan_moves_from_crops_to_whole_scenes_with_as_many_pixels():
    settings = configs.small().vqgan
    switch = settings.full_images_from
    assert train_vqgan.batch_shape(settings, switch - 1, 64) == (32, 32)
    scenes, side = train_vqgan.batch_shape(settings, switch, 64)
    assert side == 64 and scenes * side**2 == 32 * 32**2


def test_before_the_robustness_phase_recogniser_batches_are_only_flipped(scenes):
    originals = np.asarray(scenes.images[:32])
    counts = np.ones((32, 5), np.int32)
    images, batch_counts, settings = train_recogniser.training_batch(
        originals, counts, np.zeros(32, np.int32), np.random.default_rng(3), degraded=False
    )
    pixels = np.round(images * 255).astype(np.uint8)
    for row in range(32):
        assert np.array_equal(pixels[row], originals[row]) or np.array_equal(
            pixels[row], originals[row, :, ::-1]
        )
    assert (batch_counts == 1).all() and (settings == 0).all()
