"""CLIP: published layout and sizes, features, ranking score, preprocessing, saving and loading."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jax
import numpy as np
import pytest
from PIL import Image

from generator.checkpoint import CheckpointError, flatten_params, read_params, write_params
from generator.clip import (
    CLIP,
    CLIPConfig,
    CLIPTextConfig,
    CLIPVisionConfig,
    count_params,
    init_clip,
    load_clip,
    param_shapes,
    save_clip,
)
from generator.tokenizers import encode_texts
from generator.training.bpe import train_clip_tokenizer

TINY = CLIPConfig(
    text_config=CLIPTextConfig(
        vocab_size=544,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=16,
    ),
    vision_config=CLIPVisionConfig(
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        image_size=32,
        patch_size=8,
    ),
    projection_dim=24,
)
CAPTIONS = ["a red cat on a mat", "two blue dogs", "a cat and a dog", "the sun over the sea"]
# The shape of openai/clip-vit-base-patch32's config.json (HF nests the two towers).
PUBLISHED_CONFIG = {
    "_name_or_path": "openai/clip-vit-base-patch32",
    "architectures": ["CLIPModel"],
    "initializer_factor": 1.0,
    "logit_scale_init_value": 2.6592,
    "model_type": "clip",
    "projection_dim": 512,
    "text_config": {
        "bos_token_id": 0,
        "eos_token_id": 2,
        "hidden_act": "quick_gelu",
        "hidden_size": 512,
        "intermediate_size": 2048,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": 77,
        "model_type": "clip_text_model",
        "num_attention_heads": 8,
        "num_hidden_layers": 12,
        "pad_token_id": 1,
        "projection_dim": 512,
        "vocab_size": 49408,
    },
    "text_config_dict": None,
    "transformers_version": None,
    "vision_config": {
        "hidden_act": "quick_gelu",
        "hidden_size": 768,
        "image_size": 224,
        "intermediate_size": 3072,
        "layer_norm_eps": 1e-05,
        "model_type": "clip_vision_model",
        "num_attention_heads": 12,
        "num_channels": 3,
        "num_hidden_layers": 12,
        "patch_size": 32,
        "projection_dim": 512,
    },
    "vision_config_dict": None,
}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_clip_tokenizer(CAPTIONS * 3, tmp_path_factory.mktemp("clip_tokenizer"), 530)


@pytest.fixture(scope="module")
def tiny(tokenizer_dir: Path) -> CLIP:
    return init_clip(TINY, jax.random.PRNGKey(0), tokenizer_dir)


def random_images(count: int, seed: int, size: tuple[int, int] = (40, 48)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, *size, 3), dtype=np.uint8)


# --- sizes and names ---------------------------------------------------------------------------


def expected_count(c: CLIPConfig) -> int:
    """Recounted from the architecture: pre-LN layers, bias-free patch conv and projections."""

    def layer(width: int, inner: int) -> int:
        attention = 4 * (width * width + width)
        mlp = width * inner + inner + inner * width + width
        return attention + mlp + 2 * (2 * width)

    t, v = c.text_config, c.vision_config
    text = (t.vocab_size + t.max_position_embeddings) * t.hidden_size
    text += t.num_hidden_layers * layer(t.hidden_size, t.intermediate_size) + 2 * t.hidden_size
    patches = (v.image_size // v.patch_size) ** 2
    vision = v.num_channels * v.patch_size**2 * v.hidden_size + v.hidden_size
    vision += (patches + 1) * v.hidden_size + 2 * (2 * v.hidden_size)
    vision += v.num_hidden_layers * layer(v.hidden_size, v.intermediate_size)
    projections = (t.hidden_size + v.hidden_size) * c.projection_dim
    return text + vision + projections + 1  # + logit_scale


def test_it_counts_tiny_parameters_exactly(tiny: CLIP) -> None:
    assert count_params(TINY) == expected_count(TINY)
    assert sum(leaf.size for leaf in jax.tree_util.tree_leaves(tiny.params)) == expected_count(TINY)


def test_it_sizes_vit_b32_without_allocating() -> None:
    config = CLIPConfig.vit_b32()
    assert count_params(config) == expected_count(config)
    assert count_params(config) == pytest.approx(151.3e6, rel=5e-4)
    # The published fp32 flax_model.msgpack is about 605 MB.
    assert count_params(config) * 4 == pytest.approx(605e6, rel=0.005)


def test_it_names_parameters_as_the_published_file() -> None:
    shapes = flatten_params(param_shapes(CLIPConfig.vit_b32()))
    flat = {path: leaf.shape for path, leaf in shapes.items()}
    assert flat["logit_scale"] == ()
    assert flat["text_model/embeddings/token_embedding/embedding"] == (49408, 512)
    assert flat["text_model/embeddings/position_embedding/embedding"] == (77, 512)
    assert flat["text_model/encoder/layers/11/self_attn/q_proj/kernel"] == (512, 512)
    assert flat["text_model/encoder/layers/0/mlp/fc1/bias"] == (2048,)
    assert flat["text_model/encoder/layers/3/layer_norm2/scale"] == (512,)
    assert flat["text_model/final_layer_norm/bias"] == (512,)
    assert flat["vision_model/embeddings/class_embedding"] == (768,)
    assert flat["vision_model/embeddings/patch_embedding/kernel"] == (32, 32, 3, 768)
    assert flat["vision_model/embeddings/position_embedding/embedding"] == (50, 768)
    assert flat["vision_model/pre_layrnorm/scale"] == (768,)
    assert flat["vision_model/encoder/layers/11/mlp/fc2/kernel"] == (3072, 768)
    assert flat["vision_model/post_layernorm/bias"] == (768,)
    assert flat["visual_projection/kernel"] == (768, 512)
    assert flat["text_projection/kernel"] == (512, 512)
    assert not any(path.endswith(("projection/bias", "patch_embedding/bias")) for path in flat)


# --- config ------------------------------------------------------------------------------------


def test_it_reads_the_published_config_and_keeps_unknown_keys() -> None:
    config = CLIPConfig.from_dict(PUBLISHED_CONFIG)
    assert config == CLIPConfig.vit_b32()
    written = config.to_dict()
    assert written["architectures"] == ["CLIPModel"]
    assert written["text_config"]["pad_token_id"] == 1
    assert written["vision_config"]["model_type"] == "clip_vision_model"
    assert CLIPConfig.from_dict(json.loads(json.dumps(written))) == config
    for key, value in PUBLISHED_CONFIG.items():
        if not key.endswith("_config"):
            assert written[key] == value, key
    for tower in ("text_config", "vision_config"):
        assert PUBLISHED_CONFIG[tower].items() <= written[tower].items()


def test_it_rejects_a_config_that_cannot_work() -> None:
    bad_heads = {**PUBLISHED_CONFIG["text_config"], "num_attention_heads": 7}
    with pytest.raises(ValueError, match="num_attention_heads"):
        CLIPConfig.from_dict({**PUBLISHED_CONFIG, "text_config": bad_heads})
    bad_patch = {**PUBLISHED_CONFIG["vision_config"], "patch_size": 30}
    with pytest.raises(ValueError, match="patch_size"):
        CLIPConfig.from_dict({**PUBLISHED_CONFIG, "vision_config": bad_patch})


# --- features and score ------------------------------------------------------------------------


def test_it_pools_text_at_the_end_of_text_token(tiny: CLIP) -> None:
    ids, mask = encode_texts(tiny.tokenizer, ["a red cat", "two dogs"], 16)
    features = tiny.text_features(ids, mask)
    assert features.shape == (2, TINY.projection_dim) and features.dtype == np.float32

    end = ids.argmax(axis=1)
    after_end = ids.copy()
    for row, position in enumerate(end):
        after_end[row, position + 1 :] = 7 + row  # any lower id, still masked out
    np.testing.assert_array_equal(tiny.text_features(after_end, mask), features)

    before_end = ids.copy()
    before_end[:, 1] = 300
    assert not np.allclose(tiny.text_features(before_end, mask), features, atol=1e-4)


def test_it_computes_image_features(tiny: CLIP) -> None:
    pixels = tiny.preprocess(random_images(3, seed=0))
    features = tiny.image_features(pixels)
    assert features.shape == (3, TINY.projection_dim) and features.dtype == np.float32
    assert not np.allclose(features[0], features[1])
    with pytest.raises(ValueError, match="NCHW"):
        tiny.image_features(pixels.transpose(0, 2, 3, 1))


def test_it_scores_images_against_texts_as_scaled_cosine(tiny: CLIP) -> None:
    params = {**tiny.params, "logit_scale": np.float32(math.log(100.0))}
    model = CLIP(TINY, params, tiny.tokenizer)
    texts, images = ["a red cat", "two blue dogs", "the sea"], random_images(2, seed=1)
    scores = model.score(texts, images)
    assert scores.shape == (2, 3)

    text = model.text_features(*encode_texts(model.tokenizer, texts, 16))
    image = model.image_features(model.preprocess(images))
    cosine = (image / np.linalg.norm(image, axis=1, keepdims=True)) @ (
        text / np.linalg.norm(text, axis=1, keepdims=True)
    ).T
    np.testing.assert_allclose(scores, 100 * cosine, rtol=1e-5, atol=1e-4)


def test_it_preprocesses_pil_images_and_arrays_alike(tiny: CLIP) -> None:
    images = random_images(2, seed=2, size=(50, 40))
    from_array = tiny.preprocess(images)
    from_pil = tiny.preprocess([Image.fromarray(image) for image in images])
    assert from_array.shape == (2, 3, 32, 32) and from_array.dtype == np.float32
    np.testing.assert_array_equal(from_array, from_pil)
    # A mid-grey image normalises to (0.5 - mean) / std in every channel.
    grey = tiny.preprocess(np.full((1, 40, 40, 3), 128, np.uint8))[0, :, 0, 0]
    mean, std = np.array(tiny.image_settings.image_mean), np.array(tiny.image_settings.image_std)
    np.testing.assert_allclose(grey, (128 / 255 - mean) / std, rtol=1e-5)
    with pytest.raises(ValueError, match="uint8"):
        tiny.preprocess(images.astype(np.float32))


def test_it_matches_hugging_face_preprocessing(tiny: CLIP) -> None:
    transformers = pytest.importorskip("transformers")
    processor = transformers.CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    images = random_images(2, seed=3, size=(45, 60))
    expected = processor(images=list(images), return_tensors="np")["pixel_values"]
    np.testing.assert_allclose(tiny.preprocess(images), expected, atol=1e-6)


def test_it_matches_hugging_face_clip_features(tiny: CLIP) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    hf_config = transformers.CLIPConfig(
        text_config={**TINY.text_config.to_dict(), "bos_token_id": 0, "pad_token_id": 1},
        vision_config=TINY.vision_config.to_dict(),
        projection_dim=TINY.projection_dim,
    )
    torch.manual_seed(0)
    reference = transformers.CLIPModel(hf_config).eval()
    model = CLIP(TINY, from_torch(reference.state_dict()), tiny.tokenizer)

    ids, mask = encode_texts(tiny.tokenizer, ["a red cat", "two blue dogs on a mat"], 16)
    pixels = model.preprocess(random_images(2, seed=4))
    with torch.no_grad():
        text = reference.get_text_features(
            input_ids=torch.tensor(ids, dtype=torch.long), attention_mask=torch.tensor(mask)
        )
        image = reference.get_image_features(pixel_values=torch.tensor(pixels))
    text, image = (getattr(out, "pooler_output", out).numpy() for out in (text, image))
    np.testing.assert_allclose(model.text_features(ids, mask), text, atol=1e-5)
    np.testing.assert_allclose(model.image_features(pixels), image, atol=1e-5)


def from_torch(state: dict) -> dict:
    """HF PyTorch CLIP weights -> the Flax tree (Linear transposed, conv OIHW -> HWIO)."""
    flat = {}
    for name, tensor in state.items():
        array = tensor.numpy()
        *path, leaf = name.split(".")
        if leaf == "position_ids":
            continue
        if path and path[-1] == "patch_embedding":
            flat["/".join([*path, "kernel"])] = array.transpose(2, 3, 1, 0)
        elif path and path[-1].endswith("embedding"):
            flat["/".join([*path, "embedding"])] = array
        elif leaf in ("class_embedding", "logit_scale"):
            flat["/".join([*path, leaf])] = array
        elif "norm" in path[-1] or "layrnorm" in path[-1]:
            flat["/".join([*path, "scale" if leaf == "weight" else "bias"])] = array
        elif leaf == "weight":
            flat["/".join([*path, "kernel"])] = array.T
        else:
            flat["/".join([*path, leaf])] = array
    tree: dict = {}
    for path, array in flat.items():
        *parents, leaf = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = np.array(array)  # (ascontiguousarray turns 0-d into (1,))
    return tree


# --- saving and loading ------------------------------------------------------------------------


def test_it_saves_and_loads_bit_identical(tiny: CLIP, tmp_path: Path) -> None:
    save_clip(tiny, tmp_path)
    names = {path.name for path in tmp_path.iterdir()}
    assert {
        "config.json",
        "flax_model.msgpack",
        "preprocessor_config.json",
        "tokenizer.json",
        "vocab.json",
        "merges.txt",
    } <= names
    loaded = load_clip(tmp_path)
    assert loaded.config == TINY
    assert loaded.image_settings == tiny.image_settings
    saved, again = flatten_params(tiny.params), flatten_params(loaded.params)
    assert saved.keys() == again.keys()
    for path, leaf in saved.items():
        np.testing.assert_array_equal(np.asarray(again[path]), np.asarray(leaf), err_msg=path)
    images = random_images(2, seed=5)
    np.testing.assert_array_equal(loaded.score(CAPTIONS, images), tiny.score(CAPTIONS, images))


def test_it_names_a_misshaped_parameter(tiny: CLIP, tmp_path: Path) -> None:
    save_clip(tiny, tmp_path)
    params = read_params(tmp_path / "flax_model.msgpack")
    params["text_model"]["encoder"]["layers"]["1"]["mlp"]["fc1"]["kernel"] = np.zeros(
        (32, 65), np.float32
    )
    write_params(tmp_path / "flax_model.msgpack", params)
    with pytest.raises(CheckpointError, match=r"layers/1/mlp/fc1/kernel.*\(32, 64\)"):
        load_clip(tmp_path)


def test_it_leaves_a_saved_model_alone_when_saving_a_bad_one(tiny: CLIP, tmp_path: Path) -> None:
    save_clip(tiny, tmp_path)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    broken = {key: value for key, value in tiny.params.items() if key != "logit_scale"}
    with pytest.raises(CheckpointError, match="logit_scale"):
        save_clip(CLIP(TINY, broken, tiny.tokenizer), tmp_path)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_it_reads_preprocessing_settings_from_the_model_directory(
    tiny: CLIP, tmp_path: Path
) -> None:
    save_clip(tiny, tmp_path)
    old_style = {
        "crop_size": 32,
        "size": 36,
        "resample": 3,
        "do_center_crop": True,
        "do_normalize": True,
        "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor",
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
    }
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(old_style))
    settings = load_clip(tmp_path).image_settings
    assert (settings.shortest_edge, settings.crop_height, settings.crop_width) == (36, 32, 32)
    assert settings.image_mean == (0.5, 0.5, 0.5)
    assert settings.to_dict()["feature_extractor_type"] == "CLIPFeatureExtractor"

    (tmp_path / "preprocessor_config.json").write_text(json.dumps({**old_style, "crop_size": 24}))
    with pytest.raises(CheckpointError, match="crop_size"):
        load_clip(tmp_path)


def test_it_names_the_file_of_a_malformed_config(tiny: CLIP, tmp_path: Path) -> None:
    save_clip(tiny, tmp_path)
    written = json.loads((tmp_path / "config.json").read_text())
    written["vision_config"]["image_size"] = 30
    (tmp_path / "config.json").write_text(json.dumps(written))
    with pytest.raises(CheckpointError, match=r"config\.json.*image_size 30"):
        load_clip(tmp_path)
