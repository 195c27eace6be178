"""Many runs: experiment files and designs, the executors (local pool, Dask) and the run store."""
