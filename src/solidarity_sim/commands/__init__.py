"""The subcommands of ``solidarity-sim``, one module each.

Each module defines ``register(subparsers)``, which adds its subparser and sets ``func`` to a
handler ``(args) -> exit status``. Handlers import heavy libraries inside, so ``--help`` stays fast.
Handlers raise :class:`~solidarity_sim.scenario.ScenarioError` or :class:`CommandError` for bad
input; ``main`` turns both into a one-paragraph message and exit status 2.
"""

from importlib import import_module

COMMANDS = ("run", "scenarios", "sweep", "analyze", "schema", "check", "compare", "app", "validate",
            "calibrate")
"""Modules of this package that register a subcommand, in the order ``--help`` lists them."""


class CommandError(Exception):
    """A command-line argument is unusable; the message says which and why."""


def register_all(subparsers) -> None:
    """Add every subcommand to the parser."""
    for name in COMMANDS:
        import_module(f"{__name__}.{name}").register(subparsers)
