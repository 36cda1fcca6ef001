"""Reading and writing model checkpoints in the published DALL·E Mini layout.

A model directory holds `config.json` and `flax_model.msgpack`. The msgpack file is what
`flax.serialization.to_bytes` writes: one nested map of module names whose leaves are arrays
stored as msgpack ExtType 1 with the payload `msgpack((shape, dtype_name, C-order bytes))`
(ExtType 3 is the same for a numpy scalar). Arrays over 1 GiB are split by flax into a map
marked `__msgpack_chunked_array__`; both directions of that convention are supported here.

The reader streams: arrays are built one by one as the file is read, so loading the 10 GB
DALL·E Mega file needs about the memory of its arrays, not of the file plus the arrays (as
`flax.serialization.msgpack_restore` over `open(...).read()` would).
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

import jax.numpy as jnp
import msgpack
import numpy as np
from flax import serialization as _flax_serialization
from flax import traverse_util

CONFIG_NAME = "config.json"
PARAMS_NAME = "flax_model.msgpack"

_EXT_NDARRAY = 1
_EXT_COMPLEX = 2
_EXT_NPSCALAR = 3
# flax splits arrays larger than this (msgpack objects are limited to 2**32 - 1 bytes).
_CHUNKED_MARK = "__msgpack_chunked_array__"
# The unpacker must be allowed to buffer the largest single object (one ext payload).
_MAX_OBJECT_BYTES = 2**32 - 1
_READ_SIZE = 16 * 2**20
# "owner/name" as the Hugging Face hub spells repositories.
_HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


class CheckpointError(ValueError):
    """A model directory, config or parameter file is missing, malformed or does not fit."""


# --- model directories and configs -----------------------------------------------------------


def resolve_model_dir(path: str | os.PathLike[str]) -> Path:
    """Return `path` as an existing local directory, or explain why it cannot be one."""
    text = os.fspath(path)
    directory = Path(text).expanduser()
    if directory.is_dir():
        return directory
    if directory.exists():
        raise CheckpointError(f"model path {text!r} is a file, not a model directory")
    if _HUB_NAME.fullmatch(text) and not text.startswith("."):
        raise CheckpointError(
            f"models load from local directories only (no network): {text!r} is not a "
            "directory here; download the files and pass the directory"
        )
    raise CheckpointError(f"model directory {text!r} does not exist")


def read_config(model_dir: Path) -> dict:
    """Read `config.json` from a model directory."""
    path = Path(model_dir) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointError(f"{path}: config file is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path}: cannot read config ({error})") from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path}: config is not valid JSON ({error})") from None
    if not isinstance(config, dict):
        raise CheckpointError(
            f"{path}: config must be a JSON object, found {type(config).__name__}"
        )
    return config


def write_config(model_dir: Path, config: dict) -> None:
    """Write `config.json` (sorted keys, indented) into a model directory, atomically."""
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    with _atomic_file(Path(model_dir) / CONFIG_NAME) as file:
        file.write(text.encode("utf-8"))


# --- reading ---------------------------------------------------------------------------------


def read_params(path: Path) -> dict:
    """Read a flax msgpack parameter file into a nested dict of numpy arrays.

    Arrays are read-only views of the bytes read from the file (no second copy is made).
    """
    path = Path(path)
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed in the finally below
    except FileNotFoundError:
        raise CheckpointError(f"{path}: parameter file is missing") from None
    except OSError as error:
        raise CheckpointError(f"{path}: cannot open parameter file ({error})") from None
    try:
        tree = _unpack_tree(file, path)
    finally:
        file.close()
    return _unchunk_arrays(tree, path)


def _unpack_tree(file: IO[bytes], path: Path) -> dict:
    unpacker = msgpack.Unpacker(
        file,
        ext_hook=_decode_ext,
        raw=False,
        strict_map_key=False,
        max_buffer_size=_MAX_OBJECT_BYTES,
        read_size=_READ_SIZE,
    )
    size = os.fstat(file.fileno()).st_size
    if size == 0:
        raise CheckpointError(f"{path}: parameter file is empty")
    try:
        tree = unpacker.unpack()
    except msgpack.OutOfData:
        raise CheckpointError(
            f"{path}: parameter file is truncated (it ends in the middle of the data; "
            f"{size} bytes on disk)"
        ) from None
    except (ValueError, TypeError, msgpack.UnpackException) as error:
        detail = str(error) or type(error).__name__
        raise CheckpointError(
            f"{path}: not a valid flax msgpack parameter file ({detail})"
        ) from None
    if not isinstance(tree, dict):
        raise CheckpointError(
            f"{path}: not a flax msgpack parameter file (its top-level value is of type "
            f"{type(tree).__name__}, expected a map of module names)"
        )
    if unpacker.tell() != size:
        raise CheckpointError(
            f"{path}: unexpected {size - unpacker.tell()} bytes after the parameter map "
            "(corrupt or concatenated file)"
        )
    return tree


def _decode_ext(code: int, payload: bytes) -> Any:
    """Build an array (or scalar) from one ExtType as the unpacker meets it."""
    if code == _EXT_NDARRAY:
        return _array_from_payload(payload)
    if code == _EXT_NPSCALAR:
        return _array_from_payload(payload)[()]
    if code == _EXT_COMPLEX:
        real, imag = msgpack.unpackb(payload)
        return complex(real, imag)
    raise ValueError(f"unknown msgpack extension type {code}")


def _array_from_payload(payload: bytes) -> np.ndarray:
    # The payload is msgpack [shape, dtype_name, bin]. Only the small header is unpacked; the
    # array is a view into `payload` so its bytes are never copied again.
    header = msgpack.Unpacker(raw=False, max_buffer_size=4096)
    header.feed(payload[:4096])
    try:
        if header.read_array_header() != 3:
            raise ValueError("array entry is not (shape, dtype, bytes)")
        shape = tuple(header.unpack())
        dtype = _dtype_from_name(header.unpack())
    except msgpack.OutOfData:
        raise ValueError("array header is truncated") from None
    offset, length = _bin_span(payload, header.tell())
    expected = math.prod(shape) * dtype.itemsize
    if length != expected:
        raise ValueError(
            f"array of shape {shape} and dtype {dtype.name} needs {expected} bytes, found {length}"
        )
    return np.frombuffer(payload, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)


def _bin_span(payload: bytes, at: int) -> tuple[int, int]:
    """(offset, length) of the msgpack bin object starting at `at`."""
    if at >= len(payload):
        raise ValueError("array bytes are missing")
    marker = payload[at]
    widths = {0xC4: 1, 0xC5: 2, 0xC6: 4}
    if marker not in widths:
        raise ValueError(f"array bytes have msgpack type 0x{marker:02x}, expected bin")
    width = widths[marker]
    if at + 1 + width > len(payload):
        raise ValueError("array bytes are truncated")
    length = int.from_bytes(payload[at + 1 : at + 1 + width], "big")
    start = at + 1 + width
    if start + length != len(payload):
        raise ValueError("array bytes do not fill their entry")
    return start, length


def _dtype_from_name(name: Any) -> np.dtype:
    if isinstance(name, bytes):
        name = name.decode("ascii")
    if not isinstance(name, str):
        raise ValueError(f"array dtype name must be a string, found {name!r}")
    if name == "bfloat16":
        return np.dtype(jnp.bfloat16)
    try:
        dtype = np.dtype(name)
    except TypeError:
        raise ValueError(f"unknown array dtype {name!r}") from None
    if dtype.hasobject:
        raise ValueError(f"object arrays are not allowed (dtype {name!r})")
    return dtype


def _unchunk_arrays(tree: Any, path: Path) -> Any:
    if not isinstance(tree, dict):
        return tree
    if _CHUNKED_MARK in tree:
        try:
            shape = tuple(tree["shape"][str(i)] for i in range(len(tree["shape"])))
            chunks = [tree["chunks"][str(i)] for i in range(len(tree["chunks"]))]
            return np.concatenate(chunks).reshape(shape)
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"{path}: malformed chunked array ({error})") from None
    return {key: _unchunk_arrays(value, path) for key, value in tree.items()}


# --- writing ---------------------------------------------------------------------------------


def write_params(path: Path, params: dict) -> None:
    """Write `params` in the flax msgpack format (flax's own serializer), to a temp file
    renamed into place, so that a failed write leaves the old file as it was."""
    path = Path(path)
    if not isinstance(params, Mapping):
        raise CheckpointError(f"{path}: parameters must be a nested dict, got {type(params)}")
    try:
        data = _flax_serialization.to_bytes(params)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot store these parameters: {error}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    with _atomic_file(path) as file:
        file.write(data)


class _atomic_file:
    """Open a temp file beside `path`; on success fsync and rename it over `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> IO[bytes]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        self.temp = Path(name)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else 0o644
        os.chmod(self.temp, mode)
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, kind: type | None, error: BaseException | None, tb: Any) -> None:
        try:
            if kind is None:
                self.file.flush()
                os.fsync(self.file.fileno())
            self.file.close()
            if kind is None:
                os.replace(self.temp, self.path)
        finally:
            if self.temp.exists():
                self.temp.unlink()


# --- trees -----------------------------------------------------------------------------------


def flatten_params(tree: Mapping) -> dict[str, Any]:
    """{"a/b/kernel": leaf, ...} for a nested dict (empty sub-dicts vanish)."""
    return traverse_util.flatten_dict(dict(tree), sep="/")


def unflatten_params(flat: Mapping[str, Any]) -> dict:
    """Inverse of `flatten_params`."""
    tree: dict = {}
    for path, leaf in flat.items():
        *parents, name = path.split("/")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise CheckpointError(f"parameter path {path!r} passes through a leaf")
        if name in node:
            raise CheckpointError(f"parameter path {path!r} appears twice")
        node[name] = leaf
    return tree


def stack_layers(tree: dict, per_layer_prefix: str, stacked_name: str) -> dict:
    """Replace sibling subtrees `{prefix}0 … {prefix}{L-1}` by one stacked subtree.

    Unscanned DalleBart checkpoints name their layers `FlaxBartEncoderLayer_0`, …; the
    canonical (scanned) layout holds one `FlaxBartEncoderLayers` subtree whose leaves carry
    the layer on a new leading axis. Returns a new tree; the input is left as it was.
    """
    pattern = re.compile(re.escape(per_layer_prefix) + r"(\d+)")
    layers = {int(m.group(1)): key for key in tree if (m := pattern.fullmatch(str(key)))}
    result: dict = {}
    for key, value in tree.items():
        if key in layers.values():
            if key == layers.get(min(layers)):
                result[stacked_name] = _stack_siblings(tree, layers, stacked_name)
            continue
        if isinstance(value, dict):
            value = stack_layers(value, per_layer_prefix, stacked_name)
        result[key] = value
    return result


def _stack_siblings(tree: dict, layers: dict[int, str], stacked_name: str) -> dict:
    count = len(layers)
    if sorted(layers) != list(range(count)):
        raise CheckpointError(
            f"layers {sorted(layers)} are not numbered 0…{count - 1}; cannot stack them"
        )
    if stacked_name in tree:
        raise CheckpointError(f"both per-layer subtrees and {stacked_name!r} are present")
    flats = [flatten_params(tree[layers[i]]) for i in range(count)]
    first = flats[0]
    for i, flat in enumerate(flats[1:], start=1):
        shapes = {path: np.shape(leaf) for path, leaf in flat.items()}
        if shapes != {path: np.shape(leaf) for path, leaf in first.items()}:
            raise CheckpointError(
                f"layer {layers[i]!r} has different parameters or shapes than {layers[0]!r}"
            )
    return unflatten_params({path: np.stack([flat[path] for flat in flats]) for path in first})


# --- matching a checkpoint to a model --------------------------------------------------------


def check_params(
    params: Mapping, expected: Mapping, model_name: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Raise CheckpointError listing every missing, unexpected and misshaped parameter; return
    both trees flattened. Savers call it before writing, so a bad model never replaces a good
    file."""
    found = flatten_params(params)
    wanted = flatten_params(expected)
    problems = _mismatches(found, wanted)
    if problems:
        raise CheckpointError(
            f"{model_name} checkpoint does not match its configuration "
            f"({len(problems)} problems):\n  " + "\n  ".join(problems)
        )
    return found, wanted


def match_params(params: dict, expected: dict, model_name: str, dtype: Any) -> dict:
    """Check `params` against the model's expected shapes and return it as jax arrays.

    `expected` is a nested dict of `jax.ShapeDtypeStruct` (from `jax.eval_shape`). Every
    missing, unexpected and misshaped parameter is listed in one error. Floating parameters
    (float16, bfloat16 or float32 on disk) are cast to `dtype`.
    """
    found, wanted = check_params(params, expected, model_name)
    target = jnp.dtype(dtype)
    converted = {}
    for path, spec in wanted.items():
        leaf_dtype = target if jnp.issubdtype(spec.dtype, jnp.floating) else spec.dtype
        converted[path] = jnp.asarray(found[path], dtype=leaf_dtype)
    return unflatten_params(converted)


def _mismatches(found: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    problems = []
    for path, spec in wanted.items():
        if path not in found:
            problems.append(f"missing: {path} (expected shape {tuple(spec.shape)})")
            continue
        leaf = found[path]
        shape = tuple(np.shape(leaf))
        leaf_dtype = np.dtype(getattr(leaf, "dtype", None) or np.asarray(leaf).dtype)
        if shape != tuple(spec.shape):
            problems.append(f"misshaped: {path}: expected {tuple(spec.shape)}, found {shape}")
        elif not _dtype_fits(leaf_dtype, jnp.dtype(spec.dtype)):
            problems.append(
                f"wrong dtype: {path}: expected {jnp.dtype(spec.dtype).name}, "
                f"found {leaf_dtype.name}"
            )
    for path, leaf in found.items():
        if path not in wanted:
            problems.append(f"unexpected: {path} (shape {tuple(np.shape(leaf))})")
    return problems


def _dtype_fits(found: np.dtype, wanted: np.dtype) -> bool:
    if jnp.issubdtype(wanted, jnp.floating):
        return found.name in _FLOAT_DTYPES
    return found == wanted


# --- a model directory: config.json + flax_model.msgpack ----------------------------------------

ConfigT = TypeVar("ConfigT")


def load_model_files(
    model_dir: str | os.PathLike[str],
    parse_config: Callable[[dict], ConfigT],
) -> tuple[Path, ConfigT, dict]:
    """(directory, parsed config, raw parameter tree) of a model directory; a config the model
    refuses becomes a CheckpointError naming the file."""
    directory = resolve_model_dir(model_dir)
    raw_config = read_config(directory)
    try:
        config = parse_config(raw_config)
    except (TypeError, ValueError, KeyError) as error:
        raise CheckpointError(f"{directory / CONFIG_NAME}: {error}") from None
    return directory, config, read_params(directory / PARAMS_NAME)


def save_model_files(
    model_dir: str | os.PathLike[str],
    params: Mapping,
    expected: Mapping,
    model_name: str,
    config: dict,
    dtype: Any = None,
) -> Path:
    """Check `params` against `expected` shapes, then write them (floats cast to `dtype` when
    one is given) and the config. Nothing is written when the check fails, so a bad model never
    replaces a good one."""
    if dtype is None:
        check_params(params, expected, model_name)
        tree = dict(params)
    else:
        tree = match_params(dict(params), dict(expected), model_name, dtype)
    directory = Path(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    write_params(directory / PARAMS_NAME, tree)
    write_config(directory, config)
    return directory


def plain_dict(tree: Any) -> Any:
    """Flax may hand back FrozenDicts; the project's trees are plain nested dicts."""
    if isinstance(tree, Mapping):
        return {key: plain_dict(value) for key, value in tree.items()}
    return tree
