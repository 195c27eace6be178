"""Fixtures shared by every test folder, and the ``slow`` marker (see ``pyproject.toml``)."""

import pytest

from tests.helpers import small_run


@pytest.fixture(scope="session")
def baseline_small():
    return small_run()
