"""The classroom pages (Solara).

The single-model page (``solidarity-sim app``): :mod:`.page` builds it, :mod:`.views` draws it,
:mod:`.classroom` is its model. The shared lesson (``solidarity-sim classroom``):
:mod:`.lesson` (the town, seats, plans), :mod:`.lesson_page` (its addresses),
:mod:`.lesson_views` (student, projector) and :mod:`.debrief` (results and export). Both play
their model with a :class:`~.clock.Clock`.

Needs the ``app`` extra (``pip install 'solidarity-sim[app]'``); without it, importing this package
raises :class:`~solidarity_sim.extras.MissingExtra`.
"""

from ..extras import require

require("app", "the classroom page")
