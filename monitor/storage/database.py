"""The database file: where it is, making it private, and what its errors mean.

SQLite's own words ("unable to open database file") become a StoreError
that says what is wrong with the file and what to do about it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from monitor import paths
from monitor.errors import StoreError
from monitor.storage import files

DB_NAME = "monitor.db"


def default_path() -> Path:
    return paths.data_dir() / DB_NAME


def database_path(path: Path | None) -> Path:
    """The database file `--db` names (None: the default), refused if a folder."""
    path = Path(path) if path else default_path()
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder; give a file name")
    return path


def create_private(path: Path) -> None:
    """Create the file 0600 before SQLite does (its -wal/-shm copy the mode)."""
    try:
        paths.private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        # The database there already; not a file where a folder should be,
        # which making the folder also reports as "File exists".
        if isinstance(exc, FileExistsError) and os.path.isfile(path):
            return
        raise StoreError(f"cannot create the database {path}: {files.why_not(path, exc)}") from None
    os.close(fd)


def require(path: Path) -> None:
    """Refuse a database that is not there (readers never create one)."""
    if not path.exists():
        raise StoreError(
            f"no database at {path}: nothing recorded there yet "
            "(`posture-monitor run` records to it)"
        )


def require_yours(path: Path) -> None:
    """Refuse a database another user could have written (see `files.not_yours`):
    its figures, and the retention it is cleared by, would be theirs."""
    why = files.not_yours(path)
    if why:
        raise StoreError(f"refusing the database {path}: {why}")


HEADER = b"SQLite format 3\x00"


def header_problem(path: Path) -> str | None:
    """What is wrong with the database file's header, or None (an empty file is
    a database not yet written). Reads 100 bytes and the file's size."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return None  # SQLite will say why it cannot open it
    if not head:
        return None
    if len(head) < 100 or not head.startswith(HEADER):
        return "file is not a database"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    # The header's page count holds only while its change counter matches
    # (offsets 24 and 92); then the file must hold that many pages.
    if head[24:28] == head[92:96] and pages and size < pages * page:
        return f"truncated: {size} bytes of the {pages * page} its header counts"
    return None


def uri(path: Path, **query: str) -> str:
    """An SQLite URI for `path` (any bytes the file system takes) with query parameters."""
    params = "&".join(f"{k}={v}" for k, v in query.items())
    # The path's bytes (a Latin-1 name is not UTF-8: os.fsencode gives back the
    # bytes surrogateescape stands for), each percent-encoded as SQLite expects.
    return f"file:{quote(os.fsencode(path.absolute()))}?{params}"


def explain(path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError that says what went wrong with the database and what to do."""
    text = str(exc)
    if "unable to open" in text or "readonly" in text:
        why = files.unwritable(path, in_place=True)
        if why:
            # SQLite needs to write beside a database (its -shm, -wal) even to read it.
            return StoreError(f"cannot use the database {path}: {text} ({why})")
    if "locked" in text or "busy" in text:
        return StoreError(
            f"database is locked by another process: {path} "
            "(is another posture-monitor running? close it and retry)"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"database {path} is damaged ({text}); it was left as it is: move it "
            "aside to start a new one, or restore a backup"
        )
    return StoreError(f"cannot use the database {path}: {text}")
