"""Presence (issue 3): seated, standing, away or unknown, from one frame's landmarks.

Synthetic samples place landmarks at known pixel positions (see poses.py):
in profile the thigh says it (horizontal seated, vertical standing); at a
desk webcam the hips are hidden, and standing up lifts the shoulders well
above where they sat, or takes the face out of the top of the frame.
"""

from __future__ import annotations

import numpy as np
import pytest
from poses import front_points, nobody, pose, side_points

from monitor.core.landmarks import COUNT, Landmark
from monitor.core.presence import PresenceClassifier, SeatedReference, classify
from monitor.core.values import Presence

SEATED, STANDING, AWAY, UNKNOWN = (
    Presence.SEATED,
    Presence.STANDING,
    Presence.AWAY,
    Presence.UNKNOWN,
)
# The desk figure's shoulders: mid height 600 px; its body scale is twice the
# nose-to-shoulder distance (2 x 0.6 x 200 px), which is more than its width.
DESK = SeatedReference(shoulder_y_px=600.0, scale_px=240.0)
# The side figure's shoulders (hip at y 650, trunk 300 px) and its body scale
# (twice the nose-to-shoulder distance, about 150 px).
SIDE_SEATED = SeatedReference(shoulder_y_px=350.0, scale_px=150.0)


def risen(widths: float) -> dict:
    """The desk figure with its shoulders (and head) `widths` shoulder widths higher."""
    return front_points(centre=(500.0, 600.0 - widths * 200.0))


def everything(vis: float) -> dict:
    """A figure whose every landmark has the same visibility."""
    return {lm.name.lower(): (400.0 + 5 * lm, 300.0 + 10 * lm, vis) for lm in Landmark}


def world_thigh(direction) -> np.ndarray:
    """World landmarks (metres, y down, z away) with the near thigh along `direction`."""
    world = np.zeros((COUNT, 3))
    world[Landmark.LEFT_SHOULDER] = (0.0, -0.5, 0.0)
    world[Landmark.RIGHT_SHOULDER] = (0.0, -0.5, 0.05)
    world[Landmark.LEFT_KNEE] = 0.45 * np.asarray(direction, dtype=float)
    world[Landmark.RIGHT_KNEE] = world[Landmark.LEFT_KNEE]
    return world


# (landmarks, seated reference, world landmarks, expected)
CASES = {
    "side, seated: thigh horizontal": (side_points(), None, None, SEATED),
    "side, seated, facing left": (side_points(facing=-1), None, None, SEATED),
    "side, seated, thigh sloping 15° down": (side_points(thigh_deg=15), None, None, SEATED),
    "side, seated and slouched 35° forward": (side_points(trunk_deg=35), None, None, SEATED),
    "side, seated and reclined 25°": (side_points(trunk_deg=-25), None, None, SEATED),
    "side, standing: thigh vertical, trunk upright": (
        side_points(thigh_deg=90),
        None,
        None,
        STANDING,
    ),
    "side, standing, facing left": (side_points(thigh_deg=85, facing=-1), None, None, STANDING),
    "side, half risen, trunk 40° forward: not yet standing": (
        side_points(trunk_deg=40, thigh_deg=60),
        None,
        None,
        SEATED,
    ),
    "side, thigh 30° down, 3D says vertical: standing": (
        side_points(thigh_deg=30),
        None,
        world_thigh((0, 1, 0)),
        STANDING,
    ),
    "side, thigh 30° down, 3D says horizontal: seated": (
        side_points(thigh_deg=30),
        None,
        world_thigh((0, 0, -1)),
        SEATED,
    ),
    "side, legs say standing but the shoulders stay at their seated height: seated": (
        side_points(thigh_deg=90),
        SIDE_SEATED,
        None,
        SEATED,
    ),
    "side, legs say standing and the shoulders rose a thigh length: standing": (
        side_points(thigh_deg=90, hip=(450.0, 400.0)),
        SIDE_SEATED,
        None,
        STANDING,
    ),
    "front desk view, hips hidden: seated": (front_points(), None, None, SEATED),
    "front desk view, shoulders just below the bottom edge: seated": (
        front_points(centre=(500.0, 1030.0)),
        None,
        None,
        SEATED,
    ),
    "side, upper body only: straight legs guessed below the frame are no evidence": (
        side_points(thigh_deg=90, hip=(450.0, 1150.0)),
        None,
        None,
        SEATED,
    ),
    "front desk view at the seated reference: seated": (front_points(), DESK, None, SEATED),
    "front, shoulders 0.4 widths up (sitting up tall): seated": (risen(0.4), DESK, None, SEATED),
    "front, shoulders 0.8 widths up: standing": (risen(0.8), DESK, None, STANDING),
    "front, shoulders 1.5 widths up: standing": (risen(1.5), DESK, None, STANDING),
    "front, shoulders risen but no reference: seated (nothing to compare)": (
        risen(0.7),
        None,
        None,
        SEATED,
    ),
    "head out of the top of the frame, shoulders at the edge: standing": (
        {
            "nose": (500.0, -60.0, 0.1),
            "left_shoulder": (600.0, 40.0),
            "right_shoulder": (400.0, 40.0),
        },
        DESK,
        None,
        STANDING,
    ),
    "nothing visible but a hint of a figure: away": (everything(0.1), None, None, AWAY),
    "a blurred figure, nothing confidently seen: unknown": (everything(0.35), None, None, UNKNOWN),
    "face seen but both shoulders hidden: unknown": (
        {"nose": (500.0, 400.0), "left_shoulder": (600.0, 520.0, 0.2)},
        None,
        None,
        UNKNOWN,
    ),
}


@pytest.mark.parametrize(("points", "reference", "world", "expected"), CASES.values(), ids=CASES)
def test_classify(points, reference, world, expected):
    assert classify(pose(world=world, **points), reference) is expected


def test_nobody_detected_is_away():
    assert classify(nobody()) is AWAY
    assert classify(nobody(), DESK) is AWAY


def test_side_view_with_hips_hidden_learns_a_usable_reference():
    """In profile the shoulder width collapses to a few pixels, so a reference
    learnt there must not turn sitting up a little taller into standing.

    The figure sits 300 px tall (hip to shoulder); it straightens by 20 px,
    far less than the ~150 px a person rises when standing up.
    """
    hidden = {"hip_vis": 0.1, "knee_vis": 0.1}
    classifier = PresenceClassifier(smooth_s=0.0)
    for i in range(5):
        assert classifier.step(pose(float(i), **side_points(**hidden))) is SEATED
    taller = pose(5.0, **side_points(hip=(450.0, 630.0), **hidden))
    assert classifier.step(taller) is SEATED


def test_learns_the_seated_height_without_calibration():
    classifier = PresenceClassifier(smooth_s=0.0)
    assert classifier.reference() is None
    for i in range(3):
        assert classifier.step(pose(float(i), **front_points())) is SEATED
    learnt = classifier.reference()
    assert learnt is not None
    assert (learnt.shoulder_y_px, learnt.scale_px) == pytest.approx((600, 240))
    assert classifier.step(pose(3.0, **risen(0.8))) is STANDING


def test_the_learnt_reference_follows_the_learning_window():
    """The learnt reference is the median of the window, however often it is
    asked for: frames coming in and frames leaving it both move it.

    learn_s=2.5: the window holds the seated frames of the last 2.5 s.
    """
    classifier = PresenceClassifier(smooth_s=0.0, learn_s=2.5)
    # (t, shoulders lowered by this many shoulder widths, expected reference height)
    steps = [
        (0.0, 0.0, None),
        (1.0, 0.0, None),
        (2.0, 0.0, 600.0),  # three frames: learnt
        (3.0, 0.25, 600.0),  # 600, 600, 650 (t=0 has left the window)
        (4.0, 0.25, 650.0),  # 600, 650, 650
        (5.0, 0.25, 650.0),
    ]
    for t, lowered, expected in steps:
        assert classifier.step(pose(t, **risen(-lowered))) is SEATED, f"t={t}"
        learnt = classifier.reference()
        assert classifier.reference() == learnt, f"t={t}"
        height = None if learnt is None else learnt.shoulder_y_px
        assert height == pytest.approx(expected), f"t={t}"
    classifier.calibrated = DESK
    assert classifier.reference() == DESK
    classifier.calibrated = None
    assert classifier.reference() is not None
    assert classifier.reference().shoulder_y_px == pytest.approx(650.0)


def test_calibrated_reference_is_kept():
    classifier = PresenceClassifier(smooth_s=0.0, reference=DESK)
    for i in range(5):
        classifier.step(pose(float(i), **risen(0.3)))
    assert classifier.reference() == DESK


def test_smoothing_is_the_majority_over_smooth_s():
    """A sample every 0.25 s, smooth_s=1: the window holds the last four frames;
    a tie goes to the most recent frame."""
    classifier = PresenceClassifier(smooth_s=1.0)
    # standing up lifts the hips (and shoulders) off the seat
    sit, stand = side_points(), side_points(thigh_deg=90, hip=(450.0, 400.0))
    # (t, raw class of this frame, expected smoothed class)
    steps = [
        (0.00, sit, SEATED),
        (0.25, sit, SEATED),
        (0.50, sit, SEATED),
        (0.75, sit, SEATED),
        (1.00, stand, SEATED),  # 3 seated, 1 standing
        (1.25, stand, STANDING),  # 2-2: the latest wins
        (1.50, stand, STANDING),
        (1.75, sit, STANDING),  # 3 standing, 1 seated
        (2.00, sit, SEATED),  # 2-2 again
        (2.25, sit, SEATED),
    ]
    for t, points, expected in steps:
        assert classifier.step(pose(t, **points)) is expected, f"t={t}"
    assert classifier.raw is SEATED


def test_a_single_odd_frame_is_smoothed_away():
    classifier = PresenceClassifier(smooth_s=1.0)
    results = []
    for i in range(20):
        t = i * 0.2
        points = side_points(thigh_deg=90) if i == 10 else side_points()
        results.append(classifier.step(pose(t, **points)))
    assert results == [SEATED] * 20


def test_without_smoothing_every_frame_counts():
    classifier = PresenceClassifier(smooth_s=0.0)
    assert classifier.step(pose(0.0, **side_points())) is SEATED
    assert classifier.step(pose(0.5, **side_points(thigh_deg=90))) is STANDING
    assert classifier.step(nobody(1.0)) is AWAY


def test_a_small_figure_far_behind_the_desk_is_not_the_user():
    """With the user's seated size known, a passer-by a third of it is nobody at the desk."""
    far = front_points(centre=(500.0, 300.0), width=60.0)
    assert classify(pose(**far), DESK) is AWAY
    assert classify(pose(**far)) is SEATED  # without a reference there is no size to compare
