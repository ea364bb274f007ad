"""How a second command talks to a running monitor: small files in the data folder.

`posture-monitor pause 30m` and `posture-monitor snooze 15m` write the time
until which they hold; the running monitor reads them at each turn of its loop
(and a monitor started later honours them too). A missing, expired or broken
file means no request: one that cannot be read or holds no sensible time (not
a number, infinite, further ahead than a request can reach) is logged once
and ignored, so no file can stop monitoring.

These are our files, so none is trusted or written through a symlink: the
request is written to a temporary file made with O_EXCL and O_NOFOLLOW and
renamed into place, and read with O_NOFOLLOW (and O_NONBLOCK, so a FIFO put
there cannot hang the monitor). A symlink or a folder in a request's place
is a one-line error for `pause`, `snooze` and `resume`, and is left as it is.
"""

from __future__ import annotations

import json
import logging
import math
import os
import stat
import tempfile
import time
from pathlib import Path

from monitor import paths
from monitor.errors import OutputError
from monitor.storage import files

log = logging.getLogger(__name__)

REQUESTS = ("pause", "snooze")
# The longest a request may reach ahead: what `pause` and `snooze` accept
# (monitor.core.quiet.parse_duration), with a day to spare for a clock change.
MAX_AHEAD_S = 8 * 86400
_MAX_BYTES = 4096
_said: set[tuple[str, str]] = set()  # requests already logged as unreadable
# A pause "until resumed" (the tray's menu) lasts a week at most: a request
# further ahead is taken for a damaged one, and a monitor forgotten paused
# for longer is better back on.
UNTIL_RESUMED_S = 7 * 86400.0


def request_path(name: str) -> Path:
    if name not in REQUESTS:
        raise ValueError(f"unknown request {name!r}")
    return paths.data_dir() / name


def _not_ours(path: Path) -> str | None:
    """Why the thing at `path` is not a request file of ours, or None."""
    if os.path.islink(path):
        return files.symlink_note(path)
    if os.path.isdir(path):
        return f"{path} is a folder; remove it"
    if os.path.exists(path) and not os.path.isfile(path):
        return f"{path} is not a regular file; remove it"
    return None


def request(name: str, for_s: float, now: float | None = None) -> float:
    """Ask for `name` until now + for_s; returns that time (epoch seconds).

    OutputError (one line) if it cannot be written: a full disk, a read-only
    folder, a symlink or folder in its place (left as it is).
    """
    until = (time.time() if now is None else now) + for_s
    path = request_path(name)
    try:
        paths.private_dir(path.parent)
    except OSError as exc:
        why = files.why_not(path, exc)
        raise OutputError(f"cannot write the {name} request {path}: {why}") from None
    why = _not_ours(path)
    if why:
        raise OutputError(f"cannot write the {name} request: {why}")
    tmp = None
    try:
        # mkstemp opens with O_EXCL | O_NOFOLLOW: never a file someone put there.
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps({"until": until}))
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            f"cannot write the {name} request {path}: {files.why_not(path, exc)}"
        ) from None
    return until


def cancel(name: str, now: float | None = None) -> bool:
    """End a request early; False if none was in force (none, or run out)."""
    path = request_path(name)
    why = _not_ours(path)
    if why:
        raise OutputError(f"cannot end the {name} request: {why}")
    in_force = until(name, time.time() if now is None else now) is not None
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot remove {path}: {files.why_not(path, exc)}") from None
    return in_force


def until(name: str, now: float) -> float | None:
    """When the request ends, or None if there is none in force."""
    path = request_path(name)
    try:
        fd = os.open(path, os.O_RDONLY | files.NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreadable(name, path, files.why_not(path, exc))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return _unreadable(name, path, "not a regular file")
        text = os.read(fd, _MAX_BYTES)
    except OSError as exc:
        return _unreadable(name, path, exc.strerror or str(exc))
    finally:
        os.close(fd)
    try:
        end = float(json.loads(text)["until"])
    except (ValueError, KeyError, TypeError, OverflowError):
        return _unreadable(name, path, "not a request written by posture-monitor")
    if not math.isfinite(end) or end > now + MAX_AHEAD_S:
        return _unreadable(name, path, f"its end {end!r} is not a time a request can reach")
    return end if end > now else None


def _unreadable(name: str, path: Path, why: str) -> None:
    if (name, why) not in _said:
        _said.add((name, why))
        log.warning("ignoring the %s request %s: %s", name, path, why)
    return None
