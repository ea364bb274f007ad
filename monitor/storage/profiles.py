"""Calibration profile files: where they live, reading and writing them.

A profile name ("home") maps into the user's data folder; a path ending in
.json is used as it is. Files are written whole or not at all, readable by
the user only. The profile itself, and its checks, are `monitor.core.profile`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from monitor import paths
from monitor.core.profile import DEFAULT_NAME, Profile, calibrate_command
from monitor.errors import ProfileError
from monitor.storage import files

__all__ = ["DEFAULT_NAME", "load", "path_for", "profiles_dir", "save", "writable"]

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def profiles_dir() -> Path:
    return paths.data_dir() / "profiles"


def path_for(name_or_path: str) -> Path:
    """A profile name ("home") maps into the user's data folder; a path is used as is."""
    if name_or_path.endswith(".json"):
        return Path(name_or_path).expanduser()
    if not NAME_RE.match(name_or_path):
        raise ProfileError(
            f"profile name {name_or_path!r} is not allowed: use letters, digits, '-' and '_' "
            "(or give a path ending in .json)"
        )
    return profiles_dir() / f"{name_or_path}.json"


def load(name_or_path: str, mirrored: bool | None = None) -> Profile:
    """The profile saved as `name_or_path`, or ProfileError saying what is wrong.

    With `mirrored` (the run's camera.mirrored) a profile calibrated with the
    other mirroring is refused: its left and right, and so the sign of its
    tilts, are swapped, and upright would read as a lean.
    """
    path = path_for(name_or_path)
    fix = f"recalibrate with {calibrate_command(name_or_path)}"
    try:
        data, st = files.read_regular(path)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ProfileError(
            f"no calibration profile at {path}; create it with "
            f"{calibrate_command(name_or_path)}"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from None
    why = files.not_yours(path, st)
    if why:
        raise ProfileError(f"refusing the profile {path}: {why}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"profile {path} is corrupt ({exc}); {fix}") from None
    profile = Profile.from_json(data, origin=f"profile {path}", name_or_path=name_or_path)
    if mirrored is not None and profile.mirrored != mirrored:
        was, now = json.dumps(profile.mirrored), json.dumps(mirrored)  # as the config spells them
        raise ProfileError(
            f"profile {path} was calibrated with camera.mirrored = {was} "
            f"but camera.mirrored is {now} now: left and right would be swapped "
            f"and upright would read as a lean; {fix} (camera.mirrored = {now}), "
            f"or set camera.mirrored back to {was}"
        )
    return profile


def _cannot_save(path: Path, exc: OSError) -> ProfileError:
    return ProfileError(f"cannot save profile {path}: {files.why_not(path, exc)}")


def _folder_for(name_or_path: str) -> Path:
    """The profile's path, once its folder exists (private, for the user's profiles folder)."""
    path = path_for(name_or_path)
    try:
        if path.parent == profiles_dir():
            paths.private_dir(path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_save(path, exc) from None
    return path


def writable(name_or_path: str) -> Path:
    """The profile's path, once its folder exists and takes a new file.

    Checked before a calibration collects, so that a read-only or misplaced
    folder fails at once rather than after the user has sat still for nothing.
    """
    path = _folder_for(name_or_path)
    try:
        files.try_write(path)
    except OSError as exc:
        raise _cannot_save(path, exc) from None
    return path


def save(profile: Profile, name_or_path: str) -> Path:
    """Write atomically, readable by the user only; ProfileError if the folder cannot take it."""
    path = _folder_for(name_or_path)
    files.write_text(path, json.dumps(profile.to_json(), indent=2) + "\n", error=_cannot_save)
    return path
