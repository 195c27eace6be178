"""Checking one value or key against the parameter tree, with errors that say where and why.

Every error names the file (or place), the dotted key, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from .parameters import Param


class ScenarioError(ValueError):
    """A scenario file, override or value is invalid; the message says where and why."""


class Notice(UserWarning):
    """Something the user should know that does not stop the command.

    Raised as a warning (:func:`warnings.warn`); the command line prints each as one line,
    ``solidarity-sim: warning: ...``.
    """


def unknown_key(where: str, path: str, key: str, valid: list[str]) -> ScenarioError:
    """The error for an unknown key: names it, suggests the closest valid key, lists them all."""
    hint = difflib.get_close_matches(key, valid, n=1)
    maybe = f" Did you mean '{hint[0]}'?" if hint else ""
    return ScenarioError(f"{where}: unknown key '{path}'.{maybe} Valid keys here: "
                         f"{', '.join(valid)}.")


def check_value(param: Param, value: Any, where: str, path: str) -> Any:
    """Check one value against its parameter; return it (ints are widened to floats)."""
    def bad(reason: str = "is not allowed") -> ScenarioError:
        return ScenarioError(f"{where}: key '{path}': value {value!r} {reason}; allowed: "
                             f"{param.allowed()}")

    if param.kind == "bool":
        if not isinstance(value, bool):
            raise bad("has the wrong type")
        return value
    if param.kind == "str":
        if not isinstance(value, str):
            raise bad("has the wrong type")
        if param.choices and value not in param.choices:
            raise bad()
        return value
    if param.kind == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("has the wrong type")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad("has the wrong type")
    if param.kind == "int" and not float(value).is_integer():
        raise bad("is not a whole number")
    if not math.isfinite(value) or (param.low is not None and value < param.low) or (
            param.high is not None and value > param.high):
        raise bad("is out of range")
    return int(value) if param.kind == "int" else float(value)
