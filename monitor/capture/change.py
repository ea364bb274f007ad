"""Telling a changed frame from an unchanged one, cheaply: a grey thumbnail.

The live loop analyses a frame only when it differs from the last analysed
one (or the last pose is too old): a still picture costs no pose model run.
"""

from __future__ import annotations

import cv2
import numpy as np

THUMBNAIL = (32, 24)


class ChangeDetector:
    """Says whether a frame differs from the last analysed one (grey thumbnail)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._last: np.ndarray | None = None

    def changed(self, image: np.ndarray) -> bool:
        # Every n-th pixel first, keeping at least 4x the thumbnail: averaging a
        # whole 720p frame down costs ten times more and decides the same.
        height, width = image.shape[:2]
        n = max(1, min(width // (4 * THUMBNAIL[0]), height // (4 * THUMBNAIL[1])))
        grey = cv2.cvtColor(image[::n, ::n] if n > 1 else image, cv2.COLOR_BGR2GRAY)
        small = cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.int16)
        if self._last is None or self.threshold <= 0:
            self._last = small
            return True
        difference = float(np.mean(np.abs(small - self._last)))
        if difference < self.threshold:
            return False
        self._last = small
        return True
