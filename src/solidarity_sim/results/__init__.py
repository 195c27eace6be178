"""One run: :func:`.run_result.run`, the entry point every batch command uses, and its results."""
