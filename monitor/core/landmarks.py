"""BlazePose landmark indices and names: the one place they are spelled out."""

from __future__ import annotations

from enum import IntEnum


class Landmark(IntEnum):
    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


COUNT = len(Landmark)

# A person is present only when these are confidently seen: a chair or a coat
# can fool the detector, but rarely into a face above two shoulders.
CORE = (Landmark.NOSE, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)

# Trusted only inside the picture. When the frame cuts the body (a desk
# webcam, or a side camera that sees the upper body only) MediaPipe still
# places the hips and legs, far below the bottom edge, often with visibility
# over 0.9: a guess that would invent trunk angles and a standing posture.
# The face and shoulders are not in this set: a desk webcam's bottom edge
# often cuts the shoulders, and their estimate just past it is good.
LOWER_BODY = frozenset(
    (
        Landmark.LEFT_HIP,
        Landmark.RIGHT_HIP,
        Landmark.LEFT_KNEE,
        Landmark.RIGHT_KNEE,
        Landmark.LEFT_ANKLE,
        Landmark.RIGHT_ANKLE,
        Landmark.LEFT_HEEL,
        Landmark.RIGHT_HEEL,
        Landmark.LEFT_FOOT_INDEX,
        Landmark.RIGHT_FOOT_INDEX,
    )
)


def _twin(landmark: Landmark) -> Landmark:
    """The same landmark on the other side of the body (itself if it has none)."""
    name = landmark.name
    if "LEFT" in name:
        return Landmark[name.replace("LEFT", "RIGHT")]
    if "RIGHT" in name:
        return Landmark[name.replace("RIGHT", "LEFT")]
    return landmark


# Each landmark's twin, by index: MediaPipe names the sides from the image as
# if it were not mirrored, so a mirrored (selfie) view needs them swapped.
TWINS = tuple(_twin(lm) for lm in Landmark)

# Skeleton edges for drawing the preview.
CONNECTIONS = (
    (Landmark.LEFT_EAR, Landmark.LEFT_EYE),
    (Landmark.LEFT_EYE, Landmark.NOSE),
    (Landmark.NOSE, Landmark.RIGHT_EYE),
    (Landmark.RIGHT_EYE, Landmark.RIGHT_EAR),
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
)
