"""The documents stay true to the code."""

import re
from pathlib import Path

from solidarity_sim.model.parameters import iter_params, markdown_table
from solidarity_sim.model.solidarity_model import SolidarityModel

ROOT = Path(__file__).resolve().parents[1]
ODD = (ROOT / "docs" / "ODD.md").read_text()


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
