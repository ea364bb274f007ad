"""The calibration profile: the user's neutral posture, as a versioned value.

A profile holds, per metric, the baseline (median) and spread (robust
standard deviation) measured while the user sat supported and upright, plus
the view and camera geometry it was taken in. Building one from samples and
checking a parsed file are pure; the files themselves are
`monitor.storage.profiles`.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from monitor.core import metrics
from monitor.core import profile_fields as F
from monitor.core.landmarks import Landmark as L
from monitor.core.metrics import View
from monitor.core.presence import shoulder_geometry
from monitor.core.sample import PoseSample
from monitor.core.steadiness import metric_table, robust_std, steadiest
from monitor.errors import ProfileError

VERSION = 1
DEFAULT_NAME = "default"  # the profile used when no --profile is given
# Quality gates for a calibration.
MIN_PRESENT_SHARE = 0.8
MIN_SAMPLES = 3
MAX_WANDER = 0.6  # head movement, in body scales (robust spread): only gross movement fails
# The largest calibration spread (robust std) of a metric whose drift
# threshold, posture.enter_z (2.5) spreads, must stay reachable: a spread above
# it is movement (standing up, shifting), and would let no real drift count.
# Real drift, measured against the labelled calibrations: slouches moved
# trunk_incl_deg 11-29° (median; at most 34°), trunk_thigh_deg 3-15° (at most
# 26°), head_level 0.22-0.36 (at most 0.42); 2.5 x 12° = 30° and 2.5 x 0.25 = 0.62
# are beyond all of them. Spreads of real seated calibrations: trunk_incl_deg
# 2.1-6.6° (jonz21 1.6-5.2, joylinwq 19-26, the straight stills; 10.4° on
# jonz21 0-5, settling in), trunk_thigh_deg 2.0-5.4° (6.3° at most on any
# seated stretch), head_level 0.05-0.13 (0.17 at most). Five sit-to-stand
# cycles (frailty_chair_stands 0-5 s): 19°, 44° and 0.47. The head and neck
# angles are left out: in profile the ear wanders (neck_incl_deg spreads
# 13-31° on the labelled stretches) and the trunk metrics already catch
# movement. So is the front view: standing up at a desk webcam takes the head
# out of the picture (the presence check), and no front recording of it exists
# here to measure.
MAX_SPREAD = {"trunk_incl_deg": 12.0, "trunk_thigh_deg": 12.0, "head_level": 0.25}


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
    # Taken from a mirrored (selfie) feed: its tilts have the other sign than
    # an unmirrored feed's, so it fits only a run with the same camera.mirrored.
    mirrored: bool = False
    version: int = VERSION
    # What the calibration kept, when it kept only part of the stretch (empty otherwise).
    note: str = ""

    @property
    def seated(self) -> tuple[float, float]:
        return (self.shoulder_y_px, self.scale_px)

    def to_json(self) -> dict[str, Any]:
        extra = {"note": self.note} if self.note else {}
        return {
            "version": self.version,
            "name": self.name,
            "created": self.created,
            **extra,
            "view": self.view.value,
            "samples": self.samples,
            "camera": {
                "frame_width": self.frame_width,
                "frame_height": self.frame_height,
                "mirrored": self.mirrored,
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
    def from_json(
        cls, data: Any, origin: str = "profile", name_or_path: str = DEFAULT_NAME
    ) -> Profile:
        """A profile from parsed JSON, or a ProfileError naming the field that is wrong.

        `name_or_path` is the --profile the file was loaded as: the error's
        advice recalibrates that profile, not the default one.
        """
        fix = f"recalibrate with {calibrate_command(name_or_path)}"
        if not isinstance(data, dict):
            raise ProfileError(
                f"{origin} is not a valid calibration profile: not a JSON object; {fix}"
            )
        version = data.get("version")
        if version != VERSION or isinstance(version, bool):
            raise ProfileError(
                f"{origin} is a version {version!r} profile; this monitor reads version "
                f"{VERSION}. {fix[0].upper()}{fix[1:]}"
            )
        try:
            camera = F.object(F.field(data, "camera"), "camera")
            baseline = {}
            for key, entry in F.object(F.field(data, "baseline"), "baseline").items():
                where = f"baseline.{key}"
                entry = F.object(entry, where)
                baseline[key] = Baseline(
                    F.number(F.field(entry, "mean", where), f"{where}.mean"),
                    F.number(F.field(entry, "std", where), f"{where}.std", lo=0.0),
                )
            if not baseline:  # nothing to judge by: every posture would pass as good
                raise F.Invalid("baseline: no metrics")

            def px(key: str, lo: float | None = None) -> float:
                return F.number(F.field(camera, key, "camera"), f"camera.{key}", lo)

            def whole(key: str, lo: int) -> int:
                return F.whole(F.field(camera, key, "camera"), f"camera.{key}", lo)

            return cls(
                name=F.text(F.field(data, "name"), "name"),
                view=F.view(F.field(data, "view")),
                baseline=baseline,
                shoulder_y_px=px("shoulder_y_px"),
                shoulder_width_px=px("shoulder_width_px", lo=1e-6),
                anchor_x_px=px("anchor_x_px"),
                anchor_y_px=px("anchor_y_px"),
                scale_px=px("scale_px", lo=1e-6),
                frame_width=whole("frame_width", 1),
                frame_height=whole("frame_height", 1),
                # Absent in profiles from before camera.mirrored, all made unmirrored.
                mirrored=F.flag(camera.get("mirrored", False), "camera.mirrored"),
                created=F.text(data.get("created", ""), "created"),
                samples=F.whole(data.get("samples", 0), "samples", 0),
                note=F.text(data.get("note", ""), "note"),
            )
        except F.Invalid as exc:
            raise ProfileError(
                f"{origin} is not a valid calibration profile: {exc}; {fix}"
            ) from None


def calibrate_command(name_or_path: str) -> str:
    """The command, quoted for a message, that (re)creates this profile."""
    if name_or_path == DEFAULT_NAME:
        return "'posture-monitor calibrate'"
    return f"'posture-monitor calibrate --profile {shlex.quote(name_or_path)}'"


def build(
    samples: Sequence[PoseSample], name: str, mirrored: bool = False, min_samples: int = MIN_SAMPLES
) -> Profile:
    """A profile from calibration samples, or ProfileError saying what was wrong.

    `mirrored`: the samples came from a mirrored feed (camera.mirrored).
    `min_samples`: fewer frames are refused (evaluation lowers it for sets of
    two or three still photos).
    """
    if not samples:
        raise ProfileError("no frames to calibrate from")
    if len(samples) < min_samples:
        raise ProfileError(
            f"too few frames to calibrate from: {len(samples)}, at least {min_samples} are "
            "needed; calibrate over a longer stretch"
        )
    present = [s for s in samples if s.present]
    if len(present) < max(min_samples, MIN_PRESENT_SHARE * len(samples)):
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
    wander = max(robust_std(nose[:, 0]), robust_std(nose[:, 1])) / max(scale, 1e-6)
    if wander > MAX_WANDER:
        raise ProfileError(
            "you moved too much during calibration: sit still, supported and upright, and try again"
        )
    shoulder_y = float(np.median(geometry[:, 0]))
    # Gross movement over the whole stretch (standing up, shifting) is refused
    # before looking for a steady half: it is no posture to keep half of.
    spread = {
        k: robust_std(np.array(v))
        for k, v in metric_table(present, view, (shoulder_y, scale)).items()
        if len(v) >= max(min_samples, len(present) // 2)
    }
    unsteady = {
        k: spread[k] / limit
        for k, limit in MAX_SPREAD.items()
        if k in spread and spread[k] > limit
    }
    if unsteady:
        worst = max(unsteady, key=unsteady.__getitem__)
        raise ProfileError(
            f"your posture changed too much during calibration ({worst} spread "
            f"{spread[worst]:.3g}, more than {MAX_SPREAD[worst]:g}: no drift would ever "
            "be noticed): stay seated and still, supported and upright, and try again"
        )
    kept, note = steadiest(present, view, (shoulder_y, scale), min_samples)
    if note:
        present = kept
        geometry = np.array(
            [(*shoulder_geometry(s), *metrics.anchor(s, view)) for s in present]
        )
        scale = float(np.median(geometry[:, 4]))
        shoulder_y = float(np.median(geometry[:, 0]))
    table = metric_table(present, view, (shoulder_y, scale))
    needed = max(min_samples, len(present) // 2)
    baseline = {
        k: Baseline(float(np.median(v)), robust_std(np.array(v)))
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
        mirrored=mirrored,
        note=note,
    )
