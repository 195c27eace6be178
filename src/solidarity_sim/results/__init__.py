"""One run's results: :func:`.run_result.run` and :class:`.run_result.RunResult`.

Also the outcomes reduced from a run (:mod:`.outcomes`) and its printed summary (:mod:`.summary`).
"""
