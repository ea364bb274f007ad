"""The named errors that the command line turns into one-line messages."""

from __future__ import annotations

import errno
import os
from pathlib import Path


class MonitorError(Exception):
    """A problem the user can fix; its message says what and how."""


class ModelError(MonitorError):
    """The pose model file is missing, damaged or not a model."""


class SourceError(MonitorError):
    """A camera, video or image folder cannot be opened or read."""


class SettingsError(MonitorError):
    """A setting has an unknown key, a wrong type or an out-of-range value."""


class ProfileError(MonitorError):
    """A calibration profile is missing, corrupt or does not fit."""


class StoreError(MonitorError):
    """The database cannot be opened or written."""


class DatabaseBusy(StoreError):
    """Another process is recording to the database (see `monitor.lock`)."""


class SoundError(MonitorError):
    """No sound backend could play; the message says what each one reported."""


class LabelsError(MonitorError):
    """A labels file or a timeline given to the scorer is not in the expected format."""


class OutputError(MonitorError):
    """A file or folder asked for cannot be written; the message names it and says why."""


def unwritable(path: Path) -> str | None:
    """Why a file cannot be written at `path`, in plain words; None if it looks writable.

    Checked before slow work, so a mistyped output path is refused at once. It
    cannot foresee everything (a full disk), so writers still catch OSError.
    """
    path = Path(path)
    parent = path.parent
    if os.path.isdir(path):  # os.path, unlike Path, never raises: a name too long is False
        return "it is a folder"
    if not os.path.isdir(parent):
        blocker = _file_above(parent)
        return f"{blocker} is a file, not a folder" if blocker else f"no such folder {parent}"
    # The file is replaced, not written into: the folder's permission is what counts.
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"no permission to write in {parent}"
    return None


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """`exc`, raised writing `path`, as a one-line error naming the path and the reason."""
    path = Path(path)
    return OutputError(f"cannot write {path}: {unwritable(path) or _reason(exc)}")


def cannot_make_folder(folder: Path, exc: OSError, wanted: Path) -> OutputError:
    """`exc`, raised making `folder` to write `wanted` in, as a one-line error."""
    blocker = _file_above(Path(folder))
    reason = f"{blocker} is a file, not a folder" if blocker else _reason(exc)
    return OutputError(f"cannot write {wanted}: {reason}")


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()


def _file_above(path: Path) -> Path | None:
    """The nearest ancestor of `path` (or itself) that exists and is not a folder."""
    for up in (path, *path.parents):
        if os.path.exists(up):  # os.path, unlike Path, never raises
            return None if os.path.isdir(up) else up
    return None


_REASONS = {
    errno.ENOENT: "no such file or folder",
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "no permission",
    errno.EPERM: "no permission",
    errno.ENAMETOOLONG: "the name is too long",
}
