"""The documents stay true to the code."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from solidarity_sim.analysis.validation import calibration_checks, factor_checks
from solidarity_sim.model.parameters import CRISIS_SCHEMA, iter_params, markdown_table
from solidarity_sim.model.scenario import bundled_scenarios
from solidarity_sim.model.series import COLUMNS
from solidarity_sim.model.solidarity_model import SolidarityModel

ROOT = Path(__file__).resolve().parents[1]
ODD = (ROOT / "docs" / "ODD.md").read_text()
SOURCES_MD = (ROOT / "docs" / "sources.md").read_text()
KEY = re.compile(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)\](?!\()")
"""A citation key as the repository writes it: ``[SOLIDUS]``, ``[CNCS-2007]`` (not link text)."""
DEFINED = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', SOURCES_MD))
"""The anchors of docs/sources.md; key ``[EU-SILC-2015]`` is defined by anchor ``eu-silc-2015``."""
OUTSIDE = [re.escape("../" + "shared"), re.escape("shared/" + "sources"),
           re.escape("DESIGN" + ".md"), re.escape("DESIGN" + " §"), r"\b\d{3}_[0-9a-f]{16}\.txt\b"]
"""What a reference to a file outside the repository looks like: the folder beside the project,
its design notes and the source documents' distribution file names (built from pieces so that
this file does not match itself)."""


def test_odd_parameter_table_is_generated_from_parameters_py():
    block = re.search(r"<!-- BEGIN PARAMETER TABLE[^>]*-->\n(.*?)\n<!-- END PARAMETER TABLE -->",
                      ODD, re.S)
    assert block, "docs/ODD.md lost its parameter-table markers"
    assert block.group(1).strip() == markdown_table().strip(), (
        "regenerate the table: python -m solidarity_sim.model.parameters")


def test_every_parameter_is_in_the_odd():
    for path, _ in iter_params():
        if path not in ("name", "description", "sources", "crises"):
            assert f"`{path}`" in ODD, path


def test_every_weekly_series_is_in_the_odd():
    start = ODD.index("Weekly series (one row per week")
    table = ODD[start:ODD.index("* **Spell table**", start)]
    assert not [c for c in COLUMNS if f"`{c}`" not in table], "add them to ODD section 4"


def test_odd_schedule_follows_the_step_docstring():
    steps = re.findall(r"^\s+\d\. \*\*(.+?)\*\*", SolidarityModel.step.__doc__, re.M)
    assert len(steps) == 9
    positions = [ODD.find(name) for name in steps]
    assert all(p >= 0 for p in positions), dict(zip(steps, positions, strict=True))


def test_readme_opens_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    head = readme[:600]
    assert "make run" in head and "make test" in head
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def tracked_files() -> list[Path]:
    """The repository's files: git's list in a checkout, else every file outside build folders."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode()
        files = [ROOT / f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
    if not files:
        skip = {".git", ".venv", ".venv312", "__pycache__", "build", "dist", ".pytest_cache"}
        files = [f for f in ROOT.rglob("*")
                 if f.is_file() and not skip & set(f.relative_to(ROOT).parts)]
    return [f for f in files if f.is_file()]


def test_nothing_in_the_repository_refers_to_a_path_outside_it():
    pattern = re.compile("|".join(OUTSIDE))
    found = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images and other binary files
        for n, line in enumerate(text.splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not found, ("cite a source by its key in docs/sources.md, not by a path outside the "
                       "repository:\n" + "\n".join(found))


def scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").glob("*.toml"))


def cited_keys() -> dict[str, set[str]]:
    """Every citation key the code, the scenario and experiment files and the documents use."""
    where: dict[str, set[str]] = {}

    def add(text: str, place: str) -> None:
        for key in KEY.findall(text):
            where.setdefault(key, set()).add(place)

    for path, param in [*iter_params(), *(("crises[]." + k, p) for k, p in CRISIS_SCHEMA.items())]:
        add(param.basis, f"parameters.py: {path}")
    for check in [*calibration_checks(), *factor_checks()]:
        add(check.source, f"validation.py: {check.name}")
    for path in [*scenario_files(), *sorted((ROOT / "experiments").glob("*.toml")),
                 *sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        add(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return where


def test_sources_md_defines_every_citation_key_in_use():
    undefined = {k: sorted(v) for k, v in cited_keys().items() if k.lower() not in DEFINED}
    assert not undefined, f"define these keys in docs/sources.md (an <a id> anchor): {undefined}"


def test_sources_md_lists_every_key_it_defines():
    index = SOURCES_MD.split("\n---\n", 1)[0]
    for key in {k for k in cited_keys() if k.lower() in DEFINED}:
        assert f"[`[{key}]`](#{key.lower()})" in index, f"add {key} to the key table"


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_each_scenario_source_starts_with_a_key_or_names_the_scenario_it_extends(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["sources"], "a scenario cites at least one source"
    bundled = set(bundled_scenarios())
    for entry in data["sources"]:
        key = KEY.match(entry)
        named = entry.split(" ", 1)[0] in bundled
        assert (key and key.group(1).lower() in DEFINED) or named, (
            f"{entry!r}: start with a citation key of docs/sources.md, e.g. '[SOLIDUS] factor 07'")


def test_every_parameter_basis_is_an_assumption_or_cites_a_source():
    for path, param in [*iter_params(), *(("crises[]." + k, p) for k, p in CRISIS_SCHEMA.items())]:
        basis = param.basis
        assert (basis.startswith("assumption") or KEY.search(basis)
                or "docs/sources.md" in basis), f"{path}: basis {basis!r} cites no key"
