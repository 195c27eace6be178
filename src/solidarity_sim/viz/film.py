"""A film of a run: the town and the main charts, week by week, labelled, for slides and papers.

:class:`Film` writes one frame per ``every`` weeks as the run goes (``run(..., watch=...)``
calls :meth:`Film.add` after each week): on the left the town (:class:`.town_plots.TownPicture`),
on the right the overview's volunteering and need panels (:mod:`.run_plots`) so far, over the
whole horizon, crises shaded, and the week in the title. MP4 (H.264, through the FFmpeg that
``imageio-ffmpeg`` ships) is 1280 x 720 pixels; GIF is 800 x 450, to keep the file small. Both
play :data:`FPS` frames a second. Needs the ``film`` extra.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.image
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..extras import needs
from . import run_plots
from .town_plots import TownPicture

if TYPE_CHECKING:
    from ..model.town import Town

FPS = 10
"""Frames a second: a year of weekly frames lasts about five seconds."""

FORMATS = {".mp4": 100.0, ".gif": 62.5}
"""The film formats, and the dots per inch that make a 12.8 x 7.2 inch frame their size."""

def rgba(fig: Figure) -> np.ndarray:
    """A figure drawn to an RGBA array of floats in [0, 1]."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba(), dtype=float) / 255.0


class Film:
    """A film written frame by frame while a model runs.

    Args:
        path: The file to write: ``.mp4`` or ``.gif``.
        title: What the film shows (scenario and seed), above every frame.
        weeks: The run's horizon (the charts' time axis).
        every: Weeks between frames; a film of ``n`` weeks has ``n // every`` frames.

    Raises:
        ValueError: The file's suffix is not a film format.
        MissingExtra: The ``film`` extra is not installed.
    """

    def __init__(self, path: str | Path, *, title: str, weeks: int, every: int = 1):
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS:
            raise ValueError(f"{self.path}: a film is .mp4 or .gif, not {suffix or 'no suffix'}")
        with needs("film", "a film of a run"):
            import imageio.v2 as imageio
            if suffix == ".mp4":
                import imageio_ffmpeg  # noqa: F401 (its FFmpeg writes MP4)
        options: dict[str, Any] = ({"fps": FPS, "codec": "libx264", "quality": 7,
                                    "macro_block_size": 16} if suffix == ".mp4"
                                   else {"duration": 1000 / FPS, "loop": 0})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = imageio.get_writer(self.path, **options)
        self.title, self.weeks, self.every = title, weeks, every
        self.frames = 0
        self.figure = Figure(figsize=(12.8, 7.2), dpi=FORMATS[suffix])
        self.town_ax = self.figure.add_axes((0.0, 0.0, 0.5, 0.92))
        self.town_ax.set_axis_off()
        self.volunteering_ax = self.figure.add_axes((0.57, 0.55, 0.41, 0.33))
        self.need_ax = self.figure.add_axes((0.57, 0.09, 0.41, 0.33))
        self._picture: TownPicture | None = None
        self._background: np.ndarray | None = None

    def __enter__(self) -> Film:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, town: Town, seed: int, series: dict[str, list]) -> None:
        """Add the frame of the week just simulated, if it is one of every ``every`` weeks.

        Args:
            town: The model's town after the week.
            seed: The run's seed (the town's layout is drawn from it).
            series: The weekly series so far (a DataCollector's ``model_vars``).
        """
        if town.week % self.every:
            return
        if self._picture is None:
            self._picture = TownPicture(town, seed)
            self._background = matplotlib.image.imread(io.BytesIO(self._picture.background))
        self._picture.update(town)
        layer = rgba(self._picture.figure)
        alpha = layer[..., 3:]
        town_image = layer[..., :3] * alpha + self._background[..., :3] * (1 - alpha)
        self.town_ax.clear()
        self.town_ax.set_axis_off()
        self.town_ax.imshow(town_image)
        self._charts(series)
        self.figure.suptitle(f"{self.title} · week {town.week - 1}", fontsize=16, x=0.5,
                             y=0.975)
        frame = rgba(self.figure)[..., :3]
        self.writer.append_data((frame * 255).round().astype(np.uint8))
        self.frames += 1

    def _charts(self, series: dict[str, list]) -> None:
        """The overview's volunteering and need panels, over the weeks so far."""
        ts = pd.DataFrame(series)
        for panel, ax in ((run_plots.volunteering, self.volunteering_ax),
                          (run_plots.need, self.need_ax)):
            ax.clear()
            panel(ts, ax)
            ax.set_xlim(0, self.weeks)

    def close(self) -> None:
        """Finish the file."""
        self.writer.close()
