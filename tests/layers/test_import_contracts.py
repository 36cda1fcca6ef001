"""The layers of ARCHITECTURE.md are contracts `lint-imports` checks (pyproject's
[tool.importlinter]); each contract is shown to fail on a tree that crosses its layer."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("config", "game", "generator", "puzzles")


def lint(directory: Path) -> subprocess.CompletedProcess[str]:
    if not LINT.exists():
        pytest.skip(f"IMPORT-LINTER IS NOT INSTALLED ({LINT}): install the test extras")
    return subprocess.run(
        [str(LINT), str(directory / "pyproject.toml")],
        cwd=directory,
        env={"PYTHONPATH": str(directory), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_keeps_every_contract() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "broken" not in result.stdout.lower().split("contracts:")[-1].replace("0 broken", "")


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def crossing(tmp_path: Path, module: str, imported: str) -> Path:
    """The project's packages as empty modules (every file the contracts may name), but for
    `module`, which imports `imported`."""
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            target = tmp_path / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
    path = tmp_path / (module.replace(".", "/") + ".py")
    if not path.exists():  # a package: its __init__ crosses
        path = tmp_path / module.replace(".", "/") / "__init__.py"
    path.write_text(f"import {imported}\n")
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: c["name"])
def test_each_contract_fails_when_its_layer_is_crossed(contract: dict, tmp_path: Path) -> None:
    source = contract["source_modules"][0]
    forbidden = contract["forbidden_modules"][-1]
    tree = crossing(tmp_path, source, forbidden)
    if forbidden not in PACKAGES:  # an outside package: it need only be importable by name
        (tree / f"{forbidden}.py").write_text("")
    result = lint(tree)
    assert result.returncode != 0
    assert f"{contract['name']} BROKEN" in result.stdout


def submodules(package: str, but: set[str]) -> set[str]:
    """The modules and subpackages directly in a package of the project, but those named."""
    return {
        f"{package}.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / package).iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
        and (path.stem if path.is_file() else path.name) not in {"__init__", *but}
    }


def test_the_scorer_contract_names_every_other_module_of_the_game() -> None:
    [contract] = [c for c in contracts() if c["source_modules"] == ["game.scoring"]]
    assert submodules("game", but={"scoring"}) <= set(contract["forbidden_modules"])


def test_the_trainer_contract_names_every_module_of_the_generator_library() -> None:
    [contract] = [c for c in contracts() if c["forbidden_modules"] == ["generator.training"]]
    library = submodules("generator", but={"__main__", "testing", "training"})
    assert library == set(contract["source_modules"])
