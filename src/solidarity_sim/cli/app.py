"""``solidarity-sim app``: the classroom page, served offline by Solara on this machine."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import NoReturn

from ..extras import require
from . import CommandError
from .common import whole_number

OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports
    "SOLARA_ASSETS_PROXY": "True",  # JavaScript from the solara-assets package, not a CDN
}
"""Environment that keeps the Solara server and the page off the internet."""


def register(subparsers) -> None:
    """Add the ``app`` subcommand."""
    p = subparsers.add_parser(
        "app", help="start the classroom page in the browser",
        description="Serve the classroom page (Mesa SolaraViz) on this machine, with no "
                    "internet needed: each browser tab that opens it gets its own model. "
                    "Stop it with Ctrl-C.")
    p.add_argument("--port", type=whole_number("port", 1, 65535), default=8765,
                   help="port to listen on (default: 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; "
                        "0.0.0.0 lets other machines on the network open the page)")
    p.set_defaults(func=handle)


def check_free(host: str, number: int) -> None:
    """Fail with a clear message if the server could not listen on ``host:number``."""
    try:
        infos = socket.getaddrinfo(host, number, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise CommandError(f"--host {host!r}: not an address of this machine ({err.strerror});"
                           " give an address such as 127.0.0.1 or 0.0.0.0") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            raise CommandError(f"--host {host} --port {number}: cannot listen there "
                               f"({err.strerror}); another program may be using the port: "
                               "choose another with --port") from None


def server_command(host: str, number: int) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    return [sys.executable, "-m", "solara", "run", "solidarity_sim.app.page", "--host", host,
            "--port", str(number), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def handle(args: argparse.Namespace) -> NoReturn:
    """Check the extra and the address, then become the Solara server (until Ctrl-C or a signal)."""
    require("app", "the classroom page")
    check_free(args.host, args.port)
    shown = "localhost" if args.host in ("127.0.0.1", "localhost") else args.host
    print(f"solidarity-sim classroom page: open http://{shown}:{args.port}/ in a browser "
          "(Ctrl-C stops the server)", flush=True)
    command = server_command(args.host, args.port)
    os.execve(command[0], command, {**os.environ, **OFFLINE_ENV})
