"""The scorer, as a library: how close a guess is to the answer, and which of its words are.

Sentence embedding (`embedder`, `onnx_embedder`, the tuned layers in `tuning` and
`scorer_tuning/`), WordNet relations (`lexicon`), words and their roles (`words`, `roles`), the
pairing of the guess's words with the answer's (`phrases`, `alignment`), the marks and the
similarity (`marking`), the cached scorer (`scorer`), batching of concurrent guesses
(`batching`), the scorer before issue 11 (`baseline`) and the evaluation sets (`evaluation`).

It imports no Django and nothing else of the project (a contract `lint-imports` checks);
`game.scoring_service` gives it the site's settings and today's answer.
"""
