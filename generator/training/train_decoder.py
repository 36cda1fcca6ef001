"""Training the VQGAN's decoder further, its encoder and codebook frozen: the decoder stage.

The codes stay what they were, so DalleBart, trained on them, stays valid: every picture it
draws is decoded by the new decoder with nothing else retrained.

- Pixels (L1 + L2 + edges) and CLIP's vision features (each layer's hidden states of the decoded
  scene against the real one): on pixels alone the decoder draws the mean of what a code may
  stand for. CLIP also ranks the candidates; the recogniser that judges legibility in the model
  card is a separately trained CNN that feeds no loss.
- The prompt (`reads_prompt`): DalleBart's codes say where a thing is, its colour and rough
  shape; the prompt says what it is. The decoder is given CLIP's text states of the caption
  (FiLM in every block, cross-attention to the tokens at the coarse levels); the new layers
  start at zero, so training starts from the plain decoder's pictures.
- DalleBart's kind of codes (`degraded`): a share of the scenes is decoded from codes DalleBart
  drew position by position with the true codes before each (teacher-forced) at the game's
  sampling settings, so the decoder learns to draw the named object from vague codes, not only
  from the encoder's clean ones (as Imagen trains its super-resolution stages on degraded
  inputs).
- An adversarial term (`adversarial`): a patch discriminator that reads the prompt joins the
  decoder's loss after a warm-up, weighted as taming-transformers does, by the ratio of the
  reconstruction's and the adversarial gradient norms at the decoder's last layer. It rewards
  a definite shape where a regression loss draws the mean of the possible ones.

Scenes are rendered on the fly from the training split, a pure function of the step, so a
resumed run sees the same data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

import flax.struct
import jax
import jax.numpy as jnp
import numpy as np
import optax

from generator.clip import CLIP, load_clip
from generator.clip.config import CLIP_MEAN, CLIP_STD, CLIPConfig, CLIPVisionConfig
from generator.clip.network import CLIPModule, VisionTransformer
from generator.dalle_bart import DalleBart, DalleBartModule, load_dalle_bart
from generator.sampler import keep_top_k
from generator.text import normalize_text
from generator.tokenizers import Tokenizer, encode_texts, load_bart_tokenizer
from generator.training.configs import DecoderTrainingConfig, DegradedCodes, TrainingConfig
from generator.training.discriminator import Discriminator, hinge_losses, init_discriminator
from generator.training.loop import TrainState, run_loop
from generator.training.optim import make_optimizer, strong_types
from generator.training.paths import RunPaths
from generator.training.splits import draw_samples
from generator.training.train_vqgan import reconstruction_terms, vqgan_exporter
from generator.vqgan import VQGAN, PromptStates, VQGANModule, decoder_head, init_vqgan, load_vqgan

# The parts this stage trains; everything else (encoder, quant_conv, codebook) stays as it is.
TRAINED_PARTS = ("decoder", "post_quant_conv")
HEAD_PARTS = ("norm_out", "conv_out")  # the decoder's last layers (`decoder_head`)
OUT_CHANNELS = 3  # RGB

Features = Callable[[jax.Array], list[jax.Array]]


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trained, frozen) parts of a VQGAN's parameters."""
    trained = {name: params[name] for name in TRAINED_PARTS}
    frozen = {name: value for name, value in params.items() if name not in TRAINED_PARTS}
    return trained, frozen


def with_prompt_reading(
    vqgan: VQGAN, text_width: int, resolutions: tuple[int, ...], key: jax.Array
) -> VQGAN:
    """The same VQGAN with a decoder that reads the prompt: every trained weight kept, the new
    layers initialised (their outputs start at zero, so the pictures are unchanged)."""
    if vqgan.reads_prompt:
        return vqgan
    config = dataclasses.replace(
        vqgan.config, text_width=text_width, text_attn_resolutions=resolutions
    )
    fresh = init_vqgan(config, key).params

    def overlay(new: Any, old: Any) -> Any:
        if isinstance(new, dict):
            return {
                name: overlay(value, old.get(name)) if old is not None else value
                for name, value in new.items()
            }
        return new if old is None else jnp.asarray(old, jnp.float32)

    return VQGAN(config, overlay(fresh, vqgan.params))


def vision_features(config: CLIPVisionConfig, vision_params: Any) -> Features:
    """Images [B, S, S, 3] in [0, 1] -> CLIP's vision hidden states, embeddings and each layer
    (the images normalised as CLIP's preprocessing does; S must be CLIP's image size)."""
    tower = VisionTransformer(config, hidden_states=True)
    mean, std = jnp.asarray(CLIP_MEAN), jnp.asarray(CLIP_STD)

    def features(images: jax.Array) -> list[jax.Array]:
        states = tower.apply({"params": vision_params}, (images - mean) / std)
        return cast(list[jax.Array], states)

    return features


def perceptual_distance(ours: list[jax.Array], theirs: list[jax.Array]) -> jax.Array:
    """Mean over layers of the squared difference, each relative to the layer's own scale
    (the layers' magnitudes differ several-fold; none should dominate)."""
    terms = [
        jnp.mean((a - b) ** 2) / (jnp.mean(b**2) + 1e-6) for a, b in zip(ours, theirs, strict=True)
    ]
    return jnp.mean(jnp.stack(terms))


@flax.struct.dataclass
class SceneBatch:
    """One step's scenes with their captions, tokenised for CLIP and for DalleBart."""

    images: jax.Array  # float32 [B, S, S, 3] in [0, 1]
    clip_ids: jax.Array  # int32 [B, L]: the captions as CLIP reads them
    clip_mask: jax.Array
    bart_ids: jax.Array  # int32 [B, L']: the normalised captions as DalleBart reads them
    bart_mask: jax.Array
    empty_ids: jax.Array  # int32 [1, L']: the empty prompt (the unconditional rows)
    empty_mask: jax.Array
    degraded: jax.Array  # bool [B]: decode this scene from DalleBart's codes


@flax.struct.dataclass
class Frozen:
    """What the step reads and never trains (arguments, not constants of the program)."""

    vqgan: Any  # encoder, quant_conv and codebook
    clip: Any
    bart: Any


@flax.struct.dataclass
class Critic:
    """The discriminator and its optimizer state (None when the stage has no adversarial term)."""

    params: Any
    opt_state: Any


def teacher_forced_codes(
    bart: DalleBartModule,
    params: Any,
    batch: SceneBatch,
    codes: jax.Array,
    key: jax.Array,
    settings: DegradedCodes,
    image_codes: int,
) -> jax.Array:
    """Each position drawn by DalleBart given the true codes before it: guided by the empty
    prompt at the condition scale, then temperature and top-k, as the sampler does."""
    count = codes.shape[0]
    start = jnp.full((count, 1), bart.config.start_token, codes.dtype)
    previous = jnp.concatenate([start, codes[:, :-1]], axis=1)
    empty_ids = jnp.broadcast_to(batch.empty_ids, batch.bart_ids.shape)
    empty_mask = jnp.broadcast_to(batch.empty_mask, batch.bart_mask.shape)
    ids = jnp.concatenate([batch.bart_ids, empty_ids])
    mask = jnp.concatenate([batch.bart_mask, empty_mask])
    logits = bart.apply({"params": params}, ids, mask, jnp.concatenate([previous, previous]))
    cond, uncond = jnp.split(cast(jax.Array, logits)[..., :image_codes], 2)
    guided = (uncond + settings.condition_scale * (cond - uncond)) / settings.temperature
    flat = keep_top_k(guided.reshape(-1, image_codes), settings.top_k)
    drawn = jax.random.categorical(key, flat).reshape(codes.shape)
    return drawn.astype(codes.dtype)


@dataclasses.dataclass(frozen=True)
class StageModels:
    """The modules of the decoder stage and how they are configured."""

    vqgan: VQGANModule
    clip: CLIPModule
    bart: DalleBartModule
    image_codes: int
    settings: DecoderTrainingConfig
    features: Features
    discriminator: Discriminator | None


def prompt_of(models: StageModels, frozen: Frozen, batch: SceneBatch) -> PromptStates:
    states = models.clip.apply(
        {"params": frozen.clip}, batch.clip_ids, batch.clip_mask, method=CLIPModule.text_states
    )
    tokens, pooled = cast(tuple[jax.Array, jax.Array], states)
    return PromptStates(tokens=tokens, mask=batch.clip_mask, pooled=pooled)


def reconstruction_loss(
    head: Any, features: jax.Array, images: jax.Array, models: StageModels
) -> tuple[jax.Array, dict[str, jax.Array]]:
    recon = decoder_head(head, features, OUT_CHANNELS)
    terms = reconstruction_terms(recon, images)
    perceptual = perceptual_distance(models.features(recon), models.features(images))
    settings = models.settings
    loss = (
        terms["l1"]
        + terms["l2"]
        + settings.edge_weight * terms["edges"]
        + settings.perceptual_weight * perceptual
    )
    return loss, {
        "loss": loss,
        "l1": terms["l1"],
        "edges": terms["edges"],
        "perceptual": perceptual,
        "psnr": terms["psnr"],
    }


def decoder_inputs(
    models: StageModels, frozen: Frozen, batch: SceneBatch, key: jax.Array
) -> tuple[jax.Array, PromptStates | None]:
    """The codes the decoder reads (the encoder's, some redrawn by DalleBart) and the prompt."""
    settings = models.settings
    codes = cast(
        jax.Array,
        models.vqgan.apply({"params": frozen.vqgan}, batch.images, method=VQGANModule.encode),
    )
    if settings.degraded is not None:
        drawn = teacher_forced_codes(
            models.bart, frozen.bart, batch, codes, key, settings.degraded, models.image_codes
        )
        codes = jnp.where(batch.degraded[:, None], drawn, codes)
    prompt = prompt_of(models, frozen, batch) if settings.reads_prompt else None
    return codes, prompt


def fooling_gradients(
    discriminator: Discriminator, critic: Critic, head: Any, features: jax.Array, prompt: Any
) -> tuple[Any, jax.Array]:
    """Gradients of the adversarial loss (the discriminator fooled) at the decoder's head and
    at the features it reads."""

    def fooling(head: Any, features: jax.Array) -> jax.Array:
        pictures = shown(decoder_head(head, features, OUT_CHANNELS))
        judged = discriminator.apply({"params": critic.params}, pictures, prompt.pooled)
        return -jnp.mean(cast(jax.Array, judged))

    return cast(tuple[Any, jax.Array], jax.grad(fooling, argnums=(0, 1))(head, features))


def make_train_step(models: StageModels, optimizer: optax.GradientTransformation) -> Any:
    """One step: the decoder's update (and the discriminator's, when there is one)."""
    settings = models.settings
    adversarial = settings.adversarial
    critic_optimizer = _critic_optimizer(settings)

    @partial(jax.jit, donate_argnums=(0, 1, 2))
    def step(
        trained: Any,
        opt_state: Any,
        critic: Critic | None,
        frozen: Frozen,
        batch: SceneBatch,
        key: jax.Array,
        adversarial_on: jax.Array,
    ) -> tuple[Any, Any, Critic | None, dict[str, jax.Array]]:
        codes, prompt = decoder_inputs(models, frozen, batch, key)

        def trunk(params: Any) -> jax.Array:
            variables = {"params": {**frozen.vqgan, **params}}
            decoded = models.vqgan.apply(
                variables, codes, prompt, True, method=VQGANModule.decode_code
            )
            return cast(jax.Array, decoded)

        # The trunk's backward pass runs once, for the sum of both losses' gradients at its
        # output; the adaptive weight needs each loss's gradient at the last layer apart.
        features, pullback = jax.vjp(trunk, trained)
        head = {name: trained["decoder"][name] for name in HEAD_PARTS}
        (head_grad, feature_grad), metrics = jax.grad(
            reconstruction_loss, argnums=(0, 1), has_aux=True
        )(head, features, batch.images, models)
        if adversarial is not None and critic is not None:
            assert models.discriminator is not None and prompt is not None
            gan_head, gan_features = fooling_gradients(
                models.discriminator, critic, head, features, prompt
            )
            weight = adaptive_weight(head_grad, gan_head) * adversarial.weight
            weight = jnp.where(adversarial_on, weight, 0.0)
            head_grad = jax.tree_util.tree_map(lambda a, b: a + weight * b, head_grad, gan_head)
            feature_grad = feature_grad + weight * gan_features
            pictures = jax.lax.stop_gradient(shown(decoder_head(head, features, OUT_CHANNELS)))
            critic, critic_metrics = _critic_update(
                models.discriminator,
                critic_optimizer,
                critic,
                batch.images,
                pictures,
                prompt,
                adversarial.mismatch_weight,
            )
            metrics = {**metrics, **critic_metrics, "gan_weight": weight}
        (grads,) = pullback(feature_grad)
        grads = {**grads, "decoder": {**grads["decoder"], **head_grad}}
        updates, opt_state = optimizer.update(grads, opt_state, trained)
        metrics = {**metrics, "degraded": jnp.mean(batch.degraded.astype(jnp.float32))}
        return optax.apply_updates(trained, updates), opt_state, critic, metrics

    return step


def shown(pictures: jax.Array) -> jax.Array:
    """What a player is shown: the decoder's output clipped to [0, 1] (so the discriminator
    cannot be fooled, or tell fakes, by values out of range)."""
    return jnp.clip(pictures, 0.0, 1.0)


def adaptive_weight(reconstruction: Any, adversarial: Any) -> jax.Array:
    """taming's λ = ‖∇ L_rec‖ / (‖∇ L_GAN‖ + 1e-4) at the last layer's kernel, clipped."""
    rec = jnp.linalg.norm(reconstruction["conv_out"]["kernel"])
    gan = jnp.linalg.norm(adversarial["conv_out"]["kernel"])
    return jax.lax.stop_gradient(jnp.clip(rec / (gan + 1e-4), 0.0, 1e4))


def _critic_optimizer(settings: DecoderTrainingConfig) -> optax.GradientTransformation:
    rate = settings.adversarial.learning_rate if settings.adversarial else 0.0
    return optax.adam(rate, b1=0.5, b2=0.9)


def _critic_update(
    discriminator: Discriminator,
    optimizer: optax.GradientTransformation,
    critic: Critic,
    images: jax.Array,
    recon: jax.Array,
    prompt: PromptStates,
    mismatch_weight: float,
) -> tuple[Critic, dict[str, jax.Array]]:
    # Another scene's caption for each real scene: the batch's captions shifted by one.
    other = jnp.roll(prompt.pooled, 1, axis=0)

    def loss(params: Any) -> tuple[jax.Array, dict[str, jax.Array]]:
        def judge(pictures: jax.Array, pooled: jax.Array) -> jax.Array:
            return cast(jax.Array, discriminator.apply({"params": params}, pictures, pooled))

        real, fake = judge(images, prompt.pooled), judge(recon, prompt.pooled)
        return hinge_losses(real, fake, judge(images, other), mismatch_weight)

    grads, metrics = jax.grad(loss, has_aux=True)(critic.params)
    updates, opt_state = optimizer.update(grads, critic.opt_state, critic.params)
    return Critic(optax.apply_updates(critic.params, updates), opt_state), metrics


@dataclasses.dataclass(frozen=True)
class Captioner:
    """Captions -> the token ids CLIP and DalleBart read (and the empty prompt)."""

    clip_tokenizer: Tokenizer
    clip_length: int
    bart_tokenizer: Tokenizer
    bart_length: int

    def batch(self, captions: list[str], images: np.ndarray, degraded: np.ndarray) -> SceneBatch:
        clip_ids, clip_mask = encode_texts(self.clip_tokenizer, captions, self.clip_length)
        texts = [normalize_text(text) for text in captions]
        bart_ids, bart_mask = encode_texts(self.bart_tokenizer, texts, self.bart_length)
        empty_ids, empty_mask = encode_texts(self.bart_tokenizer, [""], self.bart_length)
        return SceneBatch(
            images=jnp.asarray(images.astype(np.float32) / 255.0),
            clip_ids=jnp.asarray(clip_ids),
            clip_mask=jnp.asarray(clip_mask),
            bart_ids=jnp.asarray(bart_ids),
            bart_mask=jnp.asarray(bart_mask),
            empty_ids=jnp.asarray(empty_ids),
            empty_mask=jnp.asarray(empty_mask),
            degraded=jnp.asarray(degraded),
        )


def scene_batch(
    captioner: Captioner,
    step: int,
    batch_size: int,
    size: int,
    settings: DecoderTrainingConfig,
    seed: int,
) -> SceneBatch:
    """Training scenes step×B .. step×B + B - 1 and which of them to degrade."""
    captions, images = draw_samples(step * batch_size, batch_size, "train", size)
    share = settings.degraded.share if settings.degraded else 0.0
    degraded = np.random.default_rng([seed, 7, step]).random(batch_size) < share
    return captioner.batch(captions, images, degraded)


@dataclasses.dataclass(frozen=True)
class Stage:
    """Everything a decoder-stage run (or its timing) needs, built from its three models."""

    models: StageModels
    vqgan: VQGAN  # the starting VQGAN (with the new layers when it reads the prompt)
    frozen: Frozen
    critic: Critic | None


def build_stage(
    vqgan: VQGAN, clip: CLIP, bart: DalleBart, settings: DecoderTrainingConfig, key: jax.Array
) -> Stage:
    clip_config: CLIPConfig = clip.config
    width = clip_config.text_config.hidden_size
    if settings.reads_prompt:
        vqgan = with_prompt_reading(vqgan, width, settings.text_attn_resolutions, key)
    params = jax.tree_util.tree_map(lambda leaf: jnp.asarray(leaf, jnp.float32), vqgan.params)
    _, frozen_vqgan = split_params(params)
    adversarial = settings.adversarial
    discriminator = Discriminator(adversarial.widths) if adversarial else None
    critic = None
    if adversarial is not None:
        disc = init_discriminator(adversarial.widths, vqgan.config.resolution, width, key)
        critic = Critic(disc, _critic_optimizer(settings).init(disc))
    models = StageModels(
        vqgan=VQGANModule(vqgan.config),
        clip=CLIPModule(clip_config),
        bart=DalleBartModule(bart.config),
        image_codes=bart.config.image_codes,
        settings=settings,
        features=vision_features(clip_config.vision_config, clip.params["vision_model"]),
        discriminator=discriminator,
    )
    frozen = Frozen(vqgan=frozen_vqgan, clip=clip.params, bart=bart.params)
    return Stage(models, vqgan, frozen, critic)


def fresh_state(stage: Stage, optimizer: optax.GradientTransformation) -> TrainState:
    """Step 0: the trained parts and the critic as copies (a step donates its inputs' buffers,
    which must not be the loaded model's own)."""
    copy = partial(jax.tree_util.tree_map, jnp.array)
    trained = strong_types(copy(split_params(stage.vqgan.params)[0]))
    return TrainState(0, trained, optimizer.init(trained), copy(stage.critic))


def train_decoder(
    paths: RunPaths,
    config: TrainingConfig,
    stop_after: int | None = None,
    budget_seconds: float | None = None,
) -> TrainState:
    """Train (or resume) the decoder of the run's VQGAN; the whole VQGAN, with the new
    decoder, is kept in `decoder/model/`."""
    for stage_dir, name in (
        (paths.vqgan, "vqgan"),
        (paths.clip, "clip"),
        (paths.dalle_bart, "dalle_bart"),
    ):
        if not paths.trained(stage_dir).is_dir():
            raise FileNotFoundError(
                f"{paths.trained(stage_dir)} does not exist: run '{name}' first"
            )
    settings = config.decoder
    base_key = jax.random.fold_in(jax.random.key(config.seed), 11)
    clip = load_clip(paths.trained(paths.clip))
    bart = load_dalle_bart(paths.trained(paths.dalle_bart))
    stage = build_stage(load_vqgan(paths.trained(paths.vqgan)), clip, bart, settings, base_key)
    if clip.tokenizer is None:
        raise FileNotFoundError(f"{paths.trained(paths.clip)} has no tokenizer files")
    captioner = Captioner(
        clip.tokenizer,
        clip.config.text_config.max_position_embeddings,
        load_bart_tokenizer(paths.trained(paths.dalle_bart)),
        bart.config.max_text_length,
    )
    optimizer = make_optimizer(settings.optimizer)
    train_step = make_train_step(stage.models, optimizer)
    size = config.data.image_size
    adversarial_from = settings.adversarial.start if settings.adversarial else 0

    def step(state: TrainState, index: int) -> tuple[TrainState, Mapping[str, Any]]:
        batch = scene_batch(
            captioner, index, settings.optimizer.batch_size, size, settings, config.seed
        )
        trained, opt_state, critic, metrics = train_step(
            state.params,
            state.opt_state,
            state.extra,
            stage.frozen,
            batch,
            jax.random.fold_in(base_key, index),
            jnp.asarray(index >= adversarial_from),
        )
        return TrainState(index, trained, opt_state, critic), metrics

    return run_loop(
        paths.decoder,
        "decoder",
        lambda: fresh_state(stage, optimizer),
        step,
        settings.optimizer,
        stop_after=stop_after,
        on_checkpoint=vqgan_exporter(
            paths.decoder,
            size,
            lambda state: VQGAN(stage.vqgan.config, {**stage.frozen.vqgan, **state.params}),
            clip,
        ),
        budget_seconds=budget_seconds,
    )
