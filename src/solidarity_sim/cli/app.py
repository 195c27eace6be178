"""The two classroom pages, served offline by Solara on this machine.

``solidarity-sim app``: the single-model page (each browser tab has its own town).
``solidarity-sim classroom``: the shared lesson (one town; every student runs one of its CSOs
from their own device; the teacher's page has the controls and the projector view).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import sys
from pathlib import Path
from typing import NoReturn

from ..extras import require
from . import CommandError
from .common import whole_number

OFFLINE_ENV = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports
    "SOLARA_ASSETS_PROXY": "True",  # JavaScript from the solara-assets package, not a CDN
    "SOLARA_THEME_SHOW_BANNER": "False",  # no "Made with Solara" badge over the page
}
"""Environment that keeps the Solara server and the page off the internet."""

LESSON_CULL = "90s"
"""How long the lesson server keeps a page's session after its connection drops: a student back
within it finds the page as it was; later, the address (with their token) brings their CSO back.
Sessions not kept forever keep the server's memory bounded."""

PAGES = {"app": "solidarity_sim.app.page", "classroom": "solidarity_sim.app.lesson_page"}
"""The Solara module each command serves."""


def register(subparsers) -> None:
    """Add the ``app`` and ``classroom`` subcommands."""
    p = subparsers.add_parser(
        "app", help="start the classroom page in the browser",
        description="Serve the classroom page (Mesa SolaraViz) on this machine, with no "
                    "internet needed: each browser tab that opens it gets its own model. "
                    "Stop it with Ctrl-C.")
    add_address_options(p)
    p.set_defaults(func=handle)
    p = subparsers.add_parser(
        "classroom", help="start a shared lesson: every student runs a CSO in one town",
        description="Serve the shared lesson on this machine, with no internet needed: the "
                    "teacher's page (/teacher, behind the teacher code) starts a town with one "
                    "CSO per student and shows a join code and a QR code; each student joins "
                    "from their own device and runs one CSO. Stop it with Ctrl-C.")
    add_address_options(p)
    p.add_argument("--teacher-code", type=teacher_code,
                   help="the code that opens the teacher's page (default: a new random code, "
                        "printed at start)")
    p.add_argument("--out", default="results/lessons",
                   help="folder the teacher's 'Export' writes lessons into "
                        "(default: results/lessons)")
    p.set_defaults(func=handle_classroom)


def add_address_options(p: argparse.ArgumentParser) -> None:
    """``--port`` and ``--host``."""
    p.add_argument("--port", type=whole_number("port", 1, 65535), default=8765,
                   help="port to listen on (default: 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only; "
                        "0.0.0.0 lets other machines on the network open the page)")


def teacher_code(text: str) -> str:
    """A teacher code: 4 to 32 letters and digits."""
    if not re.fullmatch(r"[A-Za-z0-9]{4,32}", text):
        raise argparse.ArgumentTypeError(f"invalid code {text!r}: give 4 to 32 letters and "
                                         "digits")
    return text.upper()


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


def server_command(command: str, host: str, number: int) -> list[str]:
    """The ``solara run`` command line that serves the page of ``command``."""
    return [sys.executable, "-m", "solara", "run", PAGES[command], "--host", host,
            "--port", str(number), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def shown_host(host: str) -> str:
    """The address other devices open for a server listening on ``host``.

    Loopback is shown as ``localhost``; ``0.0.0.0`` (every interface) as this machine's address
    on the network (the interface a route leaves by; no packet is sent).
    """
    if host in ("127.0.0.1", "localhost"):
        return "localhost"
    if host not in ("0.0.0.0", "::"):
        return host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            return probe.getsockname()[0]
        except OSError:  # no network: only this machine can open the page
            return "localhost"


def serve(args: argparse.Namespace, feature: str, env: dict[str, str]) -> NoReturn:
    """Check the extra and the address, then become the Solara server of ``args.command``."""
    require("app", feature)
    check_free(args.host, args.port)
    command = server_command(args.command, args.host, args.port)
    sys.stdout.flush()
    os.execve(command[0], command, {**os.environ, **OFFLINE_ENV, **env})


def handle(args: argparse.Namespace) -> NoReturn:
    """Serve the single-model page (until Ctrl-C or a signal)."""
    print(f"solidarity-sim classroom page: open http://{shown_host(args.host)}:{args.port}/ "
          "in a browser (Ctrl-C stops the server)")
    serve(args, "the classroom page", {})


def handle_classroom(args: argparse.Namespace) -> NoReturn:
    """Serve the shared lesson (until Ctrl-C or a signal); print where to open it."""
    code = args.teacher_code or secrets.token_hex(4).upper()
    join_url = f"http://{shown_host(args.host)}:{args.port}/"
    print(f"solidarity-sim shared lesson (Ctrl-C stops the server)\n"
          f"  teacher: open http://localhost:{args.port}/teacher and give the teacher code "
          f"{code}\n"
          f"  students: open {join_url} (the teacher's page shows the join code and a QR "
          "code)")
    if join_url.startswith("http://localhost"):
        print("  only this machine can open it: --host 0.0.0.0 lets students' devices on the "
              "network join")
    serve(args, "the shared lesson", {  # read by solidarity_sim.app.lesson_page
        "SOLIDARITY_SIM_TEACHER_CODE": code, "SOLIDARITY_SIM_JOIN_URL": join_url,
        "SOLIDARITY_SIM_LESSONS_OUT": str(Path(args.out).resolve()),
        "SOLARA_KERNEL_CULL_TIMEOUT": LESSON_CULL})
