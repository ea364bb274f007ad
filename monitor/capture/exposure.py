"""Low light: lift a dark frame before inference, leave every other frame alone.

On a dark, low-contrast frame (a dim room on a webcam whose exposure has run
out: a raised black level, sensor noise) MediaPipe loses the person: the
front recording darkened so, to a mean grey of 21 of 255, kept the person in
36 % of its labelled frames. A plain gain that lifts such a frame to a mean
of `DARK_MEAN` brings all of them back (and the side clips' posture). Lifting
to mid-grey, a gamma curve or CLAHE did as well there but cost more frames
on darkened clips the model already handled, and a full auto-exposure
stretch broke a close-up clip; so the lift is gentle.

The mean grey is taken over every n-th row (a view, no copy): a normally lit
frame costs that and nothing else.
"""

from __future__ import annotations

import cv2
import numpy as np

# A camera exposing for mid-grey (about 118 in sRGB) gives frames averaging
# 88-233 on the recordings; 60 is two stops under mid-grey. Frames below are
# lifted to it, so the gain is continuous: 1 at the threshold, no jump.
DARK_MEAN = 60.0
MAX_GAIN = 4.0  # two stops: a near-black frame (lights off) is not made into noise
SAMPLED_ROWS = 60  # rows the mean is taken over, at least

# Luma weights (ITU-R BT.601, as cv2's grey conversion) for R, G, B.
_LUMA = (0.299, 0.587, 0.114)


def mean_luma(rgb: np.ndarray) -> float:
    """Mean grey level (0-255) of an RGB frame, from every n-th row."""
    step = max(1, rgb.shape[0] // SAMPLED_ROWS)
    means = cv2.mean(rgb[::step])  # rows stay contiguous: no copy
    return float(sum(w * m for w, m in zip(_LUMA, means[:3], strict=True)))


def gain_for(mean: float) -> float:
    """The gain a frame of this mean grey gets: 1 unless it is dark."""
    if mean >= DARK_MEAN:
        return 1.0
    return min(MAX_GAIN, DARK_MEAN / max(mean, 1.0))


def lift_dark(rgb: np.ndarray) -> float:
    """Brighten a dark RGB frame in place (a lookup table, no new image).

    Returns the gain applied: 1.0 means the frame was not touched.
    """
    gain = gain_for(mean_luma(rgb))
    if gain > 1.0:
        table = np.clip(np.arange(256, dtype=np.float32) * gain + 0.5, 0, 255).astype(np.uint8)
        cv2.LUT(rgb, table, dst=rgb)
    return gain
