"""Calibration profiles: the user's neutral posture, as a versioned JSON file.

A profile holds, per metric, the baseline (median) and spread (robust
standard deviation) measured while the user sat supported and upright, plus
the view and camera geometry it was taken in. Building one from samples is
pure; reading and writing are the only I/O here.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from monitor import metrics, paths
from monitor.errors import ProfileError
from monitor.landmarks import Landmark as L
from monitor.metrics import View
from monitor.presence import shoulder_geometry
from monitor.sample import PoseSample

VERSION = 1
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Quality gates for a calibration.
MIN_PRESENT_SHARE = 0.8
MIN_SAMPLES = 3
MAX_WANDER = 0.6  # head movement, in body scales (robust spread): only gross movement fails


@dataclass(frozen=True)
class Baseline:
    mean: float
    std: float


@dataclass(frozen=True)
class Profile:
    name: str
    view: View
    baseline: dict[str, Baseline]
    # The seated shoulder line (mid height, width) and the body's anchor and
    # scale (see metrics.anchor), in pixels.
    shoulder_y_px: float
    shoulder_width_px: float
    anchor_x_px: float
    anchor_y_px: float
    scale_px: float
    frame_width: int
    frame_height: int
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    samples: int = 0
    version: int = VERSION

    @property
    def seated(self) -> tuple[float, float]:
        return (self.shoulder_y_px, self.scale_px)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "created": self.created,
            "view": self.view.value,
            "samples": self.samples,
            "camera": {
                "frame_width": self.frame_width,
                "frame_height": self.frame_height,
                "anchor_x_px": round(self.anchor_x_px, 2),
                "anchor_y_px": round(self.anchor_y_px, 2),
                "scale_px": round(self.scale_px, 2),
                "shoulder_y_px": round(self.shoulder_y_px, 2),
                "shoulder_width_px": round(self.shoulder_width_px, 2),
            },
            "baseline": {
                k: {"mean": round(b.mean, 5), "std": round(b.std, 5)}
                for k, b in sorted(self.baseline.items())
            },
        }

    @classmethod
    def from_json(cls, data: Any, origin: str = "profile") -> Profile:
        def bad(why: str) -> ProfileError:
            return ProfileError(
                f"{origin} is not a valid calibration profile: {why}; recalibrate "
                "with 'posture-monitor calibrate'"
            )

        if not isinstance(data, dict):
            raise bad("not a JSON object")
        version = data.get("version")
        if version != VERSION:
            raise ProfileError(
                f"{origin} is a version {version!r} profile; this monitor reads version {VERSION}. "
                "Recalibrate with 'posture-monitor calibrate'"
            )
        try:
            camera = data["camera"]
            baseline = {
                str(k): Baseline(_finite(v["mean"]), _finite(v["std"], lo=0.0))
                for k, v in data["baseline"].items()
            }
            return cls(
                name=str(data["name"]),
                view=View(data["view"]),
                baseline=baseline,
                shoulder_y_px=_finite(camera["shoulder_y_px"]),
                shoulder_width_px=_finite(camera["shoulder_width_px"], lo=1e-6),
                anchor_x_px=_finite(camera["anchor_x_px"]),
                anchor_y_px=_finite(camera["anchor_y_px"]),
                scale_px=_finite(camera["scale_px"], lo=1e-6),
                frame_width=int(camera["frame_width"]),
                frame_height=int(camera["frame_height"]),
                created=str(data.get("created", "")),
                samples=int(data.get("samples", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise bad(f"{type(exc).__name__}: {exc}") from None


def _finite(value: Any, lo: float | None = None) -> float:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (lo is not None and number < lo):
        raise ValueError(f"out of range: {value!r}")
    return number


def _robust_std(values: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation (outlier-proof)."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def build(samples: Sequence[PoseSample], name: str) -> Profile:
    """A profile from calibration samples, or ProfileError saying what was wrong."""
    if not samples:
        raise ProfileError("no frames to calibrate from")
    present = [s for s in samples if s.present]
    if len(present) < max(MIN_SAMPLES, MIN_PRESENT_SHARE * len(samples)):
        raise ProfileError(
            f"a person was seen in {len(present)} of {len(samples)} frames: sit in view of the "
            "camera, face and both shoulders visible, and try again"
        )
    views = [metrics.detect_view(s) for s in present]
    view = max(set(views), key=views.count)
    assert view is not None
    geometry = np.array([(*shoulder_geometry(s), *metrics.anchor(s, view)) for s in present])
    scale = float(np.median(geometry[:, 4]))  # the body scale, from metrics.anchor
    # Steadiness is judged on the nose, the most stable landmark in any view.
    nose = np.array([s.xy(L.NOSE) for s in present])
    wander = max(_robust_std(nose[:, 0]), _robust_std(nose[:, 1])) / max(scale, 1e-6)
    if wander > MAX_WANDER:
        raise ProfileError(
            "you moved too much during calibration: sit still, supported and upright, and try again"
        )
    shoulder_y = float(np.median(geometry[:, 0]))
    table: dict[str, list[float]] = {}
    for s in present:
        for key, value in metrics.compute(s, view, (shoulder_y, scale))[1].items():
            table.setdefault(key, []).append(value)
    needed = max(MIN_SAMPLES, len(present) // 2)
    baseline = {
        k: Baseline(float(np.median(v)), _robust_std(np.array(v)))
        for k, v in table.items()
        if len(v) >= needed
    }
    if not baseline:
        raise ProfileError(
            "the landmarks needed for posture were not visible: check the lighting "
            "and that your head and shoulders are in the picture"
        )
    return Profile(
        name=name,
        view=view,
        baseline=baseline,
        shoulder_y_px=shoulder_y,
        shoulder_width_px=float(np.median(geometry[:, 1])),
        anchor_x_px=float(np.median(geometry[:, 2])),
        anchor_y_px=float(np.median(geometry[:, 3])),
        scale_px=scale,
        frame_width=present[0].width,
        frame_height=present[0].height,
        samples=len(present),
    )


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


def load(name_or_path: str) -> Profile:
    path = path_for(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(
            f"no calibration profile at {path}; create it with 'posture-monitor calibrate "
            f"--profile {name_or_path}'"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(
            f"profile {path} is corrupt ({exc}); recalibrate with 'posture-monitor calibrate'"
        ) from None
    return Profile.from_json(data, origin=f"profile {path}")


def save(profile: Profile, name_or_path: str) -> Path:
    """Write atomically, readable by the user only."""
    path = path_for(name_or_path)
    if path.parent == profiles_dir():
        paths.private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(profile.to_json(), out, indent=2)
            out.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
