"""Who is there and how: seated, standing, away or unknown, per analysed frame.

Two kinds of evidence, used where the camera offers them:
- legs: where hips and knees are visible (a side camera, or a front camera
  far enough away), a seated thigh is near horizontal and a standing one
  near vertical. Measured as how far the knee hangs below the hip relative
  to the trunk length, which is scale-free, and checked in 3D with the world
  landmarks where the image is ambiguous; where the seated shoulder height
  is known, legs that say standing must have lifted the shoulders too;
- rise: at a desk webcam the desk hides the hips, and standing up takes the
  shoulders up and usually the head out of the top of the frame. The seated
  shoulder height comes from the calibration profile or, without one, is
  learnt from the frames already classified as seated.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from monitor.core.landmarks import Landmark as L
from monitor.core.metrics import body_scale
from monitor.core.sample import VISIBILITY, PoseSample, Y
from monitor.core.values import Presence

# Knee below hip, as a share of the shoulder-hip length: about 0.05-0.3 when
# seated (thigh horizontal, or foreshortened towards a front camera), 0.6-1.0
# when standing.
SEATED_DROP, STANDING_DROP = 0.35, 0.5
# The thigh's angle from vertical in 3D: 0-25° standing, 60-100° seated.
SEATED_THIGH_DEG, STANDING_THIGH_DEG = 55.0, 35.0
# Standing people hold the trunk near vertical; a trunk leaning further than
# this is a seated lean or slouch (or the middle of getting up), and the
# legs, often misplaced in such poses, are not trusted to say "standing".
STANDING_MAX_TRUNK_DEG = 22.0
# Shoulders higher than the seated reference by this many body scales
# (about shoulder widths, facing the camera) means the user has stood up; a
# seated lean-back moves them far less.
RISE_SCALES = 0.6
# Standing up from a chair lifts the shoulders by about a thigh length: 0.5-1.0
# body scales over the sit-to-stand clip. Legs that say "standing" while the
# shoulders are still within this many scales of their seated height are
# misplaced (a knee guessed under the hip in a dark or cluttered frame, which
# came out at 0.01-0.05), not a stand.
STOOD_MIN_RISE_SCALES = 0.3
# A figure under this share of the seated user's size is somebody else, further away.
PASSER_BY_SCALE = 0.45
# Near the top edge, a figure whose face has left the frame has stood up.
TOP_EDGE = 0.08


@dataclass(frozen=True)
class SeatedReference:
    """Where the seated user's shoulders are (mid height) and the body scale, in pixels."""

    shoulder_y_px: float
    scale_px: float


def _side(sample: PoseSample, left: L, right: L) -> L:
    return left if sample.visibility(left) >= sample.visibility(right) else right


def shoulder_geometry(sample: PoseSample) -> tuple[float, float]:
    """(mid-shoulder height, shoulder width) in pixels."""
    left, right = sample.xy(L.LEFT_SHOULDER), sample.xy(L.RIGHT_SHOULDER)
    return float((left[1] + right[1]) / 2), float(np.linalg.norm(left - right))


def _rise(sample: PoseSample, reference: SeatedReference) -> float:
    """How far the shoulders are above their seated height, in body scales."""
    y, _ = shoulder_geometry(sample)
    return (reference.shoulder_y_px - y) / max(reference.scale_px, 1e-6)


def legs_evidence(sample: PoseSample, min_vis: float) -> Presence | None:
    """Seated or standing from the near-side thigh, or None if legs are not seen."""
    hip = _side(sample, L.LEFT_HIP, L.RIGHT_HIP)
    knee = L.LEFT_KNEE if hip == L.LEFT_HIP else L.RIGHT_KNEE
    shoulder = L.LEFT_SHOULDER if hip == L.LEFT_HIP else L.RIGHT_SHOULDER
    if not (sample.visible(hip, min_vis) and sample.visible(knee, min_vis)):
        return None
    hip_xy, knee_xy = sample.xy(hip), sample.xy(knee)
    trunk = float(np.linalg.norm(sample.xy(shoulder) - hip_xy))
    if trunk < 1e-6:
        return None
    drop = (knee_xy[1] - hip_xy[1]) / trunk
    if drop <= SEATED_DROP:
        return Presence.SEATED
    lean = sample.xy(shoulder) - hip_xy
    if abs(np.degrees(np.arctan2(abs(lean[0]), -lean[1]))) > STANDING_MAX_TRUNK_DEG:
        return Presence.SEATED
    if drop >= STANDING_DROP and sample.world is None:
        return Presence.STANDING
    if sample.world is not None:
        thigh = sample.xyz_world(knee) - sample.xyz_world(hip)
        norm = float(np.linalg.norm(thigh))
        if norm > 1e-6:
            angle = float(np.degrees(np.arccos(np.clip(thigh[1] / norm, -1, 1))))
            if angle <= STANDING_THIGH_DEG or (drop >= STANDING_DROP and angle < SEATED_THIGH_DEG):
                return Presence.STANDING
            if angle >= SEATED_THIGH_DEG:
                return Presence.SEATED
    return None


def classify(
    sample: PoseSample, reference: SeatedReference | None = None, min_vis: float = 0.5
) -> Presence:
    """One frame's presence, from geometry and the seated reference if any."""
    if not sample.detected or sample.image is None:
        return Presence.AWAY
    image = sample.image
    shoulders = sample.visible(L.LEFT_SHOULDER, min_vis) and sample.visible(
        L.RIGHT_SHOULDER, min_vis
    )
    top_shoulder_y = min(image[L.LEFT_SHOULDER, Y], image[L.RIGHT_SHOULDER, Y])
    if shoulders and (image[L.NOSE, Y] < 0 or top_shoulder_y < TOP_EDGE):
        # The head has risen out of the top of the picture: stood up at the desk.
        return Presence.STANDING
    legs = legs_evidence(sample, min_vis)
    if not sample.visible(L.NOSE, min_vis):
        # No face: too little is seen to say, or it is not a person at all.
        if legs is Presence.STANDING:
            return Presence.STANDING
        upper_vis = float(np.mean(image[: L.RIGHT_HIP + 1, VISIBILITY]))
        return Presence.UNKNOWN if upper_vis >= 0.3 else Presence.AWAY
    if not shoulders:
        return Presence.UNKNOWN
    if reference is not None and body_scale(sample) < PASSER_BY_SCALE * reference.scale_px:
        # Far smaller than the user at the desk: someone passing behind an
        # empty chair, not the user.
        return Presence.AWAY
    rise = None if reference is None else _rise(sample, reference)
    if legs is Presence.STANDING and rise is not None and rise < STOOD_MIN_RISE_SCALES:
        legs = None  # the shoulders have not risen: the legs are misplaced
    if legs is not None:
        return legs
    if rise is not None and rise > RISE_SCALES:
        return Presence.STANDING
    # A face above two shoulders and the hips hidden: the desk-webcam view
    # of a seated user.
    return Presence.SEATED


class PresenceClassifier:
    """Per-frame classification, smoothed by a majority over `smooth_s` seconds.

    Without a calibrated reference it learns the seated shoulder height from
    frames it classifies as seated by legs, or as seated at a desk view.
    """

    def __init__(
        self,
        smooth_s: float = 1.0,
        reference: SeatedReference | None = None,
        min_vis: float = 0.5,
        learn_s: float = 120.0,
    ) -> None:
        self.smooth_s = smooth_s
        self.min_vis = min_vis
        self.calibrated = reference
        self._learnt: deque[tuple[float, float, float]] = deque()  # (t, y, scale)
        self._learn_s = learn_s
        # The median of `_learnt`, computed again only after the window changed.
        self._learnt_reference: SeatedReference | None = None
        self._learnt_changed = False
        self._recent: deque[tuple[float, Presence]] = deque()
        self.raw = Presence.UNKNOWN

    def reference(self) -> SeatedReference | None:
        if self.calibrated is not None:
            return self.calibrated
        if self._learnt_changed:
            self._learnt_changed = False
            self._learnt_reference = None
            if len(self._learnt) >= 3:
                ys = np.array([y for _, y, _ in self._learnt])
                scales = np.array([w for _, _, w in self._learnt])
                self._learnt_reference = SeatedReference(
                    float(np.median(ys)), float(np.median(scales))
                )
        return self._learnt_reference

    def step(self, sample: PoseSample) -> Presence:
        self.raw = classify(sample, self.reference(), self.min_vis)
        if self.raw is Presence.SEATED and self.calibrated is None and sample.present:
            y, _ = shoulder_geometry(sample)
            self._learnt.append((sample.t_s, y, body_scale(sample)))
            while self._learnt and self._learnt[0][0] < sample.t_s - self._learn_s:
                self._learnt.popleft()
            self._learnt_changed = True
        self._recent.append((sample.t_s, self.raw))
        while len(self._recent) > 1 and self._recent[0][0] <= sample.t_s - self.smooth_s:
            self._recent.popleft()
        return self.smoothed()

    def smoothed(self) -> Presence:
        if not self._recent:
            return self.raw
        counts: dict[Presence, int] = {}
        for _, p in self._recent:
            counts[p] = counts.get(p, 0) + 1
        best = max(counts.values())
        # Ties go to the most recent frame's class.
        for _, p in reversed(self._recent):
            if counts[p] == best:
                return p
        return self.raw  # pragma: no cover
