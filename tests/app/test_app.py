"""The classroom app: interventions, views, the page without a browser, and the page in Chromium.

The browser tests start ``solidarity-sim app`` on a free port and drive Debian's Chromium with
Playwright, as a teacher would; screenshots go to ``test-artifacts/app/``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

from solidarity_sim.app.classroom import (
    CLASSROOM_CRISES,
    FUNDING_CUT,
    SCENARIO_OWN,
    ClassroomModel,
    crisis_keys,
    event_label,
    initial_kwargs,
    model_params,
)
from solidarity_sim.app.views import (
    crisis_weeks,
    need_chart,
    organisations_chart,
    volunteering_chart,
)
from solidarity_sim.model.agents import Role
from solidarity_sim.model.network import neighbourhood_grid
from solidarity_sim.model.scenario import Scenario, ScenarioError
from solidarity_sim.model.solidarity_model import SolidarityModel
from solidarity_sim.viz.town_plots import ROLE_COLOURS, TownPicture, neighbourhood_centres
from tests.helpers import EXECUTABLE, ROOT, TIMEOUT_MS, running_server

ARTIFACTS = ROOT / "test-artifacts" / "app"
PLAYED_WEEKS = 3
"""Weeks that playing must advance before the test pauses."""
STEADY_MS = 1500
"""How long the week must stay unchanged to count as paused."""
CLICK_RETRY_MS = 5_000
"""How long a click's effect is awaited before the click is repeated (see ``click_until``)."""
TOWN = {"population.citizens": 600}


def classroom(seed: int = 3, **changes) -> ClassroomModel:
    return ClassroomModel(**{**initial_kwargs(), **TOWN, "rng": seed, **changes})


def planned(model: ClassroomModel, *events: dict) -> SolidarityModel:
    """The model whose scenario schedules from the start what the buttons do later."""
    params = copy.deepcopy(model.spec.params)
    params["events"] = [*params["events"], *events]
    return SolidarityModel(Scenario(params), rng=model.seed)


def run(model, weeks: int, action=None, at: int = 0) -> pd.DataFrame:
    for _ in range(weeks):
        if action is not None and model.week == at:
            action(model)
        model.step()
    return model.datacollector.get_model_vars_dataframe()


# -- the buttons act now, through the model's own interventions ------------------------------


@pytest.mark.parametrize("kind", ["economic", "pandemic", "migration"])
def test_crisis_button_equals_the_crisis_scheduled_for_that_week(kind):
    week = 6
    pressed = classroom()
    pressed_ts = run(pressed, 40, lambda m: m.press(kind), at=week)
    same = run(planned(classroom(), {"week": week, "crisis": {"kind": kind,
                                                              **crisis_keys(kind)}}), 40)
    pd.testing.assert_frame_equal(pressed_ts, same)
    without = run(classroom(), 40)
    assert (pressed_ts["crisis_salience"].iloc[week:] > 0).all()
    assert (without["crisis_salience"] == 0).all()
    assert [event_label(e) for e in pressed.events] == [f"{kind} crisis"]
    if kind == "migration":  # newcomers arrive over half a year, from the press
        assert (pressed_ts["citizens"].iloc[:week] == without["citizens"].iloc[:week]).all()
        assert pressed_ts["citizens"].iloc[-1] > without["citizens"].iloc[-1]
    else:
        assert pressed_ts["need_total"].iloc[-1] > without["need_total"].iloc[-1]


def test_migration_can_come_more_than_once():
    model = classroom()
    residents = model.n_present
    run(model, 60, lambda m: m.press("migration"), at=5)
    once = model.n_present
    run(model, 40, lambda m: m.press("migration"), at=60)
    assert residents < once < model.n_present
    assert [e.week for e in model.events] == [5, 60]


def test_cut_and_restore_funding_use_austerity_from_this_week():
    model = classroom()
    full = model.p["state"]["welfare_coverage"]
    ts = run(model, 20, lambda m: m.cut_funding(), at=4)
    assert ts["welfare_coverage"].iloc[3] == full
    assert np.allclose(ts["welfare_coverage"].iloc[4:], full * (1 - FUNDING_CUT))
    assert model.funding_cut
    cut = {"week": 4, "set": {"state.austerity.cut": FUNDING_CUT, "state.austerity.start": 4}}
    pd.testing.assert_frame_equal(ts, run(planned(classroom(), cut), 20))
    model.restore_funding()
    model.step()
    assert not model.funding_cut and model.datacollector.model_vars["welfare_coverage"][-1] == full
    assert [event_label(e) for e in model.events] == ["public spending cut by 50%",
                                                      "public spending restored"]


def test_unknown_crisis_and_bad_preset_are_refused():
    with pytest.raises(ValueError, match="unknown crisis kind 'flood'"):
        classroom().press("flood")
    with pytest.raises(ScenarioError, match="'atlantis' is neither a bundled scenario"):
        ClassroomModel("atlantis")
    assert set(CLASSROOM_CRISES) == {"economic", "pandemic", "migration"}


def test_funding_choice_keeps_or_replaces_the_scenarios_policy(tmp_path):
    preset = tmp_path / "funded.toml"
    preset.write_text('name = "funded"\nextends = "baseline"\n[state.funding]\n'
                      'policy = "core_funding"\n', encoding="utf-8")
    keep = ClassroomModel(str(preset), **TOWN, **{"state.funding.policy": SCENARIO_OWN})
    assert keep.state.policy == "core_funding"
    replace = ClassroomModel(str(preset), **TOWN, **{"state.funding.policy": "none"})
    assert replace.state.policy == "none"


def test_mesa_scenario_argument_is_accepted_and_changes_are_listed():
    kwargs = {**initial_kwargs(), "preset": "pandemic", "csos.factors.meaning": 0.9}
    model = ClassroomModel(scenario=None, **kwargs)  # what Mesa 3.3's Reset passes
    assert model.spec.name == "pandemic" and model.p["csos"]["factors"]["meaning"] == 0.9
    assert model.changes == ["8 Care (meaning) 0.9"]


@pytest.mark.slow  # FFmpeg in a process of its own
def test_the_pages_film_replays_the_run_with_its_interventions(tmp_path):
    import imageio.v3 as iio

    model = ClassroomModel(rng=2, **{"population.citizens": 600})
    for week in range(6):
        if week == 3:
            model.press("economic")
        model.step()
    replay = model.replay()
    replay.run(6)
    assert replay.datacollector.get_model_vars_dataframe().equals(
        model.datacollector.get_model_vars_dataframe())
    assert model.film(tmp_path / "page.mp4") == 6
    assert iio.imread(tmp_path / "page.mp4", index=None).shape[0] == 6


# -- views ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 4, 9, 20, 23])
def test_neighbourhood_centres_follow_the_networks_grid(k):
    centres = neighbourhood_centres(k)
    grid = neighbourhood_grid(k)
    for a in range(k):
        for b in range(a + 1, k):
            distance = np.linalg.norm(centres[a] - centres[b])
            assert (distance == 1.0) == grid.has_edge(a, b), (a, b)


def test_town_picture_is_laid_out_once_and_recoloured_by_role():
    model = classroom()
    picture = TownPicture(model.town, model.seed)
    xy, background = picture.xy.copy(), picture.background
    off = np.linalg.norm(xy - picture.centres[model.pop.nbhd], axis=1)
    assert off.max() <= TownPicture.RADIUS
    model.press("migration")  # arrivals join the population arrays during the run
    run(model, 30)
    picture.update(model.town)
    assert len(picture.xy) == model.pop.size > len(xy)
    assert np.array_equal(picture.xy[:len(xy)], xy) and picture.background is background
    off = np.linalg.norm(picture.xy - picture.centres[model.pop.nbhd], axis=1)
    assert off.max() <= TownPicture.RADIUS  # newcomers too, in their neighbourhood's disc
    colours = picture.citizens.get_facecolors()
    vols = model.pop.volunteer
    assert vols.any()
    assert np.allclose(colours[vols, :3], _rgb(ROLE_COLOURS[Role.VOLUNTEER]))
    assert np.allclose(colours[~model.pop.present, 3], 0.0)  # newcomers not yet arrived
    assert np.allclose(colours[model.pop.present, 3], 1.0)
    assert len(picture.formal.get_offsets()) == int(
        (model.cso_table.active & model.cso_table.formal).sum())
    assert len(picture.links.get_segments()) == int(vols.sum())


def _rgb(colour: str) -> np.ndarray:
    from matplotlib.colors import to_rgb
    return np.array(to_rgb(colour))


def test_crisis_weeks_are_shaded_from_onset_to_fade():
    ts = pd.DataFrame({"week": range(10),
                       "crisis_salience": [0, 0, 0.5, 0.5, 0.2, 0.01, 0, 0.3, 0.3, 0]})
    assert crisis_weeks(ts) == [[{"xAxis": 2}, {"xAxis": 4}], [{"xAxis": 7}, {"xAxis": 8}]]


def test_charts_are_valid_json_with_gaps_for_missing_values():
    model = classroom()
    ts = run(model, 60, lambda m: m.start_crisis("economic"), at=10)
    for build in (volunteering_chart, need_chart, organisations_chart):
        option = build(ts, model.p["weeks"])
        json.dumps(option, allow_nan=False)
        assert len(option["xAxis"]["data"]) == model.p["weeks"]
        assert all(len(s["data"]) == len(ts) for s in option["series"])
        assert option["series"][0]["markArea"]["data"] == [[{"xAxis": 10}, {"xAxis": 59}]]
    retention = volunteering_chart(ts, 520)["series"][1]["data"]
    assert retention[0] is None and retention[-1] == round(100 * ts["retention_12m"].iloc[-1], 3)
    need = need_chart(ts, 520)["series"]
    assert {s["stack"] for s in need} == {"need"}
    assert [s["name"] for s in need] == ["met by welfare", "met by CSOs", "unmet"]


# -- the page without a browser ------------------------------------------------------------------


def _render_page():
    import ipyvuetify as v
    import solara

    from solidarity_sim.app.page import Page

    _, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)

    def button(label):
        return rc.find(v.Btn, children=[label]).widget

    def week():
        return rc.find(v.Html, class_="ss-week").widget.children[0]

    return button, week


def eventually(condition, seconds: float = 10.0) -> bool:
    """Wait for the page's frame clock to show a change."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_page_renders_steps_and_acts_without_a_browser():
    button, week = _render_page()
    other_button, other_week = _render_page()  # a second session
    assert week() == "Week 0 of 520"
    button("Step").click()
    button("Step").click()
    assert eventually(lambda: week() == "Week 2 of 520"), week()
    assert other_week() == "Week 0 of 520"
    assert button("restore funding").disabled and not button("cut funding").disabled
    button("cut funding").click()
    assert eventually(lambda: button("cut funding").disabled)
    assert not button("restore funding").disabled
    button("economic crisis").click()
    button("Step").click()
    assert eventually(lambda: week() == "Week 3 of 520"), week()
    other_button("Step").click()
    assert eventually(lambda: other_week() == "Week 1 of 520")
    assert week() == "Week 3 of 520"


# -- the teaching notes --------------------------------------------------------------------------


def test_teaching_notes_name_the_pages_controls_and_show_existing_screenshots():
    text = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    images = re.findall(r"\]\((img/[^)]+\.png)\)", text)
    assert len(images) == 7  # three lessons on the page, the page itself, Lesson 4's three
    for image in images:
        assert (ROOT / "docs" / image).is_file(), image
    labels = {spec["label"] for spec in model_params().values()}
    named = re.findall(r"\*\*(\d [A-Z][^*]+)\*\*", text)
    assert named and set(named) <= labels, set(named) - labels
    for label in ("Scenario", "Public funding of CSOs", "Welfare coverage"):
        assert f"**{label}**" in text and label in labels
    for button in ("economic crisis", "pandemic crisis", "migration crisis", "cut funding",
                   "restore funding", "Stop at week", "Weeks a second", "Start the lesson",
                   "Join", "play to it", "Export the lesson", "End the lesson"):
        assert f"**{button}**" in text


# -- the command ---------------------------------------------------------------------------------


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(EXECUTABLE), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_app_refuses_a_bad_port_or_host_in_one_paragraph():
    bad = cli("app", "--port", "70000")
    assert bad.returncode == 2 and "invalid port 70000" in bad.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = cli("app", "--port", str(port))
    assert taken.returncode == 2, taken.stderr
    assert f"--port {port}: cannot listen there" in taken.stderr
    unknown = cli("app", "--host", "no-such-host.invalid")
    assert unknown.returncode == 2 and "--host 'no-such-host.invalid'" in unknown.stderr
    for proc in (bad, taken, unknown):
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") <= 3


@pytest.mark.slow
def test_importing_the_page_reads_no_scenario_and_leaves_the_plotting_backend_alone():
    """Solara imports the page module once per server: it must not load a scenario (each
    session builds its own model) or choose matplotlib's backend (nor may the figure modules)."""
    probe = (
        "import matplotlib, solidarity_sim.model.scenario as sc\n"
        "read = []\n"
        "original = sc.resolve_path\n"
        "sc.resolve_path = lambda name: read.append(name) or original(name)\n"
        "import solidarity_sim.app.page, solidarity_sim.viz.report\n"
        "import solidarity_sim.viz.calibration_plots, solidarity_sim.viz.validation_plots\n"
        "print(read, matplotlib.get_backend())\n")
    env = {**os.environ, "MPLBACKEND": "svg"}  # any backend other than the Agg they once set
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "svg"]


# -- the page in Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """``solidarity-sim app`` on a free loopback port, stopped after the module's tests."""
    with running_server(["app"], ARTIFACTS) as (url, _):
        yield url


class Session:
    """One browser session (its own context, so its own cookie and Solara kernel)."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1600, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("websocket", lambda ws: self.requests.append(ws.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append(
            f"{r.url} HTTP {r.status}"))
        self.page.goto(url)
        self.page.locator(".ss-week").wait_for()

    def week(self) -> int:
        return int(re.match(r"Week (\d+) of", self.page.locator(".ss-week").inner_text())[1])

    def wait_text(self, condition: str) -> None:
        """Wait until the week's text (``text`` in the JavaScript ``condition``) satisfies it."""
        self.page.wait_for_function(
            f"(e => e !== null && (text => {condition})(e.innerText))"
            "(document.querySelector('.ss-week'))")

    def wait_steady(self, ms: int) -> int:
        """Wait until the week shown has not changed for ``ms`` milliseconds; return it."""
        self.page.wait_for_function(
            """ms => { const text = document.querySelector('.ss-week').innerText;
                       const now = performance.now();
                       if (window.ssShown !== text) { window.ssShown = text; window.ssSince = now; }
                       return now - window.ssSince >= ms; }""", arg=ms, polling=100)
        return self.week()

    def wait_week(self, week: int) -> None:
        self.wait_text(f"text.startsWith('Week {week} of')")

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def click_until(self, name: str, shown: str) -> None:
        """Click button ``name`` until button ``shown`` appears, within ``TIMEOUT_MS``.

        While the model plays, SolaraViz redraws its controls every week; a click that lands
        on a button just replaced is lost, so the click is repeated (each wait has a limit) until
        its effect is on the page.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        target = self.page.get_by_role("button", name=name, exact=True)
        result = self.page.get_by_role("button", name=shown, exact=True)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while not result.is_visible():
            if time.monotonic() > deadline:
                pytest.fail(f"clicking {name!r} did not show {shown!r} within {TIMEOUT_MS} ms")
            if target.is_visible():
                target.click(timeout=TIMEOUT_MS)
            try:
                result.wait_for(timeout=CLICK_RETRY_MS)
            except PlaywrightTimeout:
                continue

    def step(self, times: int = 1) -> None:
        for _ in range(times):
            before = self.week()
            self.click("Step")
            self.wait_week(before + 1)

    def figures(self) -> str:
        """This week's headline figures, once they are the figures of the week shown."""
        return self.page.locator(f".ss-figures[data-week='{self.week()}']").inner_text()

    def unmet_need(self) -> float:
        return float(re.search(r"unmet need ([\d,.]+)", self.figures())[1].replace(",", ""))

    def shot(self, name: str) -> None:
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, server):
    opened = []

    def open_session() -> Session:
        opened.append(Session(browser, server))
        return opened[-1]

    yield open_session
    for s in opened:
        s.close()


@pytest.mark.slow
def test_page_loads_offline_with_no_failed_request(session, server):
    s = session()
    s.page.wait_for_load_state("networkidle")
    host = urlsplit(server).netloc
    assert s.failed == []
    outside = [u for u in s.requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).netloc != host]
    assert outside == [], outside
    assert any("/_solara/cdn/" in u for u in s.requests)  # Solara's assets, served locally
    for name in ("Reset", "Step", "▶", "economic crisis", "cut funding"):
        assert s.page.get_by_role("button", name=name, exact=True).is_visible()
    assert s.week() == 0
    s.shot("loaded")


@pytest.mark.slow
def test_step_advances_the_week(session):
    s = session()
    s.step(3)
    assert s.week() == 3
    s.page.locator(".ss-chart[data-week='3']").nth(2).wait_for()  # the headline's week
    assert s.page.locator(".ss-chart").count() == 3
    assert "volunteers" in s.figures()
    s.page.locator(".ss-town img").nth(1).wait_for()
    s.shot("stepped")


@pytest.mark.slow
def test_play_advances_and_pause_stops(session):
    """Play advances the weeks and pause stops them; the speed is recorded, not asserted.

    Every wait is on a condition with a time limit (``TIMEOUT_MS``), never a fixed sleep, so a
    busy machine makes the test slower, not red. Speed targets live in measurements, not in timed
    tests: the figure goes to ``test-artifacts/app/speed.txt``.
    """
    s = session()
    s.click("▶")
    s.wait_text("!text.startsWith('Week 0 ')")
    start, t0 = s.week(), time.monotonic()
    s.wait_text(f"parseInt(text.slice(5)) >= {start + PLAYED_WEEKS}")
    end, t1 = s.week(), time.monotonic()
    speed = (end - start) / (t1 - t0)
    (ARTIFACTS / "speed.txt").write_text(
        f"{speed:.1f} weeks per second while playing (1,000 citizens; weeks {start} to {end} "
        f"in {t1 - t0:.1f} s, read from the page)\n")
    print(f"play speed: {speed:.1f} weeks/s")
    s.click_until("❚❚", shown="▶")
    paused = s.wait_steady(STEADY_MS)
    assert paused >= end  # stopped: the week has not changed for STEADY_MS
    s.shot("paused")


@pytest.mark.slow
def test_play_stops_at_the_week_asked_for(session):
    s = session()
    s.page.get_by_label("Stop at week").fill("8")
    s.page.get_by_label("Stop at week").press("Enter")
    s.click("▶")
    s.wait_week(8)  # a busy machine draws fewer frames, but the last one is the week it stops at
    assert s.wait_steady(STEADY_MS) == 8  # and it stays there
    s.page.get_by_role("button", name="▶", exact=True).wait_for()  # ready to play on
    s.page.locator(".ss-chart[data-week='8']").nth(2).wait_for()


@pytest.mark.slow
def test_crisis_button_changes_the_run_against_the_same_seed(session):
    calm, crisis = session(), session()
    for s in (calm, crisis):
        s.step(3)
    assert calm.figures() == crisis.figures()  # same seed, same weeks so far
    crisis.click("economic crisis")
    crisis.page.get_by_text("week 3: economic crisis").wait_for()
    for s in (calm, crisis):
        s.step(6)
    assert crisis.unmet_need() > calm.unmet_need()
    crisis.shot("economic-crisis")


@pytest.mark.slow
def test_two_sessions_are_independent(session):
    first, second = session(), session()
    first.step(4)
    assert second.week() == 0
    second.step()
    assert (first.week(), second.week()) == (4, 1)
    first.click("cut funding")
    first.page.get_by_text("public spending cut by 50%").wait_for()
    assert second.page.get_by_role("button", name="cut funding").is_enabled()


@pytest.mark.slow
def test_reset_builds_the_chosen_scenario(session):
    s = session()
    s.step(2)
    s.page.locator(".v-select").filter(has_text=re.compile("^Scenario")).click()
    s.page.get_by_role("option", name="pandemic", exact=True).click()
    s.click("Reset")
    s.wait_text("text == 'Week 0 of 156'")
    title = s.page.locator(".ss-title")  # redrawn just after the week (failed once at load 6)
    title.filter(has_text=re.compile("^pandemic · seed 0$")).wait_for(timeout=TIMEOUT_MS)
    assert title.inner_text() == "pandemic · seed 0"
