"""Reading and writing result files: whole files only, and errors that name the file.

Every file of a result folder is written to a hidden temporary name beside its final name and
renamed into place (:func:`write_atomic`), so a crash or a full disk never leaves half a file
under a final name. A file that cannot be written, read or parsed raises :class:`FileError`, whose
message names the file, says what went wrong and what to do; the command line prints it as one
paragraph with exit status 2. pandas and pyarrow are imported where they are needed, so that the
command line, which uses the errors, starts fast.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.scenario import ScenarioError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

FULL = (errno.ENOSPC, errno.EDQUOT)
"""Error numbers of a full disk or an exhausted quota."""


class FileError(ScenarioError):
    """A result file or folder cannot be written or read; the message names it and says why."""


def why(err: OSError) -> str:
    """An OS error in words, with what to do about a full disk."""
    reason = os.strerror(err.errno) if err.errno else str(err)
    if err.errno in FULL:
        return f"{reason}: free some space (or give another --out folder) and run the same " \
               "command again"
    return reason


def make_folder(path: str | Path, option: str = "--out") -> Path:
    """Create a folder (and its parents) that results will be written into, and check it.

    Args:
        path: The folder.
        option: How error messages name it (the command-line option that gave it).

    Raises:
        FileError: It is a file, cannot be created, or cannot be written into.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise FileError(f"{option} {folder}: exists and is not a folder; give a folder to write "
                        "the results into")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FileError(f"{option} {folder}: cannot create the folder ({why(err)}); give a "
                        "folder you can write to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileError(f"{option} {folder}: cannot write into the folder (permission denied); "
                        "give a folder you can write to")
    return folder


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a hidden temporary file beside ``path``, then rename it into place.

    Raises:
        FileError: The file cannot be written (a full disk, no permission); the temporary file
            is removed and ``path`` is left as it was.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise FileError(f"{path}: cannot write the file ({why(err)})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: Any) -> None:
    """Write indented JSON atomically."""
    write_text(path, json.dumps(data, indent=2) + "\n")


def write_table(table: pa.Table | pd.DataFrame, path: Path) -> None:
    """Write a Parquet file atomically (a DataFrame without its index)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def write_csv(frame: pd.DataFrame, path: Path, **options: Any) -> None:
    """Write a CSV file atomically (``options`` as for :meth:`pandas.DataFrame.to_csv`)."""
    options.setdefault("index", False)
    write_atomic(path, lambda tmp: frame.to_csv(tmp, **options))


def save_figure(fig: Any, path: Path, dpi: int = 110) -> None:
    """Save a matplotlib figure as PNG atomically."""
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))


def damaged(path: Path, reason: str, hint: str = "") -> FileError:
    """The error for a file that cannot be used: names it, says why and what to do."""
    return FileError(f"{path}: {reason}" + (f"; {hint}" if hint else ""))


def read_table(path: Path, hint: str = "") -> pd.DataFrame:
    """Read a Parquet file.

    Args:
        path: The file.
        hint: What to do if it cannot be read, for the message.

    Raises:
        FileError: The file is missing or not a readable Parquet file.
    """
    return read_arrow(path, hint).to_pandas()


def read_arrow(path: Path, hint: str = "") -> pa.Table:
    """Read a Parquet file as an Arrow table (see :func:`read_table`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        raise damaged(path, "the file is missing", hint)
    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as err:
        raise damaged(path, f"not a readable Parquet file ({_first_line(err)})", hint) from None


def read_json(path: Path, hint: str = "") -> Any:
    """Read a JSON file.

    Raises:
        FileError: The file is missing, unreadable or not JSON.
    """
    if not path.is_file():
        raise damaged(path, "the file is missing", hint)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise damaged(path, f"cannot read the file ({why(err)})", hint) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise damaged(path, f"not a JSON file ({_first_line(err)})", hint) from None


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _first_line(err: BaseException) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
