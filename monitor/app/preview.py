"""The `--preview` window: the frame with the skeleton, metrics and state.

Frames shown here never leave memory. `q`, Esc or closing the window quits.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from monitor.app.status import status_line
from monitor.core.landmarks import CONNECTIONS
from monitor.core.profile import Profile
from monitor.core.sample import PoseSample
from monitor.core.tracker import Step
from monitor.core.values import PostureState

WINDOW = "posture-monitor"
GOOD, DRIFT, NEUTRAL = (80, 200, 80), (40, 80, 240), (200, 200, 200)
HEIGHT_PX = 480  # the frame is shown this tall, whatever the camera gives
MIN_WIDTH_PX = 640  # room for the text panel
LINE_PX = 20
MAX_ROWS = 8  # metric rows under the frame; more metrics go in further columns
FONT = cv2.FONT_HERSHEY_SIMPLEX


def _colour(posture: PostureState) -> tuple[int, int, int]:
    return {PostureState.DRIFT: DRIFT, PostureState.GOOD: GOOD}.get(posture, NEUTRAL)


def _wrap(parts: list[str], width_px: int) -> list[str]:
    """Join status parts into lines that fit the panel."""
    lines: list[str] = []
    for part in parts:
        joined = f"{lines[-1]} | {part}" if lines else part
        if lines and cv2.getTextSize(joined, FONT, 0.5, 1)[0][0] <= width_px - 20:
            lines[-1] = joined
        else:
            lines.append(part)
    return lines


def metric_lines(metrics: dict[str, float], profile: Profile | None) -> list[str]:
    """A line per metric: its value, and its baseline and change when calibrated.
    Angles in tenths of a degree; ratios, whose thresholds are hundredths, in hundredths."""
    lines = []
    for key, value in sorted(metrics.items()):
        base = profile.baseline.get(key) if profile else None
        digits = "+.1f" if key.endswith("_deg") else "+.2f"
        text = f"{key} {value:{digits}}"
        if base is not None:
            text += f"   baseline {base.mean:{digits}}   change {value - base.mean:{digits}}"
        lines.append(text)
    return lines


def draw(
    image: np.ndarray, sample: PoseSample, step: Step, profile: Profile | None, rate_fps: float
) -> np.ndarray:
    """The frame, scaled to HEIGHT_PX, with the skeleton on it and a text panel below."""
    scale = HEIGHT_PX / image.shape[0]
    frame = cv2.resize(image, (round(image.shape[1] * scale), HEIGHT_PX))
    colour = _colour(step.sample.posture)
    if sample.present:
        for a, b in CONNECTIONS:
            if sample.visible(a) and sample.visible(b):
                pa = tuple(int(v * scale) for v in sample.xy(a))
                pb = tuple(int(v * scale) for v in sample.xy(b))
                cv2.line(frame, pa, pb, colour, 3, cv2.LINE_AA)
    # A view has a dozen metrics or more: in columns, so the window stays on a
    # laptop's screen (480 px of frame and at most MAX_ROWS rows of them).
    shown = metric_lines(step.sample.metrics, profile)
    columns = [shown[i : i + MAX_ROWS] for i in range(0, len(shown), MAX_ROWS)]
    column_px = max((cv2.getTextSize(s, FONT, 0.5, 1)[0][0] + 20 for s in shown), default=0)
    width = max(frame.shape[1], MIN_WIDTH_PX, 10 + column_px * len(columns))
    status = _wrap(status_line(step, rate_fps).split(" | "), width)
    rows = len(status) + max((len(c) for c in columns), default=0)
    panel = np.zeros((LINE_PX * rows + 10, width, 3), np.uint8)
    for i, text in enumerate(status):
        ink = colour if i == 0 else (230, 230, 230)
        cv2.putText(panel, text, (10, LINE_PX * (i + 1)), FONT, 0.5, ink, 1, cv2.LINE_AA)
    for c, column in enumerate(columns):
        for i, text in enumerate(column, start=len(status)):
            at = (10 + c * column_px, LINE_PX * (i + 1))
            cv2.putText(panel, text, at, FONT, 0.5, (230, 230, 230), 1, cv2.LINE_AA)
    canvas = np.zeros((HEIGHT_PX + panel.shape[0], width, 3), np.uint8)
    canvas[:HEIGHT_PX, : frame.shape[1]] = frame
    canvas[HEIGHT_PX:] = panel
    return canvas


def _font_dir() -> None:
    # OpenCV's Qt ships no fonts and complains on every window; use the system's.
    for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts"):
        if Path(folder).is_dir():
            os.environ.setdefault("QT_QPA_FONTDIR", folder)
            return


class Preview:
    def __init__(self) -> None:
        _font_dir()
        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
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
