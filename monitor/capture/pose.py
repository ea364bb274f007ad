"""The MediaPipe edge: frames in, `PoseSample`s out.

This is the only module that imports mediapipe. It runs the PoseLandmarker
in VIDEO mode (tracking across frames, strictly increasing timestamps) or,
for unrelated still images, in IMAGE mode, and converts each result once
into our own sample type.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from monitor.capture.exposure import lift_dark
from monitor.core.landmarks import COUNT, TWINS
from monitor.core.sample import VISIBILITY, PoseSample, X, Y
from monitor.errors import ModelError
from monitor.paths import library_cache

# MediaPipe imports matplotlib: its folders must be ours alone (see paths).
os.environ.setdefault("MPLCONFIGDIR", library_cache("matplotlib"))
# Quiet MediaPipe's native start-up chatter unless the user wants it.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision

# Up to this many figures are found so that a passer-by can be told apart
# from the user, who is the largest, most central one.
MAX_PEOPLE = 2


# Row order that swaps every left landmark with its right twin: in a selfie
# view the person's left shoulder comes out as RIGHT_SHOULDER.
MIRROR_ORDER = np.array(TWINS, dtype=np.intp)


@contextlib.contextmanager
def _native_stderr_quiet() -> Iterator[None]:
    """Silence the C++ chatter MediaPipe prints while loading, warming up and closing.

    They go straight to file descriptor 2, around Python's logging; with
    --verbose (POSTURE_MONITOR_NATIVE_LOGS=1) they are left alone.
    """
    if os.environ.get("POSTURE_MONITOR_NATIVE_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def close_quietly(landmarker: vision.PoseLandmarker) -> None:
    """Close a landmarker without its native chatter (MediaPipe >= 1.2.3 logs
    each accelerator it frees)."""
    with _native_stderr_quiet():
        landmarker.close()


def create_landmarker(
    model_path: Path, *, stills: bool = False, max_people: int = MAX_PEOPLE
) -> vision.PoseLandmarker:
    """A PoseLandmarker, loaded quietly: VIDEO mode, or IMAGE mode for `stills`.

    Close it with `close_quietly`. A file that is not a pose model is a ModelError.
    """
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=vision.RunningMode.IMAGE if stills else vision.RunningMode.VIDEO,
        num_poses=max_people,
        output_segmentation_masks=False,
    )
    try:
        with _native_stderr_quiet():
            return vision.PoseLandmarker.create_from_options(options)
    except (RuntimeError, ValueError) as exc:
        raise ModelError(
            f"{model_path} could not be loaded as a pose model ({exc}); "
            "run 'posture-monitor models' to see the installed ones"
        ) from None


def _to_array(landmarks: list, with_scores: bool) -> np.ndarray:
    columns = 5 if with_scores else 3
    out = np.zeros((COUNT, columns), dtype=np.float32)
    if with_scores:
        rows = [(lm.x, lm.y, lm.z, lm.visibility or 0.0, lm.presence or 0.0) for lm in landmarks]
    else:
        rows = [(lm.x, lm.y, lm.z) for lm in landmarks]
    if rows:  # one conversion, not a numpy assignment per landmark
        rows = rows[:COUNT]
        out[: len(rows)] = rows
    return out


def main_figure(figures: list[np.ndarray]) -> int:
    """Index of the user among several figures: large and near the centre wins."""

    def score(points: np.ndarray) -> float:
        seen = (
            points[points[:, VISIBILITY] >= 0.5] if (points[:, VISIBILITY] >= 0.5).any() else points
        )
        xs, ys = seen[:, X], seen[:, Y]
        area = float((xs.max() - xs.min()) * (ys.max() - ys.min()))
        off_centre = float(np.hypot(xs.mean() - 0.5, ys.mean() - 0.5))
        return area * max(0.0, 1.0 - off_centre)

    return int(np.argmax([score(f) for f in figures]))


def _unmirror(points: np.ndarray, world: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """The person's own sides in a mirrored picture: the image points stay
    where they are (the preview still lines up) but trade names; the world
    body, a mirror image of the real one, is reflected back in x."""
    if world is not None:
        world = world[MIRROR_ORDER]
        world[:, X] = -world[:, X]
    return points[MIRROR_ORDER], world


class PoseEstimator:
    """A warm PoseLandmarker: load once, then `estimate(t_s, bgr)` per frame."""

    def __init__(
        self,
        model_path: Path,
        *,
        stills: bool = False,
        max_people: int = MAX_PEOPLE,
        mirrored: bool = False,
    ):
        self._landmarker = create_landmarker(model_path, stills=stills, max_people=max_people)
        self.model_path = model_path
        self.stills = stills
        self.mirrored = mirrored
        self._last_ms = -1
        self._warm = False
        self._rgb: np.ndarray | None = None  # reused: a fresh 1 MB a frame costs page faults

    def estimate(self, t_s: float, bgr: np.ndarray) -> PoseSample:
        if self._rgb is None or self._rgb.shape != bgr.shape:
            self._rgb = np.empty_like(bgr)
        cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=self._rgb)
        lift_dark(self._rgb)  # in place, and only on a dark frame
        return self.estimate_rgb(t_s, self._rgb)

    def estimate_rgb(self, t_s: float, rgb: np.ndarray) -> PoseSample:
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if not self._warm:  # the first inference prints its own warnings
            self._warm = True
            with _native_stderr_quiet():
                return self.estimate_rgb(t_s, rgb)
        if self.stills:
            result = self._landmarker.detect(image)
        else:
            # VIDEO mode needs strictly increasing integer milliseconds.
            t_ms = max(round(t_s * 1000), self._last_ms + 1)
            self._last_ms = t_ms
            result = self._landmarker.detect_for_video(image, t_ms)
        height, width = rgb.shape[:2]
        if not result.pose_landmarks:
            return PoseSample(t_s, width, height)
        figures = [_to_array(lms, with_scores=True) for lms in result.pose_landmarks]
        chosen = main_figure(figures)
        points = figures[chosen]
        world = None
        if result.pose_world_landmarks and len(result.pose_world_landmarks) > chosen:
            world = _to_array(result.pose_world_landmarks[chosen], with_scores=False)
        if self.mirrored:
            points, world = _unmirror(points, world)
        return PoseSample(t_s, width, height, points, world)

    def close(self) -> None:
        if self._landmarker is not None:
            close_quietly(self._landmarker)
            self._landmarker = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
