"""Fixtures shared by every test folder, and the ``slow`` marker (see ``pyproject.toml``)."""

import os

import pytest

from tests.helpers import small_run

os.environ.setdefault("MPLBACKEND", "Agg")  # figures drawn by tests go to files, never a window


@pytest.fixture(scope="session")
def baseline_small():
    return small_run()
