"""Train byte-level BPE tokenizers on captions and save them in the published layouts.

Two layouts, so that a model trained here loads exactly like the published checkpoints:

- BART (DalleBart's text encoder): the `facebook/bart` conventions dalle-mini kept: `<s>`=0,
  `<pad>`=1, `</s>`=2, `<unk>`=3, `<mask>` last; sequences are `<s> … </s>`; no prefix space.
- CLIP: lower-cased, words end in `</w>`, `<|startoftext|>` and `<|endoftext|>` take the two
  highest ids (CLIP pools the text at argmax(input_ids), i.e. at `<|endoftext|>`), which also
  pads.

Each directory gets `vocab.json`, `merges.txt`, `tokenizer.json`, `tokenizer_config.json` and
`special_tokens_map.json`, loadable by `generator.tokenizers.load_bart_tokenizer` /
`load_clip_tokenizer`. dalle-mini trained its tokenizer on normalised captions: pass
`generator.text.normalize_text` output for the BART one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE
from tokenizers.processors import RobertaProcessing
from tokenizers.trainers import BpeTrainer

BART_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0…3, in this order
BART_MASK = "<mask>"
CLIP_START = "<|startoftext|>"
CLIP_END = "<|endoftext|>"
END_OF_WORD = "</w>"
# CLIP's word splitter: contractions, letter runs, single digits, other symbol runs.
CLIP_WORDS = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]"
    r"|[^\s\p{L}\p{N}]+"
)
_MERGES_HEADER = "#version: 0.2\n"


def train_bart_tokenizer(
    captions: Iterable[str], directory: Path, vocab_size: int = 1024, min_frequency: int = 2
) -> Path:
    """Train a BART-layout byte-level BPE on `captions` and save it into `directory`.

    The vocabulary has at most `vocab_size` entries (fewer when the captions run out of pairs
    seen `min_frequency` times).
    """
    tokenizer = Tokenizer(BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = BpeTrainer(
        vocab_size=vocab_size - 1,  # <mask> is appended after training
        min_frequency=min_frequency,
        special_tokens=list(BART_SPECIALS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_checked(captions), trainer)
    vocab, merges = _vocab_and_merges(tokenizer)
    vocab[BART_MASK] = len(vocab)

    final = Tokenizer(BPE(vocab=vocab, merges=merges))
    final.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    final.decoder = decoders.ByteLevel()
    final.post_processor = RobertaProcessing(
        ("</s>", vocab["</s>"]), ("<s>", vocab["<s>"]), add_prefix_space=False
    )
    final.add_special_tokens(
        [AddedToken(token, special=True, normalized=False) for token in BART_SPECIALS]
        + [AddedToken(BART_MASK, special=True, normalized=False, lstrip=True)]
    )
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": BART_MASK,
    }
    config = {
        "tokenizer_class": "BartTokenizer",
        "model_max_length": 1024,
        "add_prefix_space": False,
        "errors": "replace",
        "trim_offsets": True,
        **specials,
    }
    return _save(final, vocab, merges, Path(directory), config, specials)


def train_clip_tokenizer(
    captions: Iterable[str], directory: Path, vocab_size: int = 1024, min_frequency: int = 2
) -> Path:
    """Train a CLIP-layout byte-level BPE on `captions` and save it into `directory`.

    Every byte is kept both inside a word and at its end, so the vocabulary holds at least 514
    entries whatever `vocab_size` says; read the real size from the loaded tokenizer.
    """
    tokenizer = Tokenizer(BPE(end_of_word_suffix=END_OF_WORD))
    tokenizer.normalizer = _clip_normalizer()
    tokenizer.pre_tokenizer = _clip_pre_tokenizer()
    trainer = BpeTrainer(
        vocab_size=vocab_size - 2,  # the two special tokens are appended after training
        min_frequency=min_frequency,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        end_of_word_suffix=END_OF_WORD,
        show_progress=False,
    )
    tokenizer.train_from_iterator(_checked(captions), trainer)
    vocab, merges = _vocab_and_merges(tokenizer)
    # Every byte must exist both inside a word and at its end, or unseen text would hit <unk>.
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        for token in (symbol, symbol + END_OF_WORD):
            vocab.setdefault(token, len(vocab))
    vocab[CLIP_START] = len(vocab)
    vocab[CLIP_END] = len(vocab)  # the highest id: CLIP pools at argmax(input_ids)

    final = Tokenizer(
        BPE(vocab=vocab, merges=merges, end_of_word_suffix=END_OF_WORD, unk_token=CLIP_END)
    )
    final.normalizer = _clip_normalizer()
    final.pre_tokenizer = _clip_pre_tokenizer()
    final.decoder = decoders.ByteLevel()
    final.post_processor = RobertaProcessing(
        (CLIP_END, vocab[CLIP_END]),
        (CLIP_START, vocab[CLIP_START]),
        trim_offsets=False,
        add_prefix_space=False,
    )
    final.add_special_tokens(
        [AddedToken(token, special=True, normalized=True) for token in (CLIP_START, CLIP_END)]
    )
    specials = {
        "bos_token": CLIP_START,
        "eos_token": CLIP_END,
        "unk_token": CLIP_END,
        "pad_token": CLIP_END,
    }
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": 77,
        "do_lower_case": True,
        "errors": "replace",
        **specials,
    }
    return _save(final, vocab, merges, Path(directory), config, specials)


def _checked(captions: Iterable[str]) -> list[str]:
    texts = list(captions)
    if not texts:
        raise ValueError("cannot train a tokenizer on no captions")
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"captions must be strings, found {type(text).__name__}")
    return texts


def _clip_normalizer() -> normalizers.Normalizer:
    return normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )


def _clip_pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_WORDS), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )


def _vocab_and_merges(tokenizer: Tokenizer) -> tuple[dict[str, int], list[tuple[str, str]]]:
    model = json.loads(tokenizer.to_str())["model"]
    vocab = dict(sorted(model["vocab"].items(), key=lambda item: item[1]))
    pairs = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
    return vocab, [(first, second) for first, second in pairs]


def _save(
    tokenizer: Tokenizer,
    vocab: dict[str, int],
    merges: list[tuple[str, str]],
    directory: Path,
    config: dict,
    specials: dict[str, str],
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    ordered = dict(sorted(vocab.items(), key=lambda item: item[1]))
    (directory / "vocab.json").write_text(json.dumps(ordered, ensure_ascii=False), "utf-8")
    merges_text = _MERGES_HEADER + "".join(f"{a} {b}\n" for a, b in merges)
    (directory / "merges.txt").write_text(merges_text, "utf-8")
    tokenizer.save(str(directory / "tokenizer.json"))
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")
    (directory / "special_tokens_map.json").write_text(
        json.dumps(specials, indent=2) + "\n", "utf-8"
    )
    return directory
