"""Writing the user's output files: whole or not at all, and a one-line error."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from monitor.errors import MonitorError, cannot_write


def write_text(
    path: Path, text: str, error: Callable[[Path, OSError], MonitorError] = cannot_write
) -> None:
    """Write atomically: a reader never sees half a file, and a failed write leaves none.

    The file is the user's alone (mode 0600, as mkstemp makes it). If it
    cannot be written, raises `error(path, exc)`: by default an OutputError
    naming the path and why.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise error(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise error(path, exc) from None
        raise
