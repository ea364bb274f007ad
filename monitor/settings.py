"""Every setting in one place: defaults, documentation, validation, loading.

Settings are frozen dataclasses, one per section; each field carries its
documentation and allowed range in its metadata. Values come from the
defaults, then the TOML config file, then `--set KEY=VALUE` on the command
line; `sources` remembers which of the three each value came from.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor import paths
from monitor.core.quiet import parse_hours
from monitor.errors import SettingsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _opt(
    default: Any,
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    check: Callable[[str], object] | None = None,
) -> Any:
    """A setting; `check` validates a string's format by raising ValueError."""
    return field(default=default, metadata={"doc": doc, "min": lo, "max": hi, "check": check})


@dataclass(frozen=True)
class Camera:
    # MediaPipe names left and right from the picture as seen, so a selfie view
    # swaps them, and with them the sign of the tilts (lean_left for lean_right).
    mirrored: bool = _opt(
        False, "the camera's image is mirrored (a selfie view): left and right are swapped back"
    )


@dataclass(frozen=True)
class Sampling:
    fps: float = _opt(2.0, "analysed frames a second (and replay's default rate)", 0.05, 60)
    steady_fps: float = _opt(
        1.5, "analysed frames a second once nothing has changed for steady_after_s", 0.05, 60
    )
    steady_after_s: float = _opt(30.0, "seconds without a change before steady_fps", 0, 3600)
    fast_fps: float = _opt(5.0, "analysed frames a second while a change is pending", 0.05, 60)
    away_fps: float = _opt(0.5, "analysed frames a second while nobody is there", 0.01, 60)
    still_threshold: float = _opt(
        1.5, "mean grey-level change (0-255) below which a frame counts as unchanged", 0, 255
    )


@dataclass(frozen=True)
class Presence:
    smooth_s: float = _opt(
        0.5, "presence is the majority over this many seconds (at most 1: a change shows "
        "within 2 s)", 0, 1,
    )
    min_visibility: float = _opt(0.5, "landmark visibility needed to trust a landmark", 0, 1)


@dataclass(frozen=True)
class Sitting:
    ignore_shorter_s: float = _opt(10.0, "changes shorter than this are ignored", 0, 3600)
    min_break_s: float = _opt(60.0, "standing or away at least this long is a break", 0, 7200)
    max_gap_s: float = _opt(5.0, "a gap between frames longer than this is not sitting", 0.1, 3600)


@dataclass(frozen=True)
class Alerts:
    # Minima above 0: a 0 would alert the moment one sits down, or make a snooze
    # do nothing, and could be misread as "off". Short test values (0.5 s) stay valid.
    break_after_s: float = _opt(3000.0, "continuous sitting before a break alert", 0.1, 86400)
    break_repeat_s: float = _opt(600.0, "repeat the break alert this often while seated", 1, 86400)
    snooze_s: float = _opt(900.0, "how long a snooze postpones the next alert", 1, 86400)


@dataclass(frozen=True)
class Posture:
    smooth_s: float = _opt(
        1.0, "posture metrics are smoothed over this many seconds (at most 1: a change shows "
        "within 2 s)", 0, 1,
    )
    hold_s: float = _opt(60.0, "drift must last this long before a posture alert", 0, 3600)
    repeat_s: float = _opt(300.0, "repeat the posture alert this often while drift lasts", 1, 86400)
    # 2.5: chosen by leave-one-person-out over the labelled sets (calibration/README.md).
    enter_z: float = _opt(
        2.5, "drift starts at this many calibration spreads from the baseline", 0.5, 50
    )
    exit_ratio: float = _opt(0.6, "drift ends below this share of the entry deviation", 0.1, 1)
    calibrate_s: float = _opt(5.0, "seconds of samples a calibration collects", 1, 120)


@dataclass(frozen=True)
class Sound:
    enabled: bool = _opt(True, "play a chime with each alert")
    volume: float = _opt(0.7, "chime loudness, 0 (silent) to 1 (full scale)", 0, 1)
    quiet: bool = _opt(False, "mute chimes; alerts are still recorded and notified")
    working_hours: str = _opt(
        "",
        "chimes only within HH:MM-HH:MM[,...], e.g. 09:00-17:30 (empty: always)",
        check=parse_hours,
    )
    notify: bool = _opt(True, "desktop notification with each alert (where notify-send exists)")
    retry_s: float = _opt(60.0, "seconds before a failed sound device is tried again", 1, 3600)


@dataclass(frozen=True)
class Storage:
    flush_s: float = _opt(5.0, "write recorded samples to the database at least this often", 0, 300)
    retention_days: float = _opt(
        0.0, "delete recorded data older than this many days (0: keep forever)", 0, 36500
    )


@dataclass(frozen=True)
class Desktop:
    # On by default: the icon is the one glance at the state that needs no
    # terminal (a monitor started at login has none). Off for a tray that
    # misbehaves, or a desktop without one; without a display it is never tried.
    tray: bool = _opt(
        True, "a tray icon while `run` runs on a desktop: state by colour, a menu to pause, "
        "snooze, calibrate, open the report",
    )


@dataclass(frozen=True)
class Settings:
    camera: Camera = field(default_factory=Camera)
    sampling: Sampling = field(default_factory=Sampling)
    presence: Presence = field(default_factory=Presence)
    sitting: Sitting = field(default_factory=Sitting)
    alerts: Alerts = field(default_factory=Alerts)
    posture: Posture = field(default_factory=Posture)
    sound: Sound = field(default_factory=Sound)
    storage: Storage = field(default_factory=Storage)
    desktop: Desktop = field(default_factory=Desktop)


DEFAULTS = Settings()


def config_path() -> Path:
    return paths.config_dir() / "config.toml"


def keys() -> dict[str, dataclasses.Field]:
    """Every dotted key ("sitting.min_break_s") and its field."""
    out = {}
    for section in dataclasses.fields(Settings):
        for f in dataclasses.fields(section.default_factory()):  # type: ignore[misc]
            out[f"{section.name}.{f.name}"] = f
    return out


def _allowed(f: dataclasses.Field) -> str:
    lo, hi = f.metadata["min"], f.metadata["max"]
    kind = type(f.default).__name__
    if lo is None and hi is None:
        return f"a {kind}"
    return f"a {kind} from {lo:g} to {hi:g}"


def _coerce(key: str, f: dataclasses.Field, value: Any) -> Any:
    kind = type(f.default)
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise SettingsError(f"{key} = {value!r}: expected true or false")
        return value
    if kind is float:
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{key} = {value!r}: expected {_allowed(f)}") from None
        lo, hi = f.metadata["min"], f.metadata["max"]
        if (
            not math.isfinite(number)
            or (lo is not None and number < lo)
            or (hi is not None and number > hi)
        ):
            raise SettingsError(f"{key} = {value!r} is out of range: expected {_allowed(f)}")
        return number
    if kind is str:
        if not isinstance(value, str):
            raise SettingsError(f"{key} = {value!r}: expected a string")
        check = f.metadata.get("check")
        if check is not None:
            try:
                check(value)
            except ValueError as exc:
                raise SettingsError(f"{key} = {value!r}: {exc}") from None
        return value
    raise SettingsError(f"{key}: unsupported type")  # pragma: no cover


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a `--set KEY=VALUE` argument."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SettingsError(f"--set {text!r}: expected KEY=VALUE, e.g. sitting.min_break_s=60")
    return key.strip(), value.strip()


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def read_file(path: Path) -> dict[str, Any]:
    """The flat key/value pairs of a TOML config file (missing file: none)."""
    from monitor.storage import files

    try:
        data, st = files.read_regular(path)
        text = data.decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SettingsError(f"cannot read config file {path}: {exc}") from None
    why = files.not_yours(path, st)
    if why:
        raise SettingsError(f"refusing the config file {path}: {why}")
    try:
        return _flatten(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    sources: dict[str, str]  # dotted key -> "default" | "file" | "command line"
    path: Path


def build(values: dict[str, Any], origin: str, base: Loaded | None = None) -> Loaded:
    """Apply `values` (dotted keys) over `base`, validating each one."""
    known = keys()
    settings = base.settings if base else DEFAULTS
    sources = dict(base.sources) if base else dict.fromkeys(known, "default")
    sections: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if key not in known:
            close = [k for k in known if k.split(".")[-1] == key.split(".")[-1]]
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise SettingsError(
                f"unknown setting {key!r}{hint}; 'posture-monitor config' lists them"
            )
        section, name = key.split(".", 1)
        sections.setdefault(section, {})[name] = _coerce(key, known[key], value)
        sources[key] = origin
    for section, changes in sections.items():
        settings = dataclasses.replace(
            settings, **{section: dataclasses.replace(getattr(settings, section), **changes)}
        )
    return Loaded(settings, sources, base.path if base else config_path())


def load(path: Path | None = None, assignments: list[str] | None = None) -> Loaded:
    """Defaults, then the config file, then `--set` assignments."""
    path = path or config_path()
    loaded = build(
        read_file(path), "file", Loaded(DEFAULTS, dict.fromkeys(keys(), "default"), path)
    )
    overrides = dict(parse_assignment(a) for a in assignments or [])
    return build(overrides, "command line", loaded)


def value_of(settings: Settings, key: str) -> Any:
    section, name = key.split(".", 1)
    return getattr(getattr(settings, section), name)
