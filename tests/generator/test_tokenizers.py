"""Loading tokenizers from local model directories, and encoding prompts for the encoders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from generator.checkpoint import CheckpointError
from generator.text import normalize_text
from generator.tokenizers import encode_texts, load_bart_tokenizer, load_clip_tokenizer
from generator.training.bpe import train_bart_tokenizer, train_clip_tokenizer

CAPTIONS = [
    f"{colour} {thing} {place}"
    for colour in ("a red", "a blue", "two green", "three small")
    for thing in ("dogs", "houses", "boats")
    for place in ("near the sea", "on a hill", "at night")
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tokenizers")
    return {
        "bart": train_bart_tokenizer([normalize_text(c) for c in CAPTIONS], root / "bart", 300),
        "clip": train_clip_tokenizer(CAPTIONS, root / "clip", 600),
    }


def copy_without(source: Path, target: Path, *names: str) -> Path:
    shutil.copytree(source, target)
    for name in names:
        (target / name).unlink()
    return target


@pytest.mark.parametrize(
    ("kind", "load"), [("bart", load_bart_tokenizer), ("clip", load_clip_tokenizer)]
)
def test_tokenizer_json_alone_and_vocab_plus_merges_alone_give_the_same_ids(
    trained: dict[str, Path], tmp_path: Path, kind: str, load
) -> None:
    texts = [normalize_text("Two green boats at night!"), "a red dog, near the sea 🌊"]
    only_json = load(copy_without(trained[kind], tmp_path / "json", "vocab.json", "merges.txt"))
    only_bpe = load(copy_without(trained[kind], tmp_path / "bpe", "tokenizer.json"))
    first = encode_texts(only_json, texts, 32)
    second = encode_texts(only_bpe, texts, 32)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_published_dalle_mini_tokenizer_config_is_accepted(
    trained: dict[str, Path], tmp_path: Path
) -> None:
    directory = copy_without(trained["bart"], tmp_path / "dalle_bart")
    config = json.loads((directory / "tokenizer_config.json").read_text())
    # What dalle-mini/dalle-mini ships: a class name transformers does not know.
    config.update(tokenizer_class="DalleBartTokenizer", name_or_path="boris/dalle-mini-tokenizer")
    (directory / "tokenizer_config.json").write_text(json.dumps(config))
    tokenizer = load_bart_tokenizer(directory)
    assert tokenizer(" a red dog")["input_ids"][0] == 0


def test_encode_texts_pads_truncates_and_returns_int32(trained: dict[str, Path]) -> None:
    tokenizer = load_bart_tokenizer(trained["bart"])
    long_prompt = normalize_text(" ".join(CAPTIONS))
    ids, mask = encode_texts(tokenizer, [long_prompt, normalize_text("a red dog"), ""], 64)
    assert ids.dtype == mask.dtype == np.int32
    assert ids.shape == mask.shape == (3, 64)
    assert mask[0].all() and ids[0, 0] == 0 and ids[0, -1] == 2  # truncated, still closed
    assert mask[1].sum() < 64 and (ids[1][mask[1] == 0] == 1).all()
    assert ids[2].tolist() == [0, 2] + [1] * 62  # dalle-mini's unconditional input


def test_encode_texts_refuses_a_bare_string(trained: dict[str, Path]) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        encode_texts(load_bart_tokenizer(trained["bart"]), "a red dog", 64)


def test_a_directory_without_tokenizer_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        CheckpointError, match=r"need tokenizer\.json, or vocab\.json and merges\.txt"
    ):
        load_bart_tokenizer(tmp_path)


def test_a_hub_name_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match="local directories only"):
        load_clip_tokenizer("openai/clip-vit-base-patch32")


def test_the_wrong_kind_of_tokenizer_is_refused(trained: dict[str, Path]) -> None:
    with pytest.raises(CheckpointError, match="not a CLIP tokenizer"):
        load_clip_tokenizer(trained["bart"])
    with pytest.raises(CheckpointError, match="not a BART tokenizer"):
        load_bart_tokenizer(trained["clip"])


def test_a_corrupt_tokenizer_file_is_refused(trained: dict[str, Path], tmp_path: Path) -> None:
    directory = copy_without(trained["clip"], tmp_path / "clip", "vocab.json", "merges.txt")
    (directory / "tokenizer.json").write_text('{"model": ')
    with pytest.raises(CheckpointError, match="cannot load the CLIP tokenizer"):
        load_clip_tokenizer(directory)
