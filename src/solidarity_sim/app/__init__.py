"""The classroom page (Mesa SolaraViz): :mod:`.page` builds it, :mod:`.views` draws it.

Needs the ``app`` extra (``pip install 'solidarity-sim[app]'``); without it, importing this package
raises :class:`~solidarity_sim.extras.MissingExtra`.
"""

from ..extras import require

require("app", "the classroom page")
