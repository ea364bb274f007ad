"""The `--preview` window: the frame with the skeleton, metrics and state.

Frames shown here never leave memory. `q`, Esc or closing the window quits.
"""

from __future__ import annotations

import cv2
import numpy as np

from monitor.landmarks import CONNECTIONS
from monitor.profile import Profile
from monitor.sample import PoseSample
from monitor.status import status_line
from monitor.timeline import PostureState
from monitor.tracker import Step

WINDOW = "posture-monitor"
GOOD, DRIFT, NEUTRAL = (80, 200, 80), (40, 80, 240), (200, 200, 200)


def draw(
    image: np.ndarray, sample: PoseSample, step: Step, profile: Profile | None, rate_fps: float
) -> np.ndarray:
    """A copy of the frame with the overlay drawn on it."""
    canvas = image.copy()
    posture = step.sample.posture
    colour = (
        DRIFT
        if posture is PostureState.DRIFT
        else GOOD
        if posture is PostureState.GOOD
        else NEUTRAL
    )
    if sample.present:
        for a, b in CONNECTIONS:
            if sample.visible(a) and sample.visible(b):
                pa = tuple(int(v) for v in sample.xy(a))
                pb = tuple(int(v) for v in sample.xy(b))
                cv2.line(canvas, pa, pb, colour, 2, cv2.LINE_AA)
    lines = [status_line(step, rate_fps)]
    for key, value in sorted(step.sample.metrics.items()):
        base = profile.baseline.get(key) if profile else None
        text = f"{key} {value:+.2f}"
        if base is not None:
            text += f" (baseline {base.mean:+.2f}, {value - base.mean:+.2f})"
        lines.append(text)
    y = 22
    for text in lines:
        cv2.putText(canvas, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(canvas, text, (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
        y += 20
    return canvas


class Preview:
    def __init__(self) -> None:
        cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL)
        self.open = True

    def show(self, canvas: np.ndarray) -> bool:
        """Show a frame; False once the user asked to quit."""
        cv2.imshow(WINDOW, canvas)
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), 27) or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
            self.open = False
        return self.open

    def close(self) -> None:
        cv2.destroyAllWindows()
        cv2.waitKey(1)
