"""The demo prompts: enough of them, in the built-in model's language, easy to hard."""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command

from puzzles.management.commands.import_prompts import DEMO_PROMPTS
from puzzles.models import Prompt
from puzzles.services import queued_prompts


def demo_rows() -> list[dict[str, str]]:
    with DEMO_PROMPTS.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_there_are_at_least_150_distinct_demo_prompts_from_easy_to_hard() -> None:
    rows = demo_rows()
    assert len(rows) >= 150
    assert len({row["text"].lower() for row in rows}) == len(rows)
    spread = Counter(row["difficulty"] for row in rows)
    assert set(spread) == {"easy", "medium", "hard"}
    assert min(spread.values()) >= 40


def test_every_demo_prompt_and_the_fallback_are_captions_the_built_in_model_was_taught() -> None:
    from generator.training.captions import parse_caption

    for text in [row["text"] for row in demo_rows()] + [settings.SIXFOLD_FALLBACK_PROMPT]:
        parse_caption(text)  # raises CaptionError naming the problem


def test_hard_prompts_relate_two_objects_and_easy_ones_have_one() -> None:
    relations = ("above", "below", "to the left of", "to the right of", "next to")
    for row in demo_rows():
        has_relation = any(f" {relation} " in row["text"] for relation in relations)
        assert has_relation == (row["difficulty"] == "hard"), row["text"]


@pytest.mark.django_db
def test_loading_the_demo_prompts_twice_gives_one_approved_queue() -> None:
    call_command("import_prompts", "--demo")
    call_command("import_prompts", "--demo")
    assert Prompt.objects.count() == len(demo_rows())
    assert queued_prompts().count() == len(demo_rows())
    assert queued_prompts().first().text == demo_rows()[0]["text"]
