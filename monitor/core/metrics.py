"""Posture metrics: pure functions of one pose sample.

Each metric names the landmarks it needs and is absent (not guessed) when
they are not confidently visible. All are ratios of distances or angles, so
they do not change when the person sits elsewhere in the frame or further
from the camera; the two measured against the calibrated seated position
(`head_level`, `face_size`) do, on purpose, and exist only given it.
Signs: positive trunk, neck and head-forward values mean forward (towards
what the person faces); a positive tilt means the person's left side is
lower.
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np

from monitor.core.landmarks import Landmark as L
from monitor.core.sample import PoseSample

# Shoulder width over the nose-to-shoulder-line distance: about 1.8-4 facing
# the camera, under 1 in profile (measured on the recordings in shared/data).
SIDE_MAX_RATIO = 1.2
MIN_VIS = 0.5
# The thigh is the body length the side view's trunk and head are measured
# in; a knee swung towards or away from the camera foreshortens it, so a
# thigh shorter than this share of the trunk (or over 1/share times it) is
# not trusted as a ruler (real seated thighs: 0.8-1.1 trunks on the clips).
MIN_THIGH_SHARE = 0.5
# Head roll is read from the eye line only while the head faces the camera
# within this much yaw (nose off the eyes' midpoint, in eye distances: about
# 0.25 per 15° of turn); a turned head's eye line slopes with its pitch.
MAX_ROLL_YAW = 0.4


class View(str, Enum):
    FRONT = "front"
    SIDE = "side"


def _angle_from_vertical(vector: np.ndarray, forward_sign: float) -> float:
    """Angle of an upward image vector from vertical, positive when forward."""
    return math.degrees(math.atan2(forward_sign * vector[0], -vector[1]))


def _angle_at(a: np.ndarray, vertex: np.ndarray, b: np.ndarray) -> float:
    u, v = a - vertex, b - vertex
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _tilt(sample: PoseSample, left: L, right: L) -> float:
    """Slope of a left-right line, positive when the person's left is lower."""
    lx, ly = sample.xy(left)
    rx, ry = sample.xy(right)
    return math.degrees(math.atan2(ly - ry, abs(lx - rx)))


def detect_view(sample: PoseSample) -> View | None:
    """Front or side, from how wide the shoulders look against the neck."""
    if not sample.present:
        return None
    left, right = sample.xy(L.LEFT_SHOULDER), sample.xy(L.RIGHT_SHOULDER)
    neck = np.linalg.norm(sample.xy(L.NOSE) - (left + right) / 2)
    if neck < 1e-6:
        return None
    return View.SIDE if np.linalg.norm(left - right) / neck < SIDE_MAX_RATIO else View.FRONT


def _near_side(sample: PoseSample) -> tuple[L, L, L, L]:
    """Ear, shoulder, hip and knee of the side facing the camera."""
    left = sum(sample.visibility(lm) for lm in (L.LEFT_EAR, L.LEFT_SHOULDER, L.LEFT_HIP))
    right = sum(sample.visibility(lm) for lm in (L.RIGHT_EAR, L.RIGHT_SHOULDER, L.RIGHT_HIP))
    if left >= right:
        return L.LEFT_EAR, L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_KNEE
    return L.RIGHT_EAR, L.RIGHT_SHOULDER, L.RIGHT_HIP, L.RIGHT_KNEE


def _facing(sample: PoseSample, ear: L, shoulder: L, hip: L, knee: L) -> float:
    """+1 if the person faces image-right, -1 if left: where the nose points past
    the ear, else where the seated thigh points, else the nose past the shoulder."""
    nose_x = sample.xy(L.NOSE)[0]
    if sample.visible(ear, MIN_VIS):
        return 1.0 if nose_x >= sample.xy(ear)[0] else -1.0
    if sample.visible(hip, MIN_VIS) and sample.visible(knee, MIN_VIS):
        return 1.0 if sample.xy(knee)[0] >= sample.xy(hip)[0] else -1.0
    return 1.0 if nose_x >= sample.xy(shoulder)[0] else -1.0


def head_level(sample: PoseSample, seated: tuple[float, float]) -> float | None:
    """How high the nose is above the seated shoulder line of the calibration,
    in the calibration's body scales; `seated` is (shoulder y, body scale) in
    pixels. It falls as the user sinks: a slump rounds the back and lowers the
    shoulders and the head with them, and the head drops further as it comes
    forward, so it needs neither hips nor a shoulder width (which collapses in
    profile). Only its vertical part counts, so sliding forward or back in the
    chair does not change it. Absent without a reference or a visible nose.
    """
    shoulder_y, scale = seated
    if scale < 1e-6 or not sample.visible(L.NOSE, MIN_VIS):
        return None
    return float((shoulder_y - sample.xy(L.NOSE)[1]) / scale)


def ear_level(sample: PoseSample, ear: L, seated: tuple[float, float]) -> float | None:
    """How high the near ear is above the calibration's seated shoulder line,
    in its body scales (as `head_level`, from the ear). The ear sits near the
    head's pivot on the spine, so looking down at the desk or up at a screen
    barely moves it, where it sinks with the whole head when the spine flexes
    or the pelvis slides forward: a slump seen as the head lower above the
    seat, whatever the trunk's angle. A straight-backed lean of 20° lowers it
    by the lean's cosine only (about 0.05 scales)."""
    shoulder_y, scale = seated
    if scale < 1e-6 or not sample.visible(ear, MIN_VIS):
        return None
    return float((shoulder_y - sample.xy(ear)[1]) / scale)


def ear_rise(sample: PoseSample, ear: L, hip: L, scale: float) -> float | None:
    """How high the near ear is above the near hip, in the calibration's body
    scales: the head's height above the seat. A slump (the spine flexed, the
    pelvis rolled back or slid forward) lowers it; a straight-backed lean
    only by the lean's cosine; a camera tilted or a chair lowered moves ear
    and hip alike and leaves it."""
    if scale < 1e-6 or not (sample.visible(ear, MIN_VIS) and sample.visible(hip, MIN_VIS)):
        return None
    return float((sample.xy(hip)[1] - sample.xy(ear)[1]) / scale)


def side_head_pitch(sample: PoseSample, ear: L) -> float | None:
    """The ear-to-nose line's angle above horizontal, in degrees, whichever way
    the person faces: it rises as the chin comes up (the head tipped back,
    looking up at a screen set too high) and falls as the head bows."""
    if not (sample.visible(ear, MIN_VIS) and sample.visible(L.NOSE, MIN_VIS)):
        return None
    dx, dy = sample.xy(L.NOSE) - sample.xy(ear)
    if abs(dx) < 1e-6 and abs(dy) < 1e-6:
        return None
    return math.degrees(math.atan2(-dy, abs(dx)))


def body_lengths(sample: PoseSample, shoulder: L, hip: L, knee: L) -> dict[str, float]:
    """The side view's spine signs, in thigh lengths (so neither where the
    person sits nor how far matters): `trunk_len`, shoulder to hip, and
    `head_rise`, the nose's height above the hip. A slump flexes the spine,
    so both shrink; a lean with a straight back keeps `trunk_len` and lowers
    `head_rise` only by the cosine of the lean (6 % at 20°). Absent unless
    hip and knee are visible and the thigh is a plausible ruler."""
    if not (sample.visible(hip, MIN_VIS) and sample.visible(knee, MIN_VIS)):
        return {}
    hip_xy = sample.xy(hip)
    thigh = float(np.linalg.norm(sample.xy(knee) - hip_xy))
    trunk = float(np.linalg.norm(sample.xy(shoulder) - hip_xy))
    if thigh < 1e-6 or not MIN_THIGH_SHARE <= thigh / max(trunk, 1e-6) <= 1 / MIN_THIGH_SHARE:
        return {}
    out = {"trunk_len": trunk / thigh}
    if sample.visible(L.NOSE, MIN_VIS):
        out["head_rise"] = float(hip_xy[1] - sample.xy(L.NOSE)[1]) / thigh
    return out


def side_metrics(sample: PoseSample, seated: tuple[float, float] | None = None) -> dict[str, float]:
    ear, shoulder, hip, knee = _near_side(sample)
    out: dict[str, float] = {}
    if not sample.visible(shoulder, MIN_VIS):
        return out
    for key, value in (
        ("head_level", head_level(sample, seated) if seated is not None else None),
        ("ear_level", ear_level(sample, ear, seated) if seated is not None else None),
        ("ear_rise", ear_rise(sample, ear, hip, seated[1]) if seated is not None else None),
        ("head_pitch_deg", side_head_pitch(sample, ear)),
    ):
        if value is not None:
            out[key] = value
    forward = _facing(sample, ear, shoulder, hip, knee)
    sh_xy = sample.xy(shoulder)
    ear_seen = sample.visible(ear, MIN_VIS)
    if ear_seen:
        out["neck_incl_deg"] = _angle_from_vertical(sample.xy(ear) - sh_xy, forward)
    if sample.visible(hip, MIN_VIS):
        hip_xy = sample.xy(hip)
        trunk = float(np.linalg.norm(sh_xy - hip_xy))
        out["trunk_incl_deg"] = _angle_from_vertical(sh_xy - hip_xy, forward)
        if ear_seen and trunk > 1e-6:
            out["head_forward"] = forward * (sample.xy(ear)[0] - sh_xy[0]) / trunk
        knee_xy = sample.xy(knee)
        thigh = float(np.linalg.norm(knee_xy - hip_xy))
        if sample.visible(knee, MIN_VIS) and trunk > 1e-6 and thigh > 1e-6:
            out["trunk_thigh_deg"] = _angle_at(sh_xy, hip_xy, knee_xy)
        out.update(body_lengths(sample, shoulder, hip, knee))
    return out


def head_pose(sample: PoseSample) -> dict[str, float]:
    """Facing the camera: the head's yaw, pitch and roll from the face alone.

    `head_yaw`: the nose off the eyes' midpoint, in eye distances (0 facing
    the camera, about 0.25 per 15° of turn). `head_pitch`: how far the ears'
    midpoint sits below the eyes', in eye-to-mouth distances; the eyes lie in
    front of the ears, so it rises as the chin comes up (neck extension) and
    falls as it drops (flexion). Vertical offsets over a vertical face length:
    it changes neither with turning the head nor with the distance.
    `head_roll_deg`: the eye line's slope, positive when the person's left is
    lower, only while yaw is under MAX_ROLL_YAW.
    """
    needed = (L.LEFT_EYE, L.RIGHT_EYE, L.MOUTH_LEFT, L.MOUTH_RIGHT, L.NOSE)
    if not all(sample.visible(lm, MIN_VIS) for lm in needed):
        return {}
    le, re = sample.xy(L.LEFT_EYE), sample.xy(L.RIGHT_EYE)
    eyes = (le + re) / 2
    mouth = (sample.xy(L.MOUTH_LEFT) + sample.xy(L.MOUTH_RIGHT)) / 2
    face = float(np.linalg.norm(mouth - eyes))
    between = float(np.linalg.norm(le - re))
    if face < 1e-6 or between < 1e-6:
        return {}
    yaw = float((sample.xy(L.NOSE)[0] - eyes[0]) / between)
    out = {"head_yaw": yaw}
    if sample.visible(L.LEFT_EAR, MIN_VIS) and sample.visible(L.RIGHT_EAR, MIN_VIS):
        ears = (sample.xy(L.LEFT_EAR) + sample.xy(L.RIGHT_EAR)) / 2
        out["head_pitch"] = float((ears[1] - eyes[1]) / face)
    if abs(yaw) <= MAX_ROLL_YAW:
        out["head_roll_deg"] = _tilt(sample, L.LEFT_EYE, L.RIGHT_EYE)
    return out


def front_metrics(
    sample: PoseSample, seated: tuple[float, float] | None = None
) -> dict[str, float]:
    out: dict[str, float] = {}
    ls, rs = sample.xy(L.LEFT_SHOULDER), sample.xy(L.RIGHT_SHOULDER)
    width = float(np.linalg.norm(ls - rs))
    if width < 1e-6:
        return out
    mid_y = (ls[1] + rs[1]) / 2
    out["head_height"] = (mid_y - sample.xy(L.NOSE)[1]) / width
    out["shoulder_tilt_deg"] = _tilt(sample, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    if sample.visible(L.LEFT_EAR, MIN_VIS) and sample.visible(L.RIGHT_EAR, MIN_VIS):
        le, re = sample.xy(L.LEFT_EAR), sample.xy(L.RIGHT_EAR)
        out["ear_height"] = (mid_y - (le[1] + re[1]) / 2) / width
        # The head grows against the shoulders as it comes towards the camera,
        # and the shoulders narrow as they round forward.
        ears = float(np.linalg.norm(le - re))
        out["face_scale"] = ears / width
        out["head_tilt_deg"] = _tilt(sample, L.LEFT_EAR, L.RIGHT_EAR)
        if seated is not None and seated[1] > 1e-6:
            # The same head in the calibration's body scales: it grows as the
            # head comes nearer the camera, leaning in to the screen, also when
            # the shoulders come with it (which face_scale cannot see). Turning
            # the head only narrows the ears, so a glance aside never adds to it.
            out["face_size"] = ears / seated[1]
    out.update(head_pose(sample))
    if seated is not None and seated[1] > 1e-6:
        # A slump lowers the whole upper body in the picture: the shoulder
        # line's height against the calibrated one, in calibrated body scales
        # (it falls as the user sinks; a camera moved is told apart by the
        # anchor check, which compares the same line's position and size).
        out["shoulder_level"] = float((seated[0] - mid_y) / seated[1])
    hips_seen = sample.visible(L.LEFT_HIP, MIN_VIS) and sample.visible(L.RIGHT_HIP, MIN_VIS)
    if hips_seen and sample.world is not None:
        w = sample.world
        trunk = (w[L.LEFT_SHOULDER] + w[L.RIGHT_SHOULDER]) / 2 - (
            w[L.LEFT_HIP] + w[L.RIGHT_HIP]
        ) / 2
        # World y points down and z away from the camera: forward is -z.
        out["trunk_flex_deg"] = math.degrees(math.atan2(-trunk[2], -trunk[1]))
    return out


def compute(
    sample: PoseSample, view: View | None = None, seated: tuple[float, float] | None = None
) -> tuple[View | None, dict[str, float]]:
    """The view (detected unless given) and that view's metrics; `seated`, the
    calibrated (shoulder y, body scale) in pixels, adds the side view's
    `head_level` and the front view's `face_size`."""
    if not sample.present:
        return None, {}
    view = view or detect_view(sample)
    if view is View.SIDE:
        return view, side_metrics(sample, seated)
    return view, front_metrics(sample, seated)


def body_scale(sample: PoseSample) -> float:
    """A size in pixels that does not collapse in profile: the larger of the
    shoulder width and twice the nose-to-shoulder-line distance."""
    left, right = sample.xy(L.LEFT_SHOULDER), sample.xy(L.RIGHT_SHOULDER)
    neck = float(np.linalg.norm(sample.xy(L.NOSE) - (left + right) / 2))
    return max(float(np.linalg.norm(left - right)), 2.0 * neck)


def anchor(sample: PoseSample, view: View) -> tuple[float, float, float]:
    """Where the seated body is and how big, in pixels: (x, y, body scale).

    Used to notice a moved camera. In profile the anchor is the near hip,
    which stays on the seat while the trunk slouches or reclines; facing the
    camera (hips hidden) it is the shoulder midpoint.
    """
    left, right = sample.xy(L.LEFT_SHOULDER), sample.xy(L.RIGHT_SHOULDER)
    point = (left + right) / 2
    if view is View.SIDE:
        left_first = sample.visibility(L.LEFT_HIP) >= sample.visibility(L.RIGHT_HIP)
        hip = L.LEFT_HIP if left_first else L.RIGHT_HIP
        if sample.visible(hip, MIN_VIS):
            point = sample.xy(hip)
    return float(point[0]), float(point[1]), body_scale(sample)


def hips_visible(sample: PoseSample) -> bool:
    return sample.visible(L.LEFT_HIP, MIN_VIS) or sample.visible(L.RIGHT_HIP, MIN_VIS)
