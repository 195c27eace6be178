"""Where the folders shipped with the package are: inside the wheel, or in the source tree."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def bundled_path(name: str) -> Path | None:
    """The bundled folder ``name`` (``scenarios``, ``posterior``), or None if it is missing."""
    for candidate in (HERE.parent / name, HERE.parents[2] / name):
        if candidate.is_dir():
            return candidate
    return None
