"""The model: parameters and scenario files, random streams, the town and its weekly processes.

Everything one run needs, and nothing about many runs: citizens as arrays
(:mod:`.population`), their ties (:mod:`.network`), CSOs (:mod:`.csos`), crises and policies, the
nine weekly processes (:mod:`.processes`), the weekly records (:mod:`.records`), the Mesa agents
(:mod:`.agents`) and the Mesa model itself (:class:`.solidarity_model.SolidarityModel`).
"""
