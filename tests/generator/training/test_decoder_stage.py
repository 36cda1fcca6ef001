"""The decoder stage: a decoder that reads the prompt, trained on DalleBart's kind of codes with
an adversarial term, its encoder, codebook, CLIP and DalleBart frozen (tiny real networks)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from generator.clip import CLIP, init_clip
from generator.dalle_bart import init_dalle_bart
from generator.testing import tiny_clip_config, tiny_codec_config, tiny_dalle_bart_config
from generator.text import normalize_text
from generator.tokenizers import encode_texts, load_bart_tokenizer, load_clip_tokenizer
from generator.training import configs, train_decoder
from generator.training.bpe import train_bart_tokenizer, train_clip_tokenizer
from generator.training.discriminator import Discriminator, hinge_losses, init_discriminator
from generator.training.optim import make_optimizer
from generator.training.splits import draw_samples
from generator.vqgan import PromptStates, VQGANModule, init_vqgan

SIZE = 16
STEPS = 8
CODEC = tiny_codec_config(SIZE)
# The tiny preset's stage, with the prompt read at this codec's 8 px grid.
SETTINGS = dataclasses.replace(
    configs.tiny().decoder,
    optimizer=configs.OptimizerConfig(3e-3, 1, STEPS, 8, beta1=0.5),
    text_attn_resolutions=(8,),
)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    captions, _ = draw_samples(0, 64, "train", SIZE)
    clip_dir, bart_dir = tmp_path_factory.mktemp("clip"), tmp_path_factory.mktemp("bart")
    train_clip_tokenizer(captions, clip_dir, vocab_size=500)
    train_bart_tokenizer([normalize_text(c) for c in captions], bart_dir, vocab_size=400)
    clip_tokenizer, bart_tokenizer = load_clip_tokenizer(clip_dir), load_bart_tokenizer(bart_dir)
    clip_model = init_clip(tiny_clip_config(len(clip_tokenizer), SIZE), jax.random.key(1))
    clip = CLIP(clip_model.config, clip_model.params, clip_tokenizer)
    bart_config = tiny_dalle_bart_config(len(bart_tokenizer), CODEC.num_tokens, CODEC.n_embed)
    bart = init_dalle_bart(bart_config, jax.random.key(2))
    captioner = train_decoder.Captioner(clip_tokenizer, 32, bart_tokenizer, 32)
    return init_vqgan(CODEC, jax.random.key(0)), clip, bart, captioner


def stage_of(parts, settings=SETTINGS):
    vqgan, clip, bart, _ = parts
    return train_decoder.build_stage(vqgan, clip, bart, settings, jax.random.key(3))


def test_a_decoder_that_starts_reading_the_prompt_draws_what_it_drew(parts):
    vqgan, clip, _, _ = parts
    reader = stage_of(parts).vqgan
    assert reader.reads_prompt and not vqgan.reads_prompt
    codes = np.random.default_rng(0).integers(0, CODEC.n_embed, (2, CODEC.num_tokens))
    tokens, mask, pooled = clip.text_states(["a cat on a beach", "two red apples in the sky"])
    prompt = PromptStates(jnp.asarray(tokens), jnp.asarray(mask), jnp.asarray(pooled))
    np.testing.assert_allclose(
        reader.decode_code(codes, prompt), vqgan.decode_code(codes), atol=1e-6
    )


def run_steps(parts, settings, degraded_share, adversarial_on):
    _, _, _, captioner = parts
    stage = stage_of(parts, settings)
    optimizer = make_optimizer(settings.optimizer)
    step = train_decoder.make_train_step(stage.models, optimizer)
    fresh = train_decoder.fresh_state(stage, optimizer)
    state = [fresh.params, fresh.opt_state, fresh.extra]
    share = dataclasses.replace(settings.degraded, share=degraded_share)
    batch = train_decoder.scene_batch(
        captioner, 0, 8, SIZE, dataclasses.replace(settings, degraded=share), seed=0
    )
    history = []
    for index in range(STEPS):
        state[0], state[1], state[2], metrics = step(
            *state, stage.frozen, batch, jax.random.key(index), jnp.asarray(adversarial_on)
        )
        history.append({name: float(value) for name, value in metrics.items()})
    return stage, state, batch, history


def test_decoder_steps_lower_the_loss_and_leave_the_codes_alone(parts):
    stage, state, batch, history = run_steps(parts, SETTINGS, 0.0, adversarial_on=False)
    losses = [row["loss"] for row in history]
    assert losses[-1] < 0.8 * losses[0], losses
    assert all(row["gan_weight"] == 0.0 for row in history)  # before the adversarial term joins
    trained = state[0]
    assert set(trained) == {"decoder", "post_quant_conv"}
    module = VQGANModule(stage.vqgan.config)
    before = module.apply({"params": stage.vqgan.params}, batch.images, method=VQGANModule.encode)
    after = module.apply(
        {"params": {**stage.frozen.vqgan, **trained}}, batch.images, method=VQGANModule.encode
    )
    np.testing.assert_array_equal(before, after)  # DalleBart's codes mean what they meant
    # The discriminator learns from the first step, before the decoder feels it.
    assert history[-1]["d_loss"] < history[0]["d_loss"]


def test_the_adversarial_term_joins_with_taming_s_adaptive_weight(parts):
    _, _, _, history = run_steps(parts, SETTINGS, 0.5, adversarial_on=True)
    weights = [row["gan_weight"] for row in history]
    assert all(weight > 0.0 for weight in weights)
    assert all(np.isfinite(row["loss"]) for row in history)
    assert history[0]["degraded"] == pytest.approx(0.5, abs=0.4)


def test_the_adaptive_weight_is_the_ratio_of_the_last_layer_gradients():
    reconstruction = {"conv_out": {"kernel": jnp.full((3, 3), 3.0)}}
    adversarial = {"conv_out": {"kernel": jnp.full((3, 3), 1.0)}}
    weight = train_decoder.adaptive_weight(reconstruction, adversarial)
    assert float(weight) == pytest.approx(3.0, rel=1e-3)


def test_degraded_codes_are_dalle_bart_s_own_choice_given_the_true_codes_before(parts):
    _, _, bart, captioner = parts
    stage = stage_of(parts)
    batch = train_decoder.scene_batch(captioner, 1, 4, SIZE, SETTINGS, seed=0)
    module = VQGANModule(stage.vqgan.config)
    codes = module.apply({"params": stage.vqgan.params}, batch.images, method=VQGANModule.encode)
    greedy = dataclasses.replace(SETTINGS.degraded, top_k=1, condition_scale=1.0)
    drawn = train_decoder.teacher_forced_codes(
        stage.models.bart, bart.params, batch, codes, jax.random.key(0), greedy, CODEC.n_embed
    )
    # With top-k 1 and no guidance the draw is DalleBart's most likely code at each position,
    # given the scene's true codes before it.
    start = np.full((4, 1), bart.config.start_token)
    previous = np.concatenate([start, np.asarray(codes)[:, :-1]], axis=1)
    logits = bart.logits(np.asarray(batch.bart_ids), np.asarray(batch.bart_mask), previous)
    expected = np.argmax(np.asarray(logits)[..., : CODEC.n_embed], axis=-1)
    np.testing.assert_array_equal(np.asarray(drawn), expected)
    sampled = train_decoder.teacher_forced_codes(
        stage.models.bart, bart.params, batch, codes, jax.random.key(0), SETTINGS.degraded, 16
    )
    assert int(sampled.min()) >= 0 and int(sampled.max()) < CODEC.n_embed


def test_the_discriminator_reads_the_prompt_per_patch():
    params = init_discriminator((8, 16), SIZE, 12, jax.random.key(0))
    images = jnp.asarray(np.random.default_rng(0).random((2, SIZE, SIZE, 3)), jnp.float32)
    pooled = jnp.asarray(np.random.default_rng(1).normal(size=(2, 12)), jnp.float32)
    judged = Discriminator((8, 16)).apply({"params": params}, images, pooled)
    assert judged.shape == (2, SIZE // 4, SIZE // 4)
    other = Discriminator((8, 16)).apply({"params": params}, images, -pooled)
    assert float(jnp.abs(judged - other).mean()) > 0.0


def test_hinge_losses_are_zero_only_past_the_margins():
    ones = jnp.ones((2, 4, 4))
    loss, _ = hinge_losses(ones, -ones, -ones, 0.5)
    assert float(loss) == 0.0
    loss, metrics = hinge_losses(0 * ones, 0 * ones, ones, 0.5)
    assert float(loss) == pytest.approx(1.0 + (1.0 + 0.5 * 2.0) / 1.5)
    assert float(metrics["d_mismatch"]) == 1.0


def test_decoder_batches_are_fresh_training_scenes_and_a_pure_function_of_the_step(parts):
    captioner = parts[3]
    first = train_decoder.scene_batch(captioner, 2, 3, SIZE, SETTINGS, seed=0)
    again = train_decoder.scene_batch(captioner, 2, 3, SIZE, SETTINGS, seed=0)
    for name in ("images", "clip_ids", "bart_ids", "degraded"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    captions, expected = draw_samples(6, 3, "train", SIZE)
    np.testing.assert_array_equal(np.round(np.asarray(first.images) * 255), expected)
    ids, _ = encode_texts(captioner.clip_tokenizer, captions, 32)
    np.testing.assert_array_equal(first.clip_ids, ids)
    many = train_decoder.scene_batch(captioner, 0, 400, SIZE, SETTINGS, seed=0)
    assert 0.4 < float(np.mean(many.degraded)) < 0.6  # the tiny preset degrades half
