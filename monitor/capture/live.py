"""Live capture for `run`: a webcam, or a recorded file that behaves like one.

The live loop decides when it wants a frame and calls `read()`; nothing is
decoded in between. (Replay and calibration iterate `monitor.capture.sources`
instead, as fast as the analysis goes.) A webcam keeps only the newest frame (a buffer of one,
and stale frames grabbed away before the retrieve). A recorded file is
paced in real time: `read()` returns the frame at the current wall-clock
position, grabbing (not decoding into images) the frames in between, and
with `loop` it starts over at the end.

Both decode into the same buffer every time (a frame is about 1 MB: a fresh
one per read costs page faults all day), so an image from `read()` is valid
until the next `read()`; keep a copy to keep it longer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from monitor.capture.sources import available_cameras, missing_camera, warn_if_cut_short
from monitor.errors import SourceError


class CameraLost(Exception):
    """The camera stopped delivering (unplugged, taken by another program)."""


class EndOfSource(Exception):
    """A recorded file has ended (and is not looping)."""


class Capture(Protocol):
    name: str

    def read(self) -> np.ndarray:
        """The newest frame, in a buffer the next read reuses."""
        ...

    def release(self) -> None: ...


class CameraCapture:
    STALE_FRAMES = 2  # frames the driver may hold that predate our request

    def __init__(self, index: int, width: int = 640, height: int = 480) -> None:
        self.index = index
        self.name = f"camera {index}"
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            known = available_cameras()
            if index in known:
                raise CameraLost(f"camera {index} is busy (another program may be using it)")
            raise missing_camera(index, known)
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._image: np.ndarray | None = None

    def read(self) -> np.ndarray:
        for _ in range(self.STALE_FRAMES):
            if not self._cap.grab():
                raise CameraLost(f"camera {self.index} stopped delivering frames")
        ok, self._image = self._cap.retrieve(self._image)
        if not ok or self._image is None:
            raise CameraLost(f"camera {self.index} returned no image")
        return self._image

    def release(self) -> None:
        self._cap.release()


class PacedFile:
    """A video file played back in real time, as if it were a webcam."""

    def __init__(self, path: Path, loop: bool = False, clock: Callable[[], float] = time.monotonic):
        self.path = Path(path)
        self.name = str(path)
        self.loop = loop
        self.clock = clock
        if self.path.is_dir():
            raise SourceError(f"{self.path} is a folder, not a video file")
        if not self.path.is_file():
            raise SourceError(f"video not found: {self.path}")
        self._open()
        # What the header announces, to tell a truncated file from a short one.
        self.frame_count = max(int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        self._ended_once = False
        self._started = clock()
        self.frames_grabbed = 0
        self.frames_decoded = 0
        self._image: np.ndarray | None = None

    def _open(self) -> None:
        # One decoding thread: a stream paced in real time never needs more,
        # and FFmpeg's thread pool costs more CPU a frame (0.27 against
        # 0.34-0.40 ms at 640x480, measured): at 30 fps, 0.2-0.4 % of a core.
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
        if not self._cap.isOpened():
            raise SourceError(f"cannot open {self.path} as a video (not a video, or unreadable)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self._frame_s = 1.0 / fps if 0 < fps < 1000 else 1 / 30
        self._next = 0  # index of the next frame to grab (counted: no rounding drift)

    def _rewind(self) -> None:
        """Back to the first frame: a seek (the start is a keyframe) keeps the
        decoder and its threads; reopening, the fallback, builds them anew."""
        if not self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            self._cap.release()
            self._open()
        self._next = 0

    def read(self) -> np.ndarray:
        target = self.clock() - self._started
        grabbed = False
        while self._next * self._frame_s <= target + 1e-6 or not grabbed:
            if not self._cap.grab():
                if self._next == 0:
                    raise SourceError(f"{self.path} holds no readable video frames")
                self._ended()
                if not self.loop:
                    raise EndOfSource(self.name)
                self._rewind()
                self._started = self.clock()
                target = 0.0
                continue
            grabbed = True
            self.frames_grabbed += 1
            self._next += 1
        ok, self._image = self._cap.retrieve(self._image)
        if not ok or self._image is None:
            raise SourceError(f"{self.path}: a frame could not be decoded")
        self.frames_decoded += 1
        return self._image

    def _ended(self) -> None:
        """The first time the file ends, say so if it ends early (as replay does)."""
        if not self._ended_once:
            self._ended_once = True
            last_t = (self._next - 1) * self._frame_s
            warn_if_cut_short(self.path, last_t, self._next, self.frame_count)

    def release(self) -> None:
        self._cap.release()


def open_capture(spec: str, loop: bool = False) -> Capture:
    """A camera index ("0") or a video file."""
    if spec.isdigit():
        return CameraCapture(int(spec))
    return PacedFile(Path(spec).expanduser(), loop=loop)
