"""The versions of solidarity-sim, Python and the libraries that results depend on.

Manifests record them, ``reproduce`` compares them with the running ones, and the RO-Crate
metadata lists them. This module imports nothing from the package, so that every layer (and the
package's ``__init__``, for ``__version__``) may use it; an import contract in ``pyproject.toml``
checks this.
"""

from __future__ import annotations

import platform
from functools import cache
from importlib import metadata

LIBRARIES = ("mesa", "numpy", "numba", "scipy", "pandas", "networkx", "pyarrow", "matplotlib")
"""The libraries every result depends on."""


def package_version() -> str:
    """The installed version of solidarity-sim (``unknown`` when it is not installed)."""
    try:
        return metadata.version("solidarity-sim")
    except metadata.PackageNotFoundError:
        return "unknown"


def library_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python and the libraries the results depend on.

    Args:
        extra: More distributions to report, e.g. optional ones; one not installed is
            ``"missing"``.
    """
    return dict(_versions(tuple(extra)))


@cache
def _versions(extra: tuple[str, ...]) -> dict[str, str]:
    """:func:`library_versions`, looked up once per process.

    Reading the installed packages' metadata takes tens of milliseconds, a tenth of a default run.
    """
    versions = {"python": platform.python_version()}
    for lib in (*LIBRARIES, *extra):
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "missing"
    return versions
