"""Writing the user's files: whole or not at all, and why not in plain words.

The one place that says why a path cannot be written: before slow work
(`unwritable`), and after an OSError (`why_not`). Callers choose the error
type; the words are the same for an output file, a profile and the database.

A regular file is replaced whole (a temporary file beside it, made with
O_EXCL and O_NOFOLLOW, then renamed). A special file (`/dev/stdout`, a FIFO,
a terminal) is written into, never replaced by a regular one: a user running
as root must not replace `/dev/stdout`. `-` is standard output.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from monitor.errors import MonitorError, OutputError

# Our own files are opened without following a symlink (where the platform can).
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
STDOUT = "-"


def is_stdout(path: Path | str) -> bool:
    return str(path) == STDOUT


def special(path: Path) -> bool:
    """Whether `path` is there and neither a regular file nor a folder (a device,
    a FIFO, a socket; through a symlink too, as /dev/stdout is)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def symlink_note(path: Path) -> str:
    return (
        f"{path} is a symbolic link, which posture-monitor does not follow for its own "
        "files; remove it"
    )


def not_yours(path: Path, st: os.stat_result | None = None) -> str | None:
    """Why the file at `path` may hold another user's words, as ssh judges its
    files: owned by someone but you (or root), or writable by others (or by a
    group not your own). None if it is yours alone, or not there.
    """
    if not hasattr(os, "getuid"):
        return None
    try:
        st = st or os.stat(path)
    except OSError:
        return None
    if st.st_uid not in (os.getuid(), 0):
        return (
            f"it belongs to another user ({_user(st.st_uid)}), so it may not be what you wrote; "
            f"remove it, or make it yours (chown {_user(os.getuid())} {path})"
        )
    if st.st_mode & stat.S_IWOTH or (st.st_mode & stat.S_IWGRP and st.st_gid != os.getgid()):
        return (
            f"it is writable by other users (mode {stat.S_IMODE(st.st_mode):04o}), so another "
            f"user may have changed it; make it yours alone (chmod go-w {path})"
        )
    return None


def read_regular(path: Path, limit: int = 1 << 24) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file at `path` and its status, read without blocking on
    a FIFO or device put in its place (OSError; ValueError "not a regular file")."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("it is not a regular file (a FIFO, a device or a folder?)")
        chunks = []
        while len(data := os.read(fd, 1 << 16)) and sum(map(len, chunks)) < limit:
            chunks.append(data)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def _user(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


def unwritable(path: Path, in_place: bool = False) -> str | None:
    """Why a file cannot be written at `path`, in plain words; None if it looks writable.

    Checked before slow work, so a mistyped path is refused at once. It
    cannot foresee everything (a full disk), so writers still catch OSError.
    A file is replaced, not written into, so its folder's permission is what
    counts; `in_place` (SQLite writes into its database) checks the file's too.
    """
    if is_stdout(path):
        return None
    path = Path(path)
    parent = path.parent
    if os.path.isdir(path):  # os.path, unlike Path, never raises: a name too long is False
        return "it is a folder"
    if special(path):  # written into, not replaced: its own permission counts
        return None if os.access(path, os.W_OK) else f"no permission to write to {path}"
    if not os.path.isdir(parent):
        return _in_the_way(parent) or f"no such folder {parent}"
    if not os.access(parent, os.W_OK | os.X_OK):
        if _read_only_fs(parent):
            return f"its folder {parent} is on a read-only file system"
        return f"no permission to write in {parent}"
    if in_place and os.path.exists(path) and not os.access(path, os.W_OK):
        return f"the file {path} is read-only"
    return None


def why_not(path: Path, exc: OSError) -> str:
    """Why `exc`, raised writing `path` or making a folder for it, stopped it, in plain words.

    What is in the way says more than the errno: making a folder inside a
    file fails with "File exists" or "Not a directory".
    """
    path = Path(path)
    blocked = _in_the_way(path.parent)
    if blocked:
        return blocked
    if exc.errno == errno.ELOOP or (os.path.islink(path) and exc.errno == errno.EEXIST):
        return symlink_note(path)
    failed = Path(exc.filename) if isinstance(exc.filename, str) else None
    if failed is not None and failed in path.parents:
        return f"cannot make the folder {failed}: {_reason(exc)}"
    return unwritable(path) or _reason(exc)


def require_writable(path: Path) -> Path:
    """`path`, or an OutputError naming it and why it cannot be written."""
    reason = unwritable(path)
    if reason is not None:
        raise OutputError(f"cannot write {path}: {reason}")
    return path


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """`exc`, raised writing `path`, as a one-line error naming the path and the reason."""
    return OutputError(f"cannot write {path}: {why_not(path, exc)}")


def write_text(
    path: Path, text: str, error: Callable[[Path, OSError], MonitorError] = cannot_write
) -> None:
    """Write atomically: a reader never sees half a file, and a failed write leaves none.

    The file is the user's alone (mode 0600, as mkstemp makes it). If it
    cannot be written, raises `error(path, exc)`: by default an OutputError
    naming the path and why.
    """
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(path)
    if special(path) or os.path.islink(path):
        try:
            _write_in_place(path, text)
        except OSError as exc:
            raise error(path, exc) from None
        return
    try:
        fd, tmp = _temp_beside(path)
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


def try_write(path: Path) -> None:
    """Raise the OSError that writing `path` would raise at its start; write nothing.

    Surer than `unwritable`, which only predicts: a temporary file is made
    beside `path` and removed, as `write_text` would make it.
    """
    if is_stdout(path) or special(Path(path)):
        return
    path = Path(path)
    if os.path.isdir(path):  # the temporary file would be made, the rename fail
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    fd, tmp = _temp_beside(path)
    os.close(fd)
    os.unlink(tmp)


def _write_in_place(path: Path, text: str) -> None:
    """Write into what `path` is or links to, keeping it: a stream (/dev/stdout,
    /proc/self/fd/N, a FIFO) gets the text after what it has; a regular file
    reached through a link gets it in place of its old text."""
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    if _stream(path):
        flags |= os.O_APPEND
    elif stat.S_ISREG(os.stat(path).st_mode):
        flags |= os.O_TRUNC
    with os.fdopen(os.open(path, flags), "w", encoding="utf-8", newline="") as out:
        out.write(text)


def _stream(path: Path) -> bool:
    """Whether `path` is, or links through, /dev or /proc (a process's descriptor)."""
    hop = os.path.abspath(path)
    for _ in range(40):
        if hop.startswith(("/dev/", "/proc/")):
            return True
        if not os.path.islink(hop):
            return False
        hop = os.path.join(os.path.dirname(hop), os.readlink(hop))
    return False


def _temp_beside(path: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)


def _in_the_way(path: Path) -> str | None:
    """"X is a file, not a folder" for the nearest ancestor of `path` (or itself) that
    exists, if it is not a folder; else None."""
    for up in (path, *path.parents):
        if os.path.exists(up):  # os.path, unlike Path, never raises
            return None if os.path.isdir(up) else f"{up} is a file, not a folder"
    return None


def _read_only_fs(path: Path) -> bool:
    return hasattr(os, "statvfs") and bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


_REASONS = {
    errno.ENOENT: "no such file or folder",
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "no permission",
    errno.EPERM: "no permission",
    errno.ENAMETOOLONG: "the name is too long",
}
