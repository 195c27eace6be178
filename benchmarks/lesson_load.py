"""A shared lesson under a class's load: how long a week takes to reach 30 students' pages.

Starts ``solidarity-sim classroom`` on a free loopback port, logs a teacher in, starts a lesson
for ``--students`` students (default 30) and opens one headless Chromium context per student
(each its own cookie, page and server session), all joined. Each student page records, with a
MutationObserver, the moment each new week appears; the latency of a week on a page is that
moment minus the server's clock when the week ended (``data-stepped-at``; same machine, same
clock). Two stretches are measured:

* **steps**: the teacher presses "+1 week" ``--steps`` times, waiting for every page to show the
  week before the next press;
* **play**: the teacher plays ``--play-weeks`` weeks at 1 week a second (the lesson's default
  pace) and the pages keep up.

It prints the latency distribution of each stretch and the server's memory (resident set,
server process) before the lesson, with every student joined, after the weeks, after the
lesson ended, and after a second lesson of the same size played as long (bounded: the first
lesson's freed memory is used again).
The browsers run on the same machine as the server, so their drawing competes with the server
for the cores: on phones in a classroom the server has the machine to itself.

    .venv/bin/python benchmarks/lesson_load.py                 # 30 students, about 3 min
    .venv/bin/python benchmarks/lesson_load.py --students 10 --steps 5 --play-weeks 10
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import psutil
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
TEACHER_CODE = "LOADTEST"
TIMEOUT_MS = 120_000
MB = 1e6

OBSERVER = """() => {
    window.ssLatencies = [];
    let shown = null;
    const look = () => {
        const e = document.querySelector('.ss-week');
        if (e && e.dataset.week !== shown) {
            shown = e.dataset.week;
            const stepped = parseFloat(e.dataset.steppedAt);
            window.ssLatencies.push([parseInt(shown), Date.now() - stepped]);
        }
    };
    new MutationObserver(look).observe(document.body,
        {subtree: true, childList: true, attributes: true, characterData: true});
    look();
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    executable = Path(sys.executable).parent / "solidarity-sim"
    proc = subprocess.Popen([str(executable), "classroom", "--port", str(port),
                             "--teacher-code", TEACHER_CODE], stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/teacher", timeout=5):
                return proc
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not start; see {log}")


def server_rss(proc: subprocess.Popen) -> float:
    """Resident memory of the server (the process ``solidarity-sim`` became), in MB."""
    return psutil.Process(proc.pid).memory_info().rss / MB


def figures(latencies: list[float]) -> str:
    ms = np.asarray(latencies)
    return (f"{ms.size} page updates: median {np.median(ms):.0f} ms, 90th percentile "
            f"{np.percentile(ms, 90):.0f} ms, 99th {np.percentile(ms, 99):.0f} ms, max "
            f"{ms.max():.0f} ms; within 1 s: {np.mean(ms <= 1000):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--play-weeks", type=int, default=20)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = Path("results") / "lesson-load-server.log"
    log.parent.mkdir(exist_ok=True)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    server = start_server(port, log)
    rss = {"before the lesson": server_rss(server)}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            teacher = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            teacher.set_default_timeout(TIMEOUT_MS)
            teacher.goto(url + "teacher")
            teacher.get_by_label("Teacher code").fill(TEACHER_CODE)
            teacher.get_by_role("button", name="Open").click()
            teacher.get_by_label("Students (1 to 40)").fill(str(args.students))
            teacher.get_by_label("Students (1 to 40)").press("Enter")
            teacher.get_by_role("button", name="Start the lesson").click()
            code = teacher.locator(".ss-code").inner_text()

            started = time.monotonic()
            students = []
            for i in range(args.students):
                tab = browser.new_context(viewport={"width": 412, "height": 915}).new_page()
                tab.set_default_timeout(TIMEOUT_MS)
                tab.goto(f"{url}?code={code}")
                tab.get_by_label("Your name").fill(f"S{i + 1}")
                tab.get_by_role("button", name="Join").click()
                tab.locator(".ss-week").wait_for()
                tab.evaluate(OBSERVER)
                students.append(tab)
            print(f"{args.students} students joined in {time.monotonic() - started:.0f} s",
                  flush=True)
            rss["every student joined"] = server_rss(server)

            def wait_all(week: int) -> None:
                for tab in students:
                    tab.locator(f".ss-week[data-week='{week}']").wait_for()

            for week in range(1, args.steps + 1):
                teacher.get_by_role("button", name="+1 week").click()
                wait_all(week)
            stepped = [ms for tab in students for w, ms in tab.evaluate("window.ssLatencies")
                       if 1 <= w <= args.steps]

            end = args.steps + args.play_weeks
            teacher.get_by_label("Stop at week").fill(str(end))
            teacher.get_by_label("Stop at week").press("Enter")
            teacher.get_by_role("button", name="play to it").click()
            wait_all(end)
            played = [ms for tab in students for w, ms in tab.evaluate("window.ssLatencies")
                      if args.steps < w <= end]
            rss["after the weeks"] = server_rss(server)

            teacher.get_by_role("tab", name="Debrief").click()
            teacher.get_by_role("button", name="End the lesson").click()
            for tab in students:
                tab.get_by_text("The lesson has ended").wait_for()
            for tab in students:
                tab.context.close()
            rss["after the lesson ended"] = server_rss(server)
            # a second lesson of the same size, played as long: the memory the first one
            # freed is used again, so lesson after lesson the server does not grow
            teacher.get_by_label("Students (1 to 40)").fill(str(args.students))
            teacher.get_by_label("Students (1 to 40)").press("Enter")
            teacher.get_by_role("button", name="Start the lesson").click()
            teacher.get_by_label("Stop at week").fill(str(end))
            teacher.get_by_label("Stop at week").press("Enter")
            teacher.get_by_role("button", name="play to it").click()
            teacher.locator(f".ss-week[data-week='{end}']").wait_for()
            rss["a second lesson, as long"] = server_rss(server)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(f"steps ({args.steps} x '+1 week'): {figures(stepped)}")
    print(f"play ({args.play_weeks} weeks at 1 week/s): {figures(played)}")
    print("server memory: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
