"""Checkpoint files: the flax msgpack format, model directories, configs and parameter matching."""

from __future__ import annotations

import json
from pathlib import Path

import flax.serialization
import jax
import jax.numpy as jnp
import msgpack
import numpy as np
import pytest

from generator.checkpoint import (
    CheckpointError,
    flatten_params,
    match_params,
    read_config,
    read_params,
    resolve_model_dir,
    stack_layers,
    unflatten_params,
    write_config,
    write_params,
)


def sample_tree() -> dict:
    rng = np.random.default_rng(0)
    return {
        "lm_head": {"kernel": rng.standard_normal((4, 6)).astype(np.float32)},
        "model": {
            "encoder": {
                "final_ln": {"bias": rng.standard_normal(6).astype(np.float16)},
                "embed": {"embedding": rng.standard_normal((3, 6)).astype(jnp.bfloat16)},
                "transposed": rng.standard_normal((5, 2)).T,  # not C-contiguous
            },
            "steps": np.arange(300, dtype=np.int32),
            "empty": np.zeros((0, 3), np.float32),
            "zero_d": np.array(1.5, np.float32),
            "scalar": np.float32(2.5),
            "large": rng.standard_normal(70_000).astype(np.float32),  # ext32 entry
        },
    }


def assert_same_tree(found: dict, expected: dict) -> None:
    found_flat, expected_flat = flatten_params(found), flatten_params(expected)
    assert list(found_flat) == list(expected_flat)
    for path, value in expected_flat.items():
        assert np.asarray(found_flat[path]).dtype == np.asarray(value).dtype, path
        assert np.shape(found_flat[path]) == np.shape(value), path
        assert np.asarray(found_flat[path]).tobytes() == np.asarray(value).tobytes(), path


# --- format ----------------------------------------------------------------------------------


def test_it_reads_back_exactly_what_it_wrote(tmp_path: Path) -> None:
    tree = sample_tree()
    write_params(tmp_path / "flax_model.msgpack", tree)
    assert_same_tree(read_params(tmp_path / "flax_model.msgpack"), tree)


def test_it_writes_the_same_bytes_as_flax_to_bytes(tmp_path: Path) -> None:
    tree = sample_tree()
    write_params(tmp_path / "p.msgpack", tree)
    assert (tmp_path / "p.msgpack").read_bytes() == flax.serialization.to_bytes(tree)


def test_flax_msgpack_restore_reads_our_files(tmp_path: Path) -> None:
    tree = sample_tree()
    write_params(tmp_path / "p.msgpack", tree)
    restored = flax.serialization.msgpack_restore((tmp_path / "p.msgpack").read_bytes())
    assert_same_tree(restored, tree)


def test_it_reads_files_written_by_flax(tmp_path: Path) -> None:
    tree = sample_tree()
    (tmp_path / "p.msgpack").write_bytes(flax.serialization.to_bytes(tree))
    found = read_params(tmp_path / "p.msgpack")
    assert_same_tree(found, tree)
    assert isinstance(found["model"]["scalar"], np.float32)


def test_it_writes_jax_arrays(tmp_path: Path) -> None:
    tree = {"dense": {"kernel": jax.random.normal(jax.random.key(0), (3, 2))}}
    write_params(tmp_path / "p.msgpack", tree)
    found = read_params(tmp_path / "p.msgpack")["dense"]["kernel"]
    np.testing.assert_array_equal(found, np.asarray(tree["dense"]["kernel"]))


def test_it_reads_arrays_flax_split_into_chunks(tmp_path: Path, monkeypatch) -> None:
    # flax splits arrays over 1 GiB; a small limit makes it split this one.
    monkeypatch.setattr(flax.serialization, "MAX_CHUNK_SIZE", 64)
    array = np.arange(100, dtype=np.float32).reshape(4, 25)
    data = flax.serialization.msgpack_serialize({"big": {"kernel": array}})
    assert b"__msgpack_chunked_array__" in data
    (tmp_path / "p.msgpack").write_bytes(data)
    np.testing.assert_array_equal(read_params(tmp_path / "p.msgpack")["big"]["kernel"], array)


def test_it_splits_huge_arrays_as_flax_does(tmp_path: Path, monkeypatch) -> None:
    # The writer is flax's serializer: its chunk limit (1 GiB) made small splits this array.
    monkeypatch.setattr(flax.serialization, "MAX_CHUNK_SIZE", 64)
    array = np.arange(100, dtype=np.float32).reshape(4, 25)
    write_params(tmp_path / "p.msgpack", {"big": {"kernel": array}})
    data = (tmp_path / "p.msgpack").read_bytes()
    assert b"__msgpack_chunked_array__" in data
    np.testing.assert_array_equal(flax.serialization.msgpack_restore(data)["big"]["kernel"], array)
    np.testing.assert_array_equal(read_params(tmp_path / "p.msgpack")["big"]["kernel"], array)


# --- bad files -------------------------------------------------------------------------------


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "flax_model.msgpack"
    write_params(path, {"a": {"kernel": np.ones((8, 8), np.float32)}, "b": np.ones(4, np.float16)})
    return path


@pytest.mark.parametrize("keep", [1, 10, 100, -5, -1])
def test_a_truncated_file_is_reported_as_truncated(good_file: Path, keep: int) -> None:
    good_file.write_bytes(good_file.read_bytes()[:keep])
    with pytest.raises(CheckpointError, match="truncated") as error:
        read_params(good_file)
    assert str(good_file) in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 a zip file, not msgpack", "not a flax msgpack parameter file"),
        (json.dumps({"a": [1, 2]}).encode(), "not a flax msgpack parameter file"),
        (msgpack.packb([1, 2, 3]), "top-level value is of type list"),
        (bytes([0xC1]) * 8, "not a valid flax msgpack parameter file"),
    ],
)
def test_a_file_that_is_not_a_checkpoint_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "flax_model.msgpack"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as error:
        read_params(path)
    assert str(path) in str(error.value)


def test_bytes_after_the_parameters_are_refused(good_file: Path) -> None:
    good_file.write_bytes(good_file.read_bytes() + b"\x00\x01")
    with pytest.raises(CheckpointError, match="2 bytes after the parameter map"):
        read_params(good_file)


def test_an_array_whose_bytes_do_not_fit_its_shape_is_refused(tmp_path: Path) -> None:
    payload = msgpack.packb(((3, 3), "float32", b"\x00" * 8), use_bin_type=True)
    path = tmp_path / "p.msgpack"
    path.write_bytes(msgpack.packb({"k": msgpack.ExtType(1, payload)}))
    with pytest.raises(CheckpointError, match=r"needs 36 bytes, found 8"):
        read_params(path)


def test_an_unknown_dtype_is_refused(tmp_path: Path) -> None:
    payload = msgpack.packb(((2,), "float99", b"\x00" * 8), use_bin_type=True)
    path = tmp_path / "p.msgpack"
    path.write_bytes(msgpack.packb({"k": msgpack.ExtType(1, payload)}))
    with pytest.raises(CheckpointError, match="unknown array dtype 'float99'"):
        read_params(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="parameter file is missing") as error:
        read_params(tmp_path / "nope.msgpack")
    assert "nope.msgpack" in str(error.value)


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(good_file: Path) -> None:
    before = good_file.read_bytes()
    with pytest.raises(CheckpointError, match="cannot store"):
        write_params(good_file, {"a": {"kernel": np.ones(3)}, "b": object()})
    assert good_file.read_bytes() == before
    assert sorted(p.name for p in good_file.parent.iterdir()) == [good_file.name]


# --- directories and configs -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["dalle-mini/dalle-mini", "openai/clip-vit-base-patch32"])
def test_a_hub_name_is_refused_with_instructions(name: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError) as error:
        resolve_model_dir(name)
    message = str(error.value)
    assert "local directories only" in message
    assert "no network" in message
    assert repr(name) in message
    assert "download the files and pass the directory" in message


def test_a_local_directory_is_accepted_even_if_named_like_a_hub_repo(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dalle-mini" / "dalle-mini").mkdir(parents=True)
    assert resolve_model_dir("dalle-mini/dalle-mini").is_dir()


def test_a_missing_directory_or_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_model_dir(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CheckpointError, match="is a file, not a model directory"):
        resolve_model_dir(tmp_path / "file")


def test_configs_round_trip(tmp_path: Path) -> None:
    config = {"d_model": 32, "use_glu": True, "layers": [1, 2], "name": "tiny"}
    write_config(tmp_path, config)
    assert read_config(tmp_path) == config


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "config file is missing"), ("{oops", "not valid JSON"), ("[1]", "JSON object")],
)
def test_a_bad_config_is_refused(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "config.json").write_text(content)
    with pytest.raises(CheckpointError, match=message) as error:
        read_config(tmp_path)
    assert "config.json" in str(error.value)


# --- trees -----------------------------------------------------------------------------------


def test_flatten_and_unflatten_are_inverse() -> None:
    tree = sample_tree()
    flat = flatten_params(tree)
    assert "model/encoder/final_ln/bias" in flat
    assert_same_tree(unflatten_params(flat), tree)


def per_layer_tree(layers: int) -> dict:
    return {
        "encoder": {
            **{
                f"Layer_{i}": {
                    "attn": {"kernel": np.full((2, 3), i, np.float32)},
                    "ln": {"bias": np.full(3, i, np.float32)},
                }
                for i in range(layers)
            },
            "final_ln": {"bias": np.zeros(3, np.float32)},
        }
    }


def test_stack_layers_stacks_per_layer_subtrees_on_a_leading_axis() -> None:
    tree = per_layer_tree(3)
    stacked = stack_layers(tree, "Layer_", "Layers")
    assert sorted(stacked["encoder"]) == ["Layers", "final_ln"]
    kernel = stacked["encoder"]["Layers"]["attn"]["kernel"]
    assert kernel.shape == (3, 2, 3)
    np.testing.assert_array_equal(kernel[:, 0, 0], [0, 1, 2])
    assert "Layer_0" in tree["encoder"]  # the input is left as it was


def test_stack_layers_refuses_gaps_and_mismatched_layers() -> None:
    tree = per_layer_tree(3)
    del tree["encoder"]["Layer_1"]
    with pytest.raises(CheckpointError, match="not numbered"):
        stack_layers(tree, "Layer_", "Layers")
    tree = per_layer_tree(2)
    tree["encoder"]["Layer_1"]["ln"]["bias"] = np.zeros(4, np.float32)
    with pytest.raises(CheckpointError, match="different parameters or shapes"):
        stack_layers(tree, "Layer_", "Layers")


def expected_specs() -> dict:
    return {
        "dense": {
            "kernel": jax.ShapeDtypeStruct((4, 3), jnp.float32),
            "bias": jax.ShapeDtypeStruct((3,), jnp.float32),
        },
        "ln": {"scale": jax.ShapeDtypeStruct((3,), jnp.float32)},
    }


def test_match_params_lists_every_problem_with_shapes() -> None:
    params = {
        "dense": {"kernel": np.zeros((3, 4), np.float32)},  # transposed, bias missing
        "ln": {"scale": np.zeros(3, np.float32), "bias": np.zeros(3, np.float32)},  # extra
    }
    with pytest.raises(CheckpointError) as error:
        match_params(params, expected_specs(), "DalleBart", jnp.float32)
    message = str(error.value)
    assert "DalleBart" in message
    assert "missing: dense/bias (expected shape (3,))" in message
    assert "unexpected: ln/bias (shape (3,))" in message
    assert "misshaped: dense/kernel: expected (4, 3), found (3, 4)" in message
    assert "3 problems" in message


@pytest.mark.parametrize("disk_dtype", [np.float16, jnp.bfloat16, np.float32])
@pytest.mark.parametrize("model_dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
def test_match_params_casts_any_float_checkpoint_to_the_model_dtype(
    disk_dtype, model_dtype
) -> None:
    rng = np.random.default_rng(1)
    params = {
        "dense": {
            "kernel": rng.standard_normal((4, 3)).astype(disk_dtype),
            "bias": rng.standard_normal(3).astype(disk_dtype),
        },
        "ln": {"scale": np.ones(3, disk_dtype)},
    }
    matched = match_params(params, expected_specs(), "tiny", model_dtype)
    kernel = matched["dense"]["kernel"]
    assert isinstance(kernel, jax.Array)
    assert kernel.dtype == jnp.dtype(model_dtype)
    np.testing.assert_allclose(
        np.asarray(kernel, np.float32),
        np.asarray(params["dense"]["kernel"], np.float32),
        rtol=1e-2,
        atol=1e-2,
    )


def test_match_params_refuses_integer_weights_where_floats_belong() -> None:
    params = {
        "dense": {"kernel": np.zeros((4, 3), np.int32), "bias": np.zeros(3, np.float32)},
        "ln": {"scale": np.ones(3, np.float32)},
    }
    with pytest.raises(
        CheckpointError, match="wrong dtype: dense/kernel: expected float32, found int32"
    ):
        match_params(params, expected_specs(), "tiny", jnp.float32)
