"""How a second command talks to a running monitor: small files in the data folder.

`posture-monitor pause 30m` and `posture-monitor snooze 15m` write the time
until which they hold; the running monitor reads them at each turn of its loop
(and a monitor started later honours them too). A missing, expired or broken
file means no request.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from monitor import paths

REQUESTS = ("pause", "snooze")
# A pause "until resumed" (the tray's menu) is one this long: ten years.
UNTIL_RESUMED_S = 10 * 365 * 86400.0


def request_path(name: str) -> Path:
    if name not in REQUESTS:
        raise ValueError(f"unknown request {name!r}")
    return paths.data_dir() / name


def request(name: str, for_s: float, now: float | None = None) -> float:
    """Ask for `name` until now + for_s; returns that time (epoch seconds)."""
    until = (time.time() if now is None else now) + for_s
    path = request_path(name)
    paths.private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps({"until": until}))
    os.replace(tmp, path)
    return until


def cancel(name: str, now: float | None = None) -> bool:
    """End a request early; False if none was in force (none, or run out)."""
    in_force = until(name, time.time() if now is None else now) is not None
    request_path(name).unlink(missing_ok=True)
    return in_force


def until(name: str, now: float) -> float | None:
    """When the request ends, or None if there is none in force."""
    try:
        end = float(json.loads(request_path(name).read_text(encoding="utf-8"))["until"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return end if end > now else None
