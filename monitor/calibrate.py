"""Guided calibration: tell the user how to sit, count down, collect, check, save."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from monitor import profile as profiles
from monitor.errors import ProfileError
from monitor.pose import PoseEstimator
from monitor.profile import Profile
from monitor.sample import PoseSample
from monitor.sources import CameraSource, open_source

INSTRUCTIONS = """\
Calibration: sit the way you want to sit.
  - hips to the back of the seat, lower back supported by the backrest
  - upright and relaxed, shoulders level, head over the shoulders
  - feet flat on the floor, screen at eye level
Hold still while the monitor looks."""

CALIBRATION_FPS = 5.0


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
    target = profiles.writable(name_or_path)
    source = open_source(source_spec)
    say(INSTRUCTIONS)
    if isinstance(source, CameraSource):
        for n in range(countdown, 0, -1):
            say(f"  {n}…")
            sleep(1.0)
    say(f"Collecting {seconds:g} s of samples…")
    samples: list[PoseSample] = []
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
    finally:
        source.close()
        sys.stderr.write("\n")
    if not samples:
        raise ProfileError(
            f"no frames after {start_s:g} s in {source_spec}; nothing to calibrate from"
        )
    profile = profiles.build(samples, target.stem, mirrored)
    return profile, profiles.save(profile, str(target))
