"""Guided calibration: tell the user how to sit, count down, collect, check, save."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from monitor.capture.pose import PoseEstimator
from monitor.capture.sources import CameraSource, ImageFolderSource, VideoFileSource, open_source
from monitor.core import profile as profiles
from monitor.core.profile import Profile
from monitor.core.sample import PoseSample
from monitor.errors import ProfileError
from monitor.storage import profiles as profile_files

INSTRUCTIONS = """\
Calibration: sit the way you want to sit.
  - hips to the back of the seat, lower back supported by the backrest
  - upright and relaxed, shoulders level, head over the shoulders
  - feet flat on the floor, screen at eye level
Hold still while the monitor looks."""

CALIBRATION_FPS = 5.0
# A stretch that ends within half an analysis interval of what was asked is
# complete: no sample more would have been taken.
COMPLETE_WITHIN_S = 0.5 / CALIBRATION_FPS


def guided(
    source_spec: str,
    name_or_path: str,
    model: Path,
    seconds: float,
    start_s: float = 0.0,
    countdown: int = 3,
    say: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    mirrored: bool = False,
) -> tuple[Profile, Path]:
    # A bad name or a folder that cannot take the profile fails before the camera opens.
    target = profile_files.writable(name_or_path)
    source = open_source(source_spec)
    say(INSTRUCTIONS)
    if isinstance(source, CameraSource):
        for n in range(countdown, 0, -1):
            say(f"  {n}…")
            sleep(1.0)
    say(f"Collecting {seconds:g} s of samples…")
    samples: list[PoseSample] = []
    ended_s: float | None = None  # where a file ended before the stretch was collected
    try:
        # The same sides as `run` sees, or the baseline's tilts would have the other sign.
        with PoseEstimator(model, stills=source.stills, mirrored=mirrored) as estimator:
            first: float | None = None
            for frame in source.frames(CALIBRATION_FPS):
                if frame.t_s < start_s:
                    continue
                first = frame.t_s if first is None else first
                if frame.t_s - first > seconds:
                    break
                samples.append(estimator.estimate(frame.t_s, frame.image))
                sys.stderr.write(".")
                sys.stderr.flush()
            else:  # the file ended (a camera never does), and now knows its true length
                ended_s = float(getattr(source, "duration_s", 0.0))
    finally:
        source.close()
        sys.stderr.write("\n")
    if not samples:
        raise ProfileError(
            f"no frames after {start_s:g} s in {source_spec}; nothing to calibrate from"
        )
    _check_complete(source, source_spec, seconds, first, ended_s)
    profile = profiles.build(samples, target.stem, mirrored)  # refuses too few frames
    return profile, profile_files.save(profile, str(target))


def _check_complete(
    source: VideoFileSource | ImageFolderSource | CameraSource,
    source_spec: str,
    seconds: float,
    first_s: float | None,
    ended_s: float | None,
) -> None:
    """ProfileError if a recording ended before the asked stretch.

    A profile from a cut-off stretch would replace a good one with a baseline
    of a fraction of a second. Stills are exempt: their times are made up,
    one a second, and every photo is used.
    """
    if ended_s is not None and first_s is not None and not source.stills:
        got_s = max(ended_s - first_s, 0.0)
        if got_s < seconds - COMPLETE_WITHIN_S:
            where, earlier = "", ""
            if first_s >= COMPLETE_WITHIN_S:
                where = f" from {first_s:.1f} s"
                if ended_s >= seconds:
                    earlier = f"--start {ended_s - seconds:.1f} or earlier, "
            raise ProfileError(
                f"{source_spec} ends at {ended_s:.1f} s: got {got_s:.1f} s of the {seconds:g} s "
                f"asked{where}; nothing saved (use {earlier}fewer --seconds, or a longer "
                "recording)"
            )
