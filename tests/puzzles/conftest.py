"""Fixtures of the puzzles tests: curator/staff/player personas, prompts, the tiny model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from puzzles.calendar import puzzle_number
from puzzles.models import Prompt, Puzzle
from puzzles.permissions import CURATORS_GROUP


@pytest.fixture(autouse=True)
def _media_in_tmp(media_root: Path) -> Path:
    return media_root


@pytest.fixture(autouse=True)
def _scorer(fake_scorer: object) -> object:
    # A stand-in for the sentence model unless the test is marked real_scorer (tests/conftest.py).
    return fake_scorer


@pytest.fixture
def use_tiny_model(settings: Any, tiny_model_dir: Path) -> Path:
    settings.SIXFOLD_MODEL_DIR = str(tiny_model_dir)
    return tiny_model_dir


@pytest.fixture
def curator(db: None) -> User:
    user = User.objects.create_user("alice", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS_GROUP))
    return user


@pytest.fixture
def staff_without_permissions(db: None) -> User:
    return User.objects.create_user("bob", password="pw", is_staff=True)


@pytest.fixture
def player(db: None) -> User:
    return User.objects.create_user("charlie", password="pw")


@pytest.fixture
def make_prompt(db: None) -> Callable[..., Prompt]:
    counter = iter(range(1, 10_000))

    def make(text: str | None = None, **fields: Any) -> Prompt:
        fields.setdefault("status", Prompt.Status.APPROVED)
        return Prompt.objects.create(text=text or f"a dog number {next(counter)}", **fields)

    return make


@pytest.fixture
def make_puzzle(make_prompt: Callable[..., Prompt]) -> Callable[..., Puzzle]:
    def make(day: date, prompt: Prompt | None = None, **fields: Any) -> Puzzle:
        return Puzzle.objects.create(
            date=day, number=puzzle_number(day), prompt=prompt or make_prompt(), **fields
        )

    return make
