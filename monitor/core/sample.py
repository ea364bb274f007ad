"""The pose sample: our own immutable value for one analysed frame.

MediaPipe's result is converted into this once, in `monitor.capture.pose`; nothing
else in the package sees a MediaPipe object. "Nobody there" is a sample with
no landmarks, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.core.landmarks import CORE, COUNT, LOWER_BODY, Landmark

# Columns of `PoseSample.image`: normalised x, y (0..1 of width and height),
# relative depth z, and the model's visibility and presence scores (0..1).
X, Y, Z, VISIBILITY, PRESENCE = range(5)

# The visibility a landmark needs to be trusted. MediaPipe's scores are
# sigmoid outputs; 0.5 is its own default cut-off for drawing.
VISIBLE = 0.5


def _frozen(array: np.ndarray | None, shape: tuple[int, int], name: str) -> np.ndarray | None:
    if array is None:
        return None
    array = np.asarray(array, dtype=np.float32)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    array = array.copy()
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PoseSample:
    """One analysed frame: when, how big, and the person's landmarks if any.

    `image` is (33, 5) normalised image landmarks (see X..PRESENCE), `world`
    (33, 3) metric landmarks in metres centred on the hips, both None when
    nobody is in view.
    """

    t_s: float
    width: int
    height: int
    image: np.ndarray | None = None
    world: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"frame size must be positive, got {self.width}x{self.height}")
        object.__setattr__(self, "image", _frozen(self.image, (COUNT, 5), "image"))
        object.__setattr__(self, "world", _frozen(self.world, (COUNT, 3), "world"))

    @property
    def detected(self) -> bool:
        """The model found a figure (which may still be too little to trust)."""
        return self.image is not None

    @property
    def present(self) -> bool:
        """A person is in view: nose and both shoulders confidently visible."""
        return self.detected and all(self.visible(lm) for lm in CORE)

    def visibility(self, landmark: Landmark) -> float:
        if self.image is None:
            return 0.0
        return float(self.image[landmark, VISIBILITY])

    def visible(self, landmark: Landmark, threshold: float = VISIBLE) -> bool:
        """Confidently seen; a hip or leg landmark must also lie inside the picture."""
        if self.visibility(landmark) < threshold:
            return False
        return landmark not in LOWER_BODY or self.in_frame(landmark)

    def in_frame(self, landmark: Landmark) -> bool:
        if self.image is None:
            return False
        x, y = self.image[landmark, X], self.image[landmark, Y]
        return bool(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0)

    def xy(self, landmark: Landmark) -> np.ndarray:
        """Image position in pixels, so that angles are true on non-square frames."""
        if self.image is None:
            raise ValueError("no landmarks in an empty sample")
        return np.array(
            [self.image[landmark, X] * self.width, self.image[landmark, Y] * self.height],
            dtype=np.float64,
        )

    def xyz_world(self, landmark: Landmark) -> np.ndarray:
        if self.world is None:
            raise ValueError("no world landmarks in an empty sample")
        return self.world[landmark].astype(np.float64)
