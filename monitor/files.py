"""Writing the user's output files: whole or not at all, and a one-line error."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from monitor.errors import cannot_write


def write_text(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a file, and a failed write leaves none.

    OutputError, naming the path and the reason, if it cannot be written.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise
