"""The optional extras, and the one clear error that a missing one gives.

``pip install solidarity-sim`` installs the core: the model, :func:`solidarity_sim.run`, sweeps on
the local process pool, the analyses and the figures. Five features need an extra::

    pip install 'solidarity-sim[app]'       # the classroom pages (Solara, ipyvue, altair, segno)
    pip install 'solidarity-sim[film]'      # films of a run (imageio, imageio-ffmpeg)
    pip install 'solidarity-sim[dask]'      # the Dask executor (--executor dask, --scheduler)
    pip install 'solidarity-sim[survival]'  # retention curves (lifelines), used by validate
    pip install 'solidarity-sim[decide]'    # scenario discovery (EMA Workbench), the optimiser
                                            # (Optuna) and the EMA bridge (solidarity_sim.ema)
    pip install 'solidarity-sim[all]'       # all five

Code that needs an extra imports it lazily, inside :func:`needs` (or checks first with
:func:`require`), so that a missing extra raises :class:`MissingExtra`, whose message names the
extra to install; the command line prints it as one sentence with exit status 2.

This module imports nothing from the package, so that every layer may use it (an import contract
in ``pyproject.toml`` checks this).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager

EXTRAS: dict[str, tuple[str, ...]] = {
    "app": ("solara", "solara_assets", "ipyvue", "ipyvuetify", "altair", "segno", "imageio",
            "imageio_ffmpeg"),
    "film": ("imageio", "imageio_ffmpeg"),
    "dask": ("dask", "distributed"),
    "abc": ("pyabc",),
    "survival": ("lifelines",),
    "decide": ("ema_workbench", "optuna"),
}
"""The top-level modules that each extra provides (``[project.optional-dependencies]``)."""


class MissingExtra(ImportError):
    """A feature was used without the extra that provides its libraries.

    Args:
        extra: Name of the extra (a key of :data:`EXTRAS`).
        feature: What needs it, in words that start a sentence (e.g. "the classroom page").
        module: The module that could not be imported.
    """

    def __init__(self, extra: str, feature: str, module: str):
        super().__init__(f"{feature} needs the {extra!r} extra ({module} is not installed): "
                         f"pip install 'solidarity-sim[{extra}]'", name=module)
        self.extra = extra
        self.feature = feature


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or the import was blocked
        return False


def require(extra: str, feature: str) -> None:
    """Check, without importing them, that the modules of an extra are installed.

    Use it where a command would otherwise find out late (after its runs, or in a server
    process).

    Args:
        extra: Name of the extra (a key of :data:`EXTRAS`).
        feature: What needs it, for the message.

    Raises:
        MissingExtra: A module of the extra is not installed.
    """
    for module in EXTRAS[extra]:
        if not _installed(module):
            raise MissingExtra(extra, feature, module)


@contextmanager
def needs(extra: str, feature: str) -> Iterator[None]:
    """Turn the failed import of one of an extra's modules into :class:`MissingExtra`.

    Example::

        with needs("survival", "the retention analysis"):
            from lifelines import KaplanMeierFitter

    Args:
        extra: Name of the extra (a key of :data:`EXTRAS`).
        feature: What needs it, for the message.

    Raises:
        MissingExtra: A module of the extra could not be found. Other missing modules are
            raised as they are.
    """
    try:
        yield
    except ModuleNotFoundError as err:
        module = (err.name or "").partition(".")[0]
        if module not in EXTRAS[extra]:
            raise
        raise MissingExtra(extra, feature, module) from None
