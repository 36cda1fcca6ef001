"""Settings modules: `dev` (the default, used by ./scripts/run), `test` and `production`."""
