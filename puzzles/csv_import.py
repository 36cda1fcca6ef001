"""Importing prompts from a CSV file, with a report line for every row.

Columns (a header row is required): `text` (required), `tags` (comma- or semicolon-separated),
`difficulty` (easy, medium, hard; default medium), `status` (draft, approved, retired; default
given by the caller), `notes`. A file with any bad row imports nothing: the report says what is
wrong with each bad row and what would have happened to the others. Prompts already in the
library (same text, ignoring case) are left as they are, so importing a file twice is harmless.
A new prompt with words the configured model was never trained on (the built-in model lists
its words) is imported with a warning naming them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from puzzles.generation import prompt_warnings
from puzzles.models import Prompt

COLUMNS = ("text", "tags", "difficulty", "status", "notes")
MAX_BYTES = 2_000_000
MAX_ROWS = 10_000
_TEXT_MAX = int(Prompt._meta.get_field("text").max_length or 0)
_TAGS_MAX = int(Prompt._meta.get_field("tags").max_length or 0)
_EXTRA = "\x00extra"  # where csv.DictReader puts the fields of a row beyond the header's


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


@dataclass
class RowReport:
    line: int  # the line of the file, counting the header as line 1
    text: str
    outcome: str  # "new", "exists" or "error"
    message: str = ""
    warnings: list[str] = field(default_factory=list)  # importable, but a curator should know


@dataclass
class ImportReport:
    rows: list[RowReport] = field(default_factory=list)
    imported: bool = False

    @property
    def errors(self) -> list[RowReport]:
        return [row for row in self.rows if row.outcome == "error"]

    @property
    def warned(self) -> list[RowReport]:
        return [row for row in self.rows if row.warnings]

    def count(self, outcome: str) -> int:
        return sum(row.outcome == outcome for row in self.rows)

    def summary(self) -> str:
        if self.errors:
            return (
                f"Nothing imported: {len(self.errors)} of {len(self.rows)} rows have errors. "
                "Fix them and import the file again."
            )
        summary = (
            f"Imported {self.count('new')} new prompts; "
            f"{self.count('exists')} were already in the library."
        )
        if self.warned:
            summary += f" {len(self.warned)} have words the model cannot draw (see the warnings)."
        return summary


def import_prompts_csv(
    data: bytes,
    *,
    default_status: str = Prompt.Status.DRAFT,
    user: User | None = None,
    allowed_statuses: set[str] | None = None,
) -> ImportReport:
    """Check every row, then create the new prompts in one transaction if no row is bad.

    `allowed_statuses` limits the statuses rows may set (a curator who may not approve imports
    drafts only); None allows all.
    """
    rows = _read_rows(data)
    existing = set(
        Prompt.objects.annotate(lower=Lower("text")).values_list("lower", flat=True).iterator()
    )
    report = ImportReport()
    new_prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            prompt = _prompt_from_row(row, default_status)
            if allowed_statuses is not None and prompt.status not in allowed_statuses:
                raise ValueError(f"you may not import prompts as {prompt.status}")
        except ValueError as error:
            report.rows.append(
                RowReport(line, (row.get("text") or "").strip(), "error", str(error))
            )
            continue
        key = prompt.text.lower()
        if key in seen:
            message = f"the same text as line {seen[key]}"
            report.rows.append(RowReport(line, prompt.text, "error", message))
            continue
        seen[key] = line
        if key in existing:
            report.rows.append(RowReport(line, prompt.text, "exists", "already in the library"))
            continue
        report.rows.append(
            RowReport(line, prompt.text, "new", warnings=prompt_warnings(prompt.text))
        )
        new_prompts.append(prompt)
    if report.errors:
        return report
    now = timezone.now()
    for prompt in new_prompts:
        prompt.created_by = user
        if prompt.status != Prompt.Status.DRAFT:
            prompt.status_changed_at, prompt.status_changed_by = now, user
    with transaction.atomic():
        Prompt.objects.bulk_create(new_prompts)
    report.imported = True
    return report


def _read_rows(data: bytes) -> list[tuple[int, dict[str, Any]]]:
    if len(data) > MAX_BYTES:
        raise ImportFileError(f"The file is {len(data):,} bytes; the limit is {MAX_BYTES:,}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (byte {error.start} cannot be read). "
            "Save it as CSV UTF-8 and try again."
        ) from None
    if "\x00" in text:
        raise ImportFileError("The file contains NUL bytes: it is not a CSV text file.")
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA, strict=True)
    try:
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as error:
        raise ImportFileError(f"The header row cannot be read: {error}.") from None
    if not header:
        raise ImportFileError(
            "The file is empty: expected a header row such as text,tags,difficulty."
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are {', '.join(COLUMNS)}."
        )
    if "text" not in header:
        raise ImportFileError("The header has no 'text' column.")
    if len(set(header)) != len(header):
        raise ImportFileError("The header names a column twice.")
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > MAX_ROWS:
                raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows.")
    except csv.Error as error:
        raise ImportFileError(f"Line {reader.line_num}: {error}.") from None
    if not rows:
        raise ImportFileError("The file has a header but no rows.")
    return rows


def _prompt_from_row(row: dict[str, Any], default_status: str) -> Prompt:
    extra = row.get(_EXTRA)
    if extra:
        columns = len(row) - 1
        raise ValueError(f"{columns + len(extra)} fields, but the header has {columns} columns")
    if any(value is None for value in row.values()):
        present = sum(value is not None for value in row.values())
        raise ValueError(f"{present} fields, but the header has {len(row)} columns")
    text = re.sub(r"\s+", " ", row.get("text") or "").strip()
    if not text:
        raise ValueError("the text is empty")
    if len(text) > _TEXT_MAX:
        raise ValueError(f"the text has {len(text)} characters; at most {_TEXT_MAX} are allowed")
    difficulty = (row.get("difficulty") or Prompt.Difficulty.MEDIUM).strip().lower()
    if difficulty not in Prompt.Difficulty.values:
        raise ValueError(
            f"difficulty {difficulty!r} is not one of {', '.join(Prompt.Difficulty.values)}"
        )
    status = (row.get("status") or default_status).strip().lower()
    if status not in Prompt.Status.values:
        raise ValueError(f"status {status!r} is not one of {', '.join(Prompt.Status.values)}")
    tags = ", ".join(
        tag.strip().lower() for tag in re.split(r"[,;]", row.get("tags") or "") if tag.strip()
    )
    if len(tags) > _TAGS_MAX:
        raise ValueError(f"the tags have {len(tags)} characters; at most {_TAGS_MAX} are allowed")
    notes = (row.get("notes") or "").strip()
    return Prompt(text=text, tags=tags, difficulty=difficulty, status=status, notes=notes)
