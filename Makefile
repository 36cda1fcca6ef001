# The two set-up commands of the README (the scripts do the work).
.PHONY: run test

run:
	bash scripts/run

test:
	bash scripts/test
