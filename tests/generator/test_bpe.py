"""Training byte-level BPE tokenizers in the BART and CLIP layouts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from generator.text import normalize_text
from generator.tokenizers import encode_texts, load_bart_tokenizer, load_clip_tokenizer
from generator.training.bpe import train_bart_tokenizer, train_clip_tokenizer

CAPTIONS = [
    f"{count} {colour} {thing} {place}"
    for count in ("a", "two", "three")
    for colour in ("red", "blue", "green", "yellow")
    for thing in ("apples", "cats", "cars")
    for place in ("on a table", "in the snow", "under a tree")
]


@pytest.fixture(scope="module")
def bart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bart")
    return train_bart_tokenizer([normalize_text(c) for c in CAPTIONS], directory, vocab_size=320)


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_clip_tokenizer(CAPTIONS, tmp_path_factory.mktemp("clip"), vocab_size=600)


def test_it_writes_the_published_tokenizer_files(bart_dir: Path, clip_dir: Path) -> None:
    names = {
        "vocab.json",
        "merges.txt",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    }
    assert names <= {p.name for p in bart_dir.iterdir()}
    assert names <= {p.name for p in clip_dir.iterdir()}
    assert (bart_dir / "merges.txt").read_text().startswith("#version: 0.2\n")


def test_bart_layout_has_barts_special_ids(bart_dir: Path) -> None:
    vocab = json.loads((bart_dir / "vocab.json").read_text())
    assert [vocab[t] for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3]
    assert vocab["<mask>"] == max(vocab.values()) == len(vocab) - 1
    assert len(vocab) <= 320  # at most vocab_size (fewer when the captions run out of pairs)
    tokenizer = load_bart_tokenizer(bart_dir)
    assert (tokenizer.bos_token_id, tokenizer.pad_token_id, tokenizer.eos_token_id) == (0, 1, 2)


def test_bart_round_trips_captions_and_frames_them_with_s_tags(bart_dir: Path) -> None:
    tokenizer = load_bart_tokenizer(bart_dir)
    text = normalize_text("Three yellow cars in the snow")
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert len(ids) < len(text)  # trained merges make words into few tokens
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_bart_encodes_text_it_never_saw_without_unknown_tokens(bart_dir: Path) -> None:
    tokenizer = load_bart_tokenizer(bart_dir)
    text = " zebra 🦓 ünïcode"
    ids = tokenizer(text)["input_ids"]
    assert 3 not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_bart_pads_to_max_length(bart_dir: Path) -> None:
    tokenizer = load_bart_tokenizer(bart_dir)
    ids, mask = encode_texts(tokenizer, [normalize_text("a red cat"), ""], max_length=64)
    assert ids.shape == mask.shape == (2, 64)
    real = int(mask[0].sum())
    assert ids[0, real - 1] == 2 and (ids[0, real:] == 1).all()
    assert ids[1, :3].tolist() == [0, 2, 1]  # the unconditional prompt: <s> </s> <pad>…


def test_clip_layout_gives_end_of_text_the_highest_id(clip_dir: Path) -> None:
    vocab = json.loads((clip_dir / "vocab.json").read_text())
    assert vocab["<|endoftext|>"] == max(vocab.values())
    assert vocab["<|startoftext|>"] == vocab["<|endoftext|>"] - 1


def test_clip_lower_cases_and_pools_at_the_end_token(clip_dir: Path) -> None:
    tokenizer = load_clip_tokenizer(clip_dir)
    upper, _ = encode_texts(tokenizer, ["TWO RED CATS"], max_length=16)
    lower, mask = encode_texts(tokenizer, ["two red cats"], max_length=16)
    np.testing.assert_array_equal(upper, lower)
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    # CLIP takes the text feature at argmax(ids): the first end token, right after the text.
    assert np.argmax(lower[0]) == int(mask[0].sum()) - 1
    assert lower[0, np.argmax(lower[0])] == end
    assert tokenizer.decode(lower[0], skip_special_tokens=True) == "two red cats"


def test_clip_encodes_unseen_characters_without_unknown_tokens(clip_dir: Path) -> None:
    tokenizer = load_clip_tokenizer(clip_dir)
    ids = tokenizer("zebra 🦓 ünïcode")["input_ids"]
    end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    assert ids.count(end) == 1 and ids[-1] == end
    assert tokenizer.decode(ids, skip_special_tokens=True) == "zebra 🦓 ünïcode"


def test_training_refuses_no_captions(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no captions"):
        train_bart_tokenizer([], tmp_path)
