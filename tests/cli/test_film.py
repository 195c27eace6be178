"""Films of a run: ``run --film`` writes an MP4 or a GIF that decodes to the expected frames."""

from __future__ import annotations

import subprocess
import sys

import imageio.v3 as iio
import pytest

pytestmark = pytest.mark.slow  # the console script, and FFmpeg, in fresh processes

TOWN = ["--set", "population.citizens=600"]


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "solidarity_sim.cli", "run", *TOWN, *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(("name", "every", "frames", "size"),
                         [("film.mp4", 2, 4, (720, 1280)), ("film.gif", 1, 5, (450, 800))])
def test_run_writes_a_film_with_a_frame_every_n_weeks(tmp_path, name, every, frames, size):
    weeks = 8 if name.endswith(".mp4") else 5
    done = run("--weeks", str(weeks), "--film", name, "--film-every", str(every),
               "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"film written to {name} ({frames} frames, 10 a second)" in done.stdout
    video = iio.imread(tmp_path / name, index=None)
    assert video.shape[:3] == (frames, *size)
    assert video[-1].std() > 10  # a picture, not a blank frame
    assert (video[0] != video[-1]).any()  # the week in the title and the charts move on


def test_a_film_needs_a_film_suffix(tmp_path):
    done = run("--weeks", "2", "--film", "film.avi", cwd=tmp_path)
    assert done.returncode == 2
    assert "--film film.avi: not allowed; give a file ending in .mp4 or .gif" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "film.avi").exists()

