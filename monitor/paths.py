"""Where the monitor keeps the user's files, by platform convention."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "posture-monitor"
# The repository's own folders (the package sits beside them when installed
# in place with `pip install -e .`, as the README's set-up does).
REPO = Path(__file__).resolve().parent.parent


def _base(env: str, default: str, windows_env: str = "LOCALAPPDATA") -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get(windows_env, Path.home() / "AppData" / "Local"))
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(os.environ.get(env) or Path.home() / default)


def data_dir() -> Path:
    """Databases, profiles and downloaded models (XDG_DATA_HOME on Linux)."""
    return _base("XDG_DATA_HOME", ".local/share") / APP


def config_dir() -> Path:
    """The TOML config file (XDG_CONFIG_HOME on Linux)."""
    return _base("XDG_CONFIG_HOME", ".config", "APPDATA") / APP


def log_dir() -> Path:
    """Log files (XDG_STATE_HOME on Linux)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP
    return _base("XDG_STATE_HOME", ".local/state") / APP


def cache_dir() -> Path:
    """Caches we, or the libraries we load, may rebuild (XDG_CACHE_HOME on Linux)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP
    return _base("XDG_CACHE_HOME", ".cache") / APP


def library_cache(name: str) -> str:
    """A 0700 folder of ours for a library's config and cache, e.g. matplotlib's
    (MediaPipe imports it), as a path for its environment variable.

    Left alone, matplotlib makes ~/.config/matplotlib and ~/.cache/matplotlib
    with the umask's mode: with a permissive one (000) ~/.config became
    world-writable, and another local user could write our config there. Set
    before the library is imported: `os.environ.setdefault("MPLCONFIGDIR",
    library_cache("matplotlib"))`. "" if it cannot be made (a read-only home:
    matplotlib then makes a temporary folder of its own).
    """
    try:
        return str(private_dir(cache_dir() / name))
    except OSError:
        return ""


def private_dir(path: Path) -> Path:
    """Create a folder readable by the user only, and return it.

    Missing parents are made private too (pathlib would give them the umask's
    mode): the app's folder above `profiles/` holds the database.
    """
    missing = [path]
    while not missing[-1].parent.exists() and missing[-1].parent != missing[-1]:
        missing.append(missing[-1].parent)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    return path
