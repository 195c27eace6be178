"""The core installs and runs without the extras; a missing extra is one sentence and exit 2.

Building venvs is too slow for the suite, so an extra is "uninstalled" for one Python process by
setting its modules to ``None`` in ``sys.modules``: for that process ``import solara`` then raises
``ModuleNotFoundError`` and ``importlib.util.find_spec("solara")`` returns None, exactly as when
the package is not installed. Everything else (the model, the CLI) is the real code.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import solidarity_sim
from solidarity_sim.extras import EXTRAS

pytestmark = pytest.mark.slow  # fresh Python processes

ROOT = Path(__file__).resolve().parents[1]
SOURCE = str(Path(solidarity_sim.__file__).resolve().parents[1])
"""Where this process imports the package from; the subprocesses import the same code."""
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EVERY_EXTRA_MODULE = tuple(m for modules in EXTRAS.values() for m in modules)
DISTRIBUTIONS = {  # the distributions of each extra, as named in pyproject.toml
    "app": {"solara", "solara-assets", "ipyvue", "ipyvuetify", "altair", "starlette", "segno",
            "solidarity-sim"},  # solidarity-sim[film]: the page's film button
    "film": {"imageio", "imageio-ffmpeg"},
    "dask": {"dask"},
    "survival": {"lifelines"},
    "decide": {"ema-workbench", "optuna"},
    "abc": {"pyabc"},
}


def name(requirement: str) -> str:
    """The distribution name of a requirement string, normalised."""
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def python(code: str, hidden: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python in which the ``hidden`` modules cannot be imported."""
    prelude = f"import sys\nfor _m in {hidden!r}:\n    sys.modules[_m] = None\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [SOURCE, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])}
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def cli(args: list[str], hidden: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess:
    """Run the real ``solidarity-sim`` command line with the ``hidden`` modules missing."""
    return python(f"from solidarity_sim.cli import main\nsys.exit(main({args!r}))", hidden, cwd)


def test_the_core_dependencies_hold_none_of_the_extras():
    core = {name(r) for r in PYPROJECT["dependencies"]}
    extras = PYPROJECT["optional-dependencies"]
    assert {"mesa", "numpy", "scipy", "pandas", "networkx", "pyarrow", "matplotlib", "tqdm",
            "salib", "filelock", "rocrate", "numba"} == core
    for extra, distributions in DISTRIBUTIONS.items():
        assert {name(r) for r in extras[extra]} == distributions, extra
        assert not core & distributions, extra
    assert extras["dask"] == ["dask[distributed]>=2024.1"]
    assert extras["all"] == ["solidarity-sim[app,film,dask,survival,decide,abc]"]
    assert "solidarity-sim[film]" in extras["app"]
    assert "solidarity-sim[all]" in extras["dev"]
    assert {"pytest", "pytest-xdist", "hypothesis", "ruff", "jsonschema", "playwright",
            "import-linter"} <= {name(r) for r in extras["dev"]}
    assert set(EXTRAS) == set(DISTRIBUTIONS)


def test_import_and_help_load_no_extra(tmp_path):
    code = ("import solidarity_sim\nfrom solidarity_sim.cli import build_parser\n"
            "build_parser().format_help()\n"
            f"sys.exit(sorted(set({EVERY_EXTRA_MODULE!r}) & set(sys.modules)) or 0)\n")
    proc = python(code, (), tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_run_works_with_every_extra_missing(tmp_path):
    out = tmp_path / "out"
    proc = cli(["run", "baseline", "--weeks", "10", "--set", "population.citizens=800",
                "--out", str(out)], EVERY_EXTRA_MODULE, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (out / "overview.png").stat().st_size > 0
    code = ("import solidarity_sim as ss\n"
            "r = ss.run('baseline', weeks=5, overrides={'population.citizens': 800})\n"
            "assert len(r.timeseries) == 5\n")
    proc = python(code, EVERY_EXTRA_MODULE, tmp_path)
    assert proc.returncode == 0, proc.stderr


MISSING = [
    # an unusable --host: were the extra not checked first, the command stops at once anyway
    # instead of starting a server
    pytest.param("app", "the classroom page", "solara", ["app", "--host", "256.0.0.1"], id="app"),
    pytest.param("app", "the shared lesson", "solara", ["classroom", "--host", "256.0.0.1"],
                 id="classroom"),
    pytest.param("film", "a film of a run (--film)", "imageio",
                 ["run", "--weeks", "2", "--film", "run.mp4"], id="run-film"),
    pytest.param("dask", "the Dask executor", "dask",
                 ["sweep", str(ROOT / "experiments" / "smoke.toml"), "--executor", "dask"],
                 id="sweep-executor-dask"),
    pytest.param("dask", "the Dask executor", "dask",
                 ["sweep", str(ROOT / "experiments" / "smoke.toml"), "--scheduler",
                  "tcp://127.0.0.1:8786"], id="sweep-scheduler"),
    pytest.param("survival", "validate (its retention curves)", "lifelines",
                 ["validate", "--replications", "2", "--only", "limits"], id="validate"),
    pytest.param("decide", "scenario discovery (PRIM)", "ema_workbench",
                 ["explore", "baseline", "pandemic", "--futures", "2"], id="explore"),
    pytest.param("decide", "the optimiser (Optuna)", "ema_workbench",
                 ["optimise", "--budget", "10"], id="optimise"),
]


@pytest.mark.parametrize(("extra", "feature", "module", "args"), MISSING)
def test_a_missing_extra_is_one_sentence_and_exit_2(tmp_path, extra, feature, module, args):
    pages = ("app", "classroom")
    proc = cli([*args, "--out", str(tmp_path / "out")] if args[0] not in pages else args,
               EXTRAS[extra], tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr == (f"solidarity-sim: error: {feature} needs the '{extra}' extra "
                           f"({module} is not installed): pip install 'solidarity-sim[{extra}]'\n")
    assert not (tmp_path / "out").exists()  # it stopped before doing any work


def test_the_library_raises_missing_extra_where_an_extra_is_needed(tmp_path):
    code = """
from solidarity_sim.extras import MissingExtra
import solidarity_sim.viz.validation_plots  # its figures without survival curves still import
import solidarity_sim.viz.retention_plots  # plots tables: no lifelines needed
from solidarity_sim.batch.executors import DaskExecutor

from solidarity_sim.ema import ema_model

for extra, attempt in [("survival", lambda: __import__("solidarity_sim.analysis.retention")),
                       ("app", lambda: __import__("solidarity_sim.app.page")),
                       ("dask", DaskExecutor), ("decide", ema_model)]:
    try:
        attempt()
    except MissingExtra as err:
        assert isinstance(err, ImportError) and err.extra == extra, err
        print(err)
    else:
        raise AssertionError(f"no MissingExtra for {extra}")
"""
    proc = python(code, EVERY_EXTRA_MODULE, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "the retention analysis needs the 'survival' extra (lifelines is not installed): "
        "pip install 'solidarity-sim[survival]'",
        "the classroom page needs the 'app' extra (solara is not installed): "
        "pip install 'solidarity-sim[app]'",
        "the Dask executor needs the 'dask' extra (dask is not installed): "
        "pip install 'solidarity-sim[dask]'",
        "the EMA Workbench bridge needs the 'decide' extra (ema_workbench is not installed): "
        "pip install 'solidarity-sim[decide]'",
    ]


def test_every_subpackage_is_a_package_that_git_and_the_wheel_keep():
    # hatchling leaves out what .gitignore ignores: a `results/` pattern once dropped
    # solidarity_sim/results/ from the wheel (and its __init__.py from git)
    package = ROOT / "src" / "solidarity_sim"
    sources = sorted(package.rglob("*.py"))
    for folder in {s.parent for s in sources}:
        assert (folder / "__init__.py").is_file(), f"{folder} is not a package"
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=ROOT,
                          input="\n".join(str(s.relative_to(ROOT)) for s in sources),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout == "", f"git ignores: {proc.stdout}"
