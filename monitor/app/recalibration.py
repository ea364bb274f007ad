"""'Calibrate now' while `run` runs: from the tray menu or a posture alert's
"Recalibrate" button, without stopping the monitor or opening the camera twice.

`request()` may be called from any thread; the live loop hands each pose
sample to `feed` (its `on_sample` hook), which collects `posture.calibrate_s`
seconds of them, builds the profile as `calibrate` does, saves it under the
running profile's name, and has the tracker judge against it from then on.
What it says (start, done, or why not) goes back to the loop as a line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from monitor.core import profile as profiles
from monitor.core.profile import Profile
from monitor.core.sample import PoseSample
from monitor.core.tracker import Tracker
from monitor.errors import ProfileError

log = logging.getLogger(__name__)


class Recalibration:
    def __init__(
        self,
        tracker: Tracker,
        name: str,
        seconds: float,
        mirrored: bool,
        save: Callable[[Profile, str], Path],
        on_done: Callable[[str], None] | None = None,
    ) -> None:
        self.tracker = tracker
        self.name = name
        self.seconds = seconds
        self.mirrored = mirrored
        self.save = save
        self.on_done = on_done  # e.g. a notification saying how it went
        self._asked = threading.Event()
        self._samples: list[PoseSample] | None = None  # collecting while not None
        self.profile: Profile | None = None  # the last one made

    def request(self) -> None:
        """Start a calibration at the next frame (thread-safe; twice is once)."""
        self._asked.set()

    @property
    def collecting(self) -> bool:
        return self._samples is not None

    def feed(self, sample: PoseSample) -> str | None:
        if self._samples is None:
            if not self._asked.is_set():
                return None
            self._asked.clear()
            self._samples = []
            return (
                f"calibrating: sit supported and upright, still, for {self.seconds:g} s"
            )
        self._samples.append(sample)
        if sample.t_s - self._samples[0].t_s < self.seconds:
            return None
        samples, self._samples = self._samples, None
        try:
            made = profiles.build(samples, self.name, self.mirrored)
            path = self.save(made, self.name)
        except ProfileError as exc:
            said = f"calibration failed: {exc}; the old profile stays"
        else:
            self.tracker.use_profile(made)
            self.profile = made
            said = f"calibrated: saved profile '{made.name}' to {path}; posture judged against it"
        log.info("%s", said)
        if self.on_done is not None:
            self.on_done(said)
        return said
