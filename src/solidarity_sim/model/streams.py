"""Named random streams derived from one seed.

Each weekly process draws from its own :class:`numpy.random.Generator`, spawned from the run's seed
and the stream's name (after ``starsim/distributions.py``). Processes draw for the whole population
every week whatever its state, so two runs with the same seed that differ only in a policy share
their crisis, network and behaviour draws (common random numbers). Nothing here touches the global
``random`` or ``np.random`` state.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAM_NAMES = (
    "network",      # ties between citizens
    "population",   # citizens' initial attributes, newcomers' arrival weeks
    "csos",         # initial CSOs and their factor levels
    "crises",       # who a crisis hits
    "policy",       # grant competition scores
    "recruitment",  # whether a bystander joins, and which CSO
    "retention",    # whether a volunteer quits, and why
    "training",     # whether a CSO or the state's programme trains a volunteer
    "scale",        # CSOs growing or shrinking their catchment
    "emergence",    # informal groups founded, institutionalised
    "folding",      # informal groups disappearing
    "closure",      # formal CSOs closing
    "founding",     # new formal CSOs: how many, where, their practices
    "arrivals",     # newcomers of a migration started by an event, and their ties
)
"""Every stream the model uses, one per process; a new process needs a new name here."""


def derive_seed(seed: int, *key: int) -> int:
    """The seed of one run of a study: 63 bits of the child ``SeedSequence(seed, spawn_key=key)``.

    The one way every batch (sweep, compare, validate, calibrate) derives its runs' seeds from the
    study's seed, so that a run's seed depends only on the study's seed and the run's place in it
    (its key), not on the engine, the workers or the order in which runs finish.

    Args:
        seed: The study's seed (a non-negative integer).
        *key: Whole numbers naming the run, e.g. ``(point, replication)`` or ``(replication,)``.

    Example:
        >>> derive_seed(7, 0) == derive_seed(7, 0) != derive_seed(7, 1)
        True
    """
    state = np.random.SeedSequence(seed, spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


class Streams:
    """A family of independent generators, one per name, all derived from ``seed``.

    Args:
        seed: The run's seed (a non-negative integer).

    Example:
        >>> s = Streams(7)
        >>> s["recruitment"].random(3).shape
        (3,)
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._gens = {
            name: np.random.Generator(np.random.PCG64(
                np.random.SeedSequence(self.seed, spawn_key=(zlib.crc32(name.encode()),))))
            for name in STREAM_NAMES
        }

    def __getitem__(self, name: str) -> np.random.Generator:
        try:
            return self._gens[name]
        except KeyError:
            raise KeyError(f"no random stream named {name!r}; known: "
                           f"{', '.join(STREAM_NAMES)}") from None
