"""The demo-prompt ranking tool: order and file handling (the drawing is the pipeline's)."""

import csv
import io

from generator.tools import rank_prompts


def test_rows_come_most_legible_first_and_ties_keep_the_file_order() -> None:
    assert rank_prompts.ranked([0.2, 0.9, 0.2, 1.0, 0.0]) == [3, 1, 0, 2, 4]


def test_the_rewritten_csv_keeps_every_column_and_quotes_what_needs_it() -> None:
    fields = ["text", "tags", "difficulty"]
    rows = [{"text": "a crab on a beach", "tags": "animal, beach", "difficulty": "easy"}]
    text = rank_prompts.csv_text(fields, rows)
    assert text.splitlines()[1] == 'a crab on a beach,"animal, beach",easy'
    assert list(csv.DictReader(io.StringIO(text))) == rows
