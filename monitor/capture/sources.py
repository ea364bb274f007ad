"""Frame sources for replay and calibration: a webcam, a video or a folder of images.

A source is iterated, each frame stamped in seconds; it is pulled as fast as
the analysis goes. (`run` pulls on its own schedule instead: see
`monitor.capture.live`.) Every frame carries a timestamp in seconds. A camera is stamped by the
injected clock (monotonic by default); a file by its own frame times, so a
replay is deterministic. Sampling at a target rate skips frames with
`grab()` and decodes only those that are analysed.
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from monitor.errors import SourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True, eq=False)
class Frame:
    t_s: float
    image: np.ndarray  # BGR, as OpenCV decodes it


class FrameSource(Protocol):
    """Anything that yields timestamped frames; `stills` means unrelated images."""

    name: str
    stills: bool

    def frames(self, max_fps: float | None = None) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def _quiet_native_logs() -> None:
    """Keep OpenCV's and FFmpeg's console chatter off stderr.

    Probing a missing camera or reading a damaged file makes them print dozens
    of lines straight to stderr; our own errors and warnings say what went
    wrong instead. --verbose (POSTURE_MONITOR_NATIVE_LOGS=1) leaves them on.
    """
    if os.environ.get("POSTURE_MONITOR_NATIVE_LOGS") == "1":
        return
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET, read at first open
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_FATAL)


_quiet_native_logs()


class _Pacer:
    """Decides which timestamps to analyse so that at most `max_fps` pass."""

    def __init__(self, max_fps: float | None) -> None:
        self.interval_s = 1.0 / max_fps if max_fps else 0.0
        self.next_s: float | None = None

    def due(self, t_s: float) -> bool:
        # The millisecond tolerance keeps a 30 fps file sampled at 5 fps on
        # every sixth frame despite rounded timestamps.
        if self.next_s is not None and t_s + 1e-3 < self.next_s:
            return False
        if self.next_s is None:
            self.next_s = t_s + self.interval_s
        else:  # keep the schedule, but restart it after a gap in time
            self.next_s = max(self.next_s + self.interval_s, t_s + self.interval_s / 2)
        return True


class VideoFileSource:
    """A recorded video, stamped with its own frame times."""

    stills = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_file():
            raise SourceError(f"video not found: {self.path}")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"cannot open {self.path} as a video (not a video, or unreadable)")
        self.fps = self._cap.get(cv2.CAP_PROP_FPS) or 30.0
        if not (0 < self.fps < 1000):
            self.fps = 30.0
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = max(count, 0)
        self.duration_s = self.frame_count / self.fps if self.frame_count else 0.0
        self.frames_read = 0
        self.frames_decoded = 0

    def _timestamp(self, index: int) -> float:
        # POS_MSEC follows the container's own timestamps (variable frame
        # rates included); fall back to the index where it reports nothing.
        t_ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        return t_ms / 1000.0 if t_ms > 0 or index == 0 else index / self.fps

    def frames(self, max_fps: float | None = None) -> Iterator[Frame]:
        pacer = _Pacer(max_fps)
        index = 0
        last_t = -1.0
        while self._cap.grab():
            t_s = self._timestamp(index)
            if t_s <= last_t:  # some containers repeat a stamp; keep time strictly rising
                t_s = last_t + 1e-3
            last_t = t_s
            index += 1
            self.frames_read = index
            if not pacer.due(t_s):
                continue
            ok, image = self._cap.retrieve()
            if not ok or image is None:
                continue  # a damaged frame: skip it, keep what comes after
            self.frames_decoded += 1
            yield Frame(t_s, image)
        if index == 0:
            raise SourceError(f"{self.path} holds no readable video frames (empty or corrupt)")
        # The video lasts as long as what could be read: a truncated file's
        # header still announces the whole length.
        warn_if_cut_short(self.path, last_t, index, self.frame_count)
        self.duration_s = last_t + 1.0 / self.fps

    def close(self) -> None:
        self._cap.release()


def warn_if_cut_short(path: Path, last_t: float, frames_read: int, frames_announced: int) -> None:
    """Warn that a video ended before the length its header announces (a
    truncated or damaged file), in the same words for replay, calibrate and run."""
    if frames_read < frames_announced - max(2, frames_announced // 50):
        log.warning(
            "%s ends after %.1f s, %d of the %d frames its header announces "
            "(truncated or damaged); analysed what could be read",
            path, last_t, frames_read, frames_announced,
        )  # fmt: skip


class ImageFolderSource:
    """A folder or glob of still images, one frame each, a second apart."""

    stills = True

    def __init__(self, pattern: str | Path, interval_s: float = 1.0) -> None:
        pattern = str(pattern)
        folder = Path(pattern)
        if folder.is_dir():
            files = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
        else:
            files = [Path(p) for p in sorted(glob.glob(pattern))]
            files = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise SourceError(f"no images found at {pattern}")
        self.name = pattern
        self.files = files
        self.interval_s = interval_s
        self.duration_s = len(files) * interval_s

    def frames(self, max_fps: float | None = None) -> Iterator[Frame]:
        """Each readable image in turn; one that cannot be read (damaged, not an
        image) is skipped with a warning, its second left as a gap, as a damaged
        video is analysed up to the damage. None readable is a SourceError."""
        read = 0
        for i, path in enumerate(self.files):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                log.warning("skipping %s: it cannot be read as an image", path)
                continue
            read += 1
            yield Frame(i * self.interval_s, image)
        if not read:
            raise SourceError(f"none of the images at {self.name} can be read")

    def close(self) -> None:
        pass


class CameraSource:
    """A webcam by index, stamped by the injected clock.

    Frames that will not be analysed are grabbed (to keep the camera's
    buffer fresh) but never decoded.
    """

    stills = False

    def __init__(
        self,
        index: int,
        *,
        width: int = 640,
        height: int = 480,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.index = index
        self.name = f"camera {index}"
        self.clock = clock
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            raise missing_camera(index, available_cameras(exclude=index))
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def frames(self, max_fps: float | None = None) -> Iterator[Frame]:
        pacer = _Pacer(max_fps)
        while True:
            if not self._cap.grab():
                raise SourceError(f"camera {self.index} stopped delivering frames")
            t_s = self.clock()
            if not pacer.due(t_s):
                continue
            ok, image = self._cap.retrieve()
            if ok and image is not None:
                yield Frame(t_s, image)

    def close(self) -> None:
        self._cap.release()


def available_cameras(limit: int = 8, exclude: int | None = None) -> list[int]:
    """Camera indices that open (Linux: the /dev/video* nodes; else by probing)."""
    nodes = sorted(glob.glob("/dev/video[0-9]*"))
    if nodes:
        return [int(n.removeprefix("/dev/video")) for n in nodes if n != f"/dev/video{exclude}"]
    found = []
    for i in range(limit):
        if i == exclude:
            continue
        cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append(i)
        cap.release()
    return found


def missing_camera(index: int, found: list[int]) -> SourceError:
    """The one wording, for `run` and `calibrate` alike, of a camera that is not there."""
    listing = ", ".join(map(str, found)) if found else "none found"
    return SourceError(f"camera {index} does not exist (cameras available: {listing})")


def open_source(spec: str) -> VideoFileSource | ImageFolderSource | CameraSource:
    """A camera index ("0"), a video file, or a folder or glob of images."""
    if spec.isdigit():
        return CameraSource(int(spec))
    path = Path(spec).expanduser()
    if path.is_dir() or any(ch in spec for ch in "*?["):
        return ImageFolderSource(spec)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageFolderSource(spec)
    return VideoFileSource(path)
