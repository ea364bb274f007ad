"""Synthetic pose samples for the presence, metrics, profile and posture tests.

`pose(t, nose=(x, y), left_shoulder=(x, y, visibility), ...)` places landmarks
at pixel positions in a frame (visibility 0.99 unless given; every landmark not
named is invisible). The figures below draw a person with known angles:

- `side_figure`: seen in profile, near (left) side towards the camera, hips at
  `hip`; the trunk leans `trunk_deg` forward from vertical (negative: back),
  the thigh points `thigh_deg` below horizontal, the neck (shoulder to ear)
  leans `neck_deg` forward; `facing` +1 looks towards +x, -1 towards -x.
- `front_figure`: a desk webcam's view, head and shoulders, hips hidden; the
  nose sits `head_height` shoulder widths above the shoulder line, the
  shoulder line and the ear line tilt by `shoulder_tilt_deg`/`head_tilt_deg`
  (positive: the person's left side lower).

`moved(sample, fn)` maps every landmark's pixel position through `fn`, for the
invariance properties (shift, scale, mirror).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from monitor.core.landmarks import COUNT, Landmark
from monitor.core.sample import VISIBILITY, PoseSample, X, Y

W, H = 1000, 1000
SEEN = 0.99
TRUNK_PX, THIGH_PX, NECK_PX = 300.0, 250.0, 70.0
Point = tuple[float, float] | tuple[float, float, float]


def pose(
    t: float = 0.0,
    *,
    width: int = W,
    height: int = H,
    world: np.ndarray | None = None,
    **points: Point,
) -> PoseSample:
    image = np.zeros((COUNT, 5), dtype=np.float64)
    for name, point in points.items():
        lm = Landmark[name.upper()]
        x, y, *vis = point
        image[lm, X] = x / width
        image[lm, Y] = y / height
        image[lm, VISIBILITY] = vis[0] if vis else SEEN
        image[lm, 4] = image[lm, VISIBILITY]
    return PoseSample(t, width, height, image, world)


def nobody(t: float = 0.0) -> PoseSample:
    return PoseSample(t, W, H)


def _at(
    origin: tuple[float, float], length: float, deg: float, facing: float
) -> tuple[float, float]:
    """The end of a segment `deg` forward of straight up from `origin`."""
    rad = math.radians(deg)
    return (origin[0] + facing * length * math.sin(rad), origin[1] - length * math.cos(rad))


def side_points(
    trunk_deg: float = 0.0,
    thigh_deg: float = 0.0,
    neck_deg: float = 0.0,
    facing: float = 1.0,
    hip: tuple[float, float] = (450.0, 650.0),
    knee_vis: float = SEEN,
    hip_vis: float = SEEN,
    ear_vis: float = SEEN,
) -> dict[str, Point]:
    shoulder = _at(hip, TRUNK_PX, trunk_deg, facing)
    ear = _at(shoulder, NECK_PX, neck_deg, facing)
    rad = math.radians(thigh_deg)
    knee = (hip[0] + facing * THIGH_PX * math.cos(rad), hip[1] + THIGH_PX * math.sin(rad))
    nose = (ear[0] + facing * 45.0, ear[1] + 12.0)
    far = -facing * 6.0  # the far shoulder peeks out just behind the near one
    return {
        "nose": nose,
        "left_ear": (*ear, ear_vis),
        "right_ear": (ear[0] + far, ear[1], 0.2),
        "left_shoulder": shoulder,
        "right_shoulder": (shoulder[0] + far, shoulder[1] + 2.0, 0.7),
        "left_hip": (*hip, hip_vis),
        "right_hip": (hip[0] + far, hip[1], 0.2),
        "left_knee": (*knee, knee_vis),
        "right_knee": (knee[0] + far, knee[1], 0.2),
    }


def side_figure(t: float = 0.0, **kwargs: float) -> PoseSample:
    return pose(t, **side_points(**kwargs))  # type: ignore[arg-type]


def front_points(
    head_height: float = 0.6,
    shoulder_tilt_deg: float = 0.0,
    head_tilt_deg: float = 0.0,
    face_width: float = 0.4,
    centre: tuple[float, float] = (500.0, 600.0),
    width: float = 200.0,
    ears: bool = True,
) -> dict[str, Point]:
    """The person's left is on the image's right (a camera facing them)."""
    cx, cy = centre

    def line(half: float, deg: float, y: float) -> tuple[tuple[float, float], tuple[float, float]]:
        dx, dy = half * math.cos(math.radians(deg)), half * math.sin(math.radians(deg))
        return (cx + dx, y + dy), (cx - dx, y - dy)  # (left, right): left lower if deg > 0

    left_sh, right_sh = line(width / 2, shoulder_tilt_deg, cy)
    nose_y = cy - head_height * width
    left_ear, right_ear = line(face_width * width / 2, head_tilt_deg, nose_y - 0.08 * width)
    points: dict[str, Point] = {
        "nose": (cx, nose_y),
        "left_eye": (cx + 0.1 * width, nose_y - 0.1 * width),
        "right_eye": (cx - 0.1 * width, nose_y - 0.1 * width),
        "left_shoulder": left_sh,
        "right_shoulder": right_sh,
    }
    if ears:
        points["left_ear"] = left_ear
        points["right_ear"] = right_ear
    return points


def front_figure(t: float = 0.0, **kwargs: float) -> PoseSample:
    return pose(t, **front_points(**kwargs))  # type: ignore[arg-type]


def moved(sample: PoseSample, fn: Callable[[np.ndarray], np.ndarray]) -> PoseSample:
    """The same landmarks with pixel positions mapped through `fn` ((n, 2) -> (n, 2))."""
    assert sample.image is not None
    image = sample.image.astype(np.float64)
    size = np.array([sample.width, sample.height], dtype=np.float64)
    image[:, [X, Y]] = fn(image[:, [X, Y]] * size) / size
    return PoseSample(sample.t_s, sample.width, sample.height, image, sample.world)


def at(sample: PoseSample, t: float) -> PoseSample:
    """The same landmarks at another time."""
    return PoseSample(t, sample.width, sample.height, sample.image, sample.world)


def calibration(n: int = 10, **figure) -> list:
    """n samples of a still, upright side figure, with a little natural sway."""
    return [side_figure(i * 0.2, trunk_deg=(i % 3) - 1.0, **figure) for i in range(n)]


def sunk(px: float, **figure: float) -> PoseSample:
    """A side figure with its shoulders and head lowered `px` over hips that
    stay: a rounded back, the slump into a backrest (the trunk's angle barely
    changes, the head sits lower above the seat)."""
    sample = side_figure(**figure)
    image = np.array(sample.image, dtype=np.float64)
    for lm in (Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
               Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):  # fmt: skip
        image[lm, Y] += px / sample.height
    return PoseSample(sample.t_s, sample.width, sample.height, image)


def head_tipped(deg: float, **figure: float) -> PoseSample:
    """A side figure with the nose swung `deg` up about the ear (chin up)."""
    points = side_points(**figure)
    ex, ey = points["left_ear"][:2]
    nx, ny = points["nose"][:2]
    rad = math.radians(deg)
    dx, dy = nx - ex, ny - ey
    points["nose"] = (ex + dx * math.cos(rad) + dy * math.sin(rad) * (1 if dx > 0 else -1),
                      ey - abs(dx) * math.sin(rad) + dy * math.cos(rad))  # fmt: skip
    return pose(0.0, **points)  # type: ignore[arg-type]
