"""``python -m solidarity_sim.cli``: the same as the ``solidarity-sim`` command."""

import sys

from . import main

sys.exit(main())
