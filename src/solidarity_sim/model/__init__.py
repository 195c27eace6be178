"""The model: parameters and scenario files, random streams, the town and its weekly processes.

Everything one run needs, and nothing about many runs: citizens as arrays
(:mod:`.population`), their ties (:mod:`.network`), CSOs (:mod:`.csos`), crises and policies, the
weekly processes (:mod:`.processes`) acting on a :class:`.town.Town`, the weekly series
(:mod:`.series`) and records (:mod:`.records`), the interventions (:mod:`.interventions`), the
Mesa agents (:mod:`.agents`) and the Mesa model itself
(:class:`.solidarity_model.SolidarityModel`).
"""
