"""Importing prompts from CSV: a report for every row, and a bad file changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from puzzles.csv_import import ImportFileError, import_prompts_csv
from puzzles.models import Prompt

pytestmark = pytest.mark.django_db

GOOD = (
    "text,tags,difficulty,status,notes\n"
    "a dog on the grass,animal; grass,easy,approved,\n"
    '"two small cats in the snow","animal, snow",Medium,,cute\n'
)


def texts() -> list[str]:
    return sorted(Prompt.objects.values_list("text", flat=True))


def test_it_imports_every_row_and_reports_each() -> None:
    report = import_prompts_csv(GOOD.encode())
    assert report.imported
    assert [(row.line, row.outcome) for row in report.rows] == [(2, "new"), (3, "new")]
    dog = Prompt.objects.get(text="a dog on the grass")
    assert (dog.tags, dog.difficulty, dog.status) == ("animal, grass", "easy", "approved")
    assert dog.status_changed_at is not None
    cats = Prompt.objects.get(text="two small cats in the snow")
    assert (cats.difficulty, cats.status, cats.notes) == ("medium", "draft", "cute")


def test_it_leaves_prompts_already_there_alone_so_a_second_import_changes_nothing(
    make_prompt: Callable[..., Prompt],
) -> None:
    make_prompt("A DOG on the grass", status=Prompt.Status.RETIRED, tags="kept")
    report = import_prompts_csv(GOOD.encode())
    assert [row.outcome for row in report.rows] == ["exists", "new"]
    assert Prompt.objects.get(text__iexact="a dog on the grass").tags == "kept"
    again = import_prompts_csv(GOOD.encode())
    assert [row.outcome for row in again.rows] == ["exists", "exists"]
    assert Prompt.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",animal,easy,,", "the text is empty"),
        ("a cat on the grass,animal,impossible,,", "difficulty 'impossible' is not one of"),
        ("a cat on the grass,animal,easy,published,", "status 'published' is not one of"),
        ("a cat on the grass,animal,easy,,,surplus", "6 fields, but the header has 5 columns"),
        ("a cat on the grass,animal", "2 fields, but the header has 5 columns"),
        ("a dog on the grass,,,,", "the same text as line 2"),
        ("x" * 201 + ",,,,", "the text has 201 characters"),
    ],
)
def test_it_imports_nothing_when_a_row_is_bad(row: str, message: str) -> None:
    data = GOOD + row + "\n"
    report = import_prompts_csv(data.encode())
    assert not report.imported
    assert texts() == []
    bad = report.errors
    assert len(bad) == 1 and bad[0].line == 4 and message in bad[0].message
    assert [row.outcome for row in report.rows[:2]] == ["new", "new"]  # what would have happened
    assert "Nothing imported" in report.summary()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"text,tags\n", "has a header but no rows"),
        (b"prompt,tags\na dog on the grass,\n", "Unknown column(s) 'prompt'"),
        (b"tags,notes\nanimal,\n", "no 'text' column"),
        (b"text,text\na,b\n", "names a column twice"),
        ("text\nun chien sur l'herbe\n".encode("utf-16"), "not UTF-8"),
        (b"text\n\xff\xfe a dog\n", "not UTF-8"),
        (b"text\na dog\x00 on the grass\n", "NUL bytes"),
        (b'text\n"a dog on the grass\n', "unexpected end of data"),
    ],
)
def test_it_rejects_broken_files_with_a_clear_message(
    data: bytes, message: str, make_prompt: Callable[..., Prompt]
) -> None:
    make_prompt("a cat in the snow")
    with pytest.raises(ImportFileError) as raised:
        import_prompts_csv(data)
    assert message in str(raised.value)
    assert texts() == ["a cat in the snow"]


def test_it_lets_a_curator_who_may_not_approve_import_drafts_only() -> None:
    report = import_prompts_csv(GOOD.encode(), allowed_statuses={Prompt.Status.DRAFT})
    assert not report.imported
    assert [row.outcome for row in report.rows] == ["error", "new"]
    assert "may not import prompts as approved" in report.rows[0].message


def test_the_command_imports_a_file_and_fails_loudly_on_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    call_command("import_prompts", str(good))
    assert len(texts()) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("text,difficulty\na horse on a beach,legendary\n")
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_prompts", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_prompts", str(tmp_path / "missing.csv"))
    assert len(texts()) == 2


@pytest.mark.usefixtures("use_tiny_model")
def test_a_word_the_built_in_model_never_saw_is_imported_with_a_warning_naming_it() -> None:
    data = "text\na teepee on the grass\na dog on the grass\n"
    report = import_prompts_csv(data.encode())
    assert report.imported and texts() == ["a dog on the grass", "a teepee on the grass"]
    teepee, dog = report.rows
    assert len(teepee.warnings) == 1 and "'teepee'" in teepee.warnings[0]
    assert dog.warnings == []
    assert "1 have words the model cannot draw" in report.summary()


def test_a_real_checkpoint_without_a_vocabulary_warns_about_nothing(
    settings: Any, tmp_path: Path
) -> None:
    settings.SIXFOLD_MODEL_DIR = str(tmp_path)  # no vocabulary.txt: any word may be drawn
    report = import_prompts_csv(b"text\na teepee on the lawn\n")
    assert report.imported and report.rows[0].warnings == []
