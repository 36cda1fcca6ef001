"""Puzzles: prompts, the daily puzzles and their images, curation, and the nightly generation."""
