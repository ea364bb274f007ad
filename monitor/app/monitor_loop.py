"""The live loop behind `posture-monitor run`.

It reads the clock once per frame and passes `t` down; everything it touches
is injected (capture, pose estimator, tracker, recorder, announcer, clock,
output), so tests drive it with a recorded file, a failing capture and a
fake clock. It owns the things a day at a laptop throws at it: a camera that
is busy or disappears (state unknown, retried with back-off), a suspend (a
jump in wall-clock time: a gap, never sitting), a pause (camera released),
Ctrl-C or a closed terminal (a clean stop, whose output may have nowhere to go).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

import numpy as np

from monitor.app.status import CLEAR_LINE, MOVED, status_line
from monitor.capture.change import ChangeDetector
from monitor.capture.live import CameraLost, Capture, EndOfSource
from monitor.core import metrics
from monitor.core.alerts import format_minutes
from monitor.core.posture import RECALIBRATE
from monitor.core.sample import PoseSample
from monitor.core.tracker import Step, Tracker
from monitor.core.values import Alert, PostureState, Presence
from monitor.settings import Settings
from monitor.storage.control import UNTIL_RESUMED_S

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
# Without a terminal the status goes out as a line this often (and on changes).
STATUS_EVERY_S = 60.0
MOVED_REPEAT_S = 3600.0  # the "camera moved" line again at most this often
# An unchanged frame reuses the last pose for at most this long, so a
# frozen picture cannot hide a real change for ever.
MAX_REUSE_S = 30.0


def write_out(stream: TextIO, text: str) -> bool:
    """Write and flush `text`; False if the output has gone: a closed terminal
    (EIO, after SIGHUP) or a closed pipe (EPIPE). Everything is recorded and
    logged anyway, so the log only notes what went unseen."""
    try:
        stream.write(text)
        stream.flush()
    except OSError as exc:
        log.info("output lost (%s): %r", exc, text.strip().partition("\n")[0])
        return False
    return True


class Estimator(Protocol):
    def estimate(self, t_s: float, bgr: np.ndarray) -> PoseSample: ...


class Recorder(Protocol):
    def add(self, step: Step, hips_visible: bool) -> None: ...

    def close(self, stop_t: float, events: list) -> None: ...


class Announcer(Protocol):
    def announce(self, alert: Alert, repeat: int = 0) -> str: ...


@dataclass
class Session:
    """What one run saw, for the closing summary."""

    started_t: float | None = None
    last_t: float | None = None
    analysed: int = 0
    reused: int = 0
    seated_steps: int = 0
    # Seconds judged good or in drift: a frame stands for the time until the
    # next one (frames come 0.5 to 5 a second, so counting them would not be
    # time), up to the longest gap still counted as monitored.
    monitored_s: float = 0.0  # the gaps (a suspend, a pause) left out, as the report does
    good_s: float = 0.0
    drift_s: float = 0.0
    last_posture: PostureState | None = None  # of the last frame, if judged while seated
    alerts: list[Alert] = field(default_factory=list)
    camera_losses: int = 0


class LiveMonitor:
    def __init__(
        self,
        open_capture: Callable[[], Capture],
        estimator: Estimator,
        tracker: Tracker,
        settings: Settings,
        *,
        recorder: Recorder | None = None,
        announcer: Announcer | None = None,
        wall: Callable[[], float] = time.time,
        origin: float | None = None,
        paused_until: Callable[[float], float | None] = lambda now: None,
        snoozed_until: Callable[[float], float | None] = lambda now: None,
        out: TextIO = sys.stderr,
        on_frame: Callable[[np.ndarray, PoseSample, Step, float], bool] | None = None,
        stop: threading.Event | None = None,
        on_sample: Callable[[PoseSample], str | None] | None = None,
    ) -> None:
        self.open_capture = open_capture
        self.estimator = estimator
        self.tracker = tracker
        self.settings = settings
        self.recorder = recorder
        self.announcer = announcer
        self.wall = wall
        self.paused_until = paused_until
        self.snoozed_until = snoozed_until
        self.out = out
        self.on_frame = on_frame
        self.on_sample = on_sample  # sees each sample first (a calibration asked from the tray)
        self.session = Session()
        self._stop = stop or threading.Event()
        self._capture: Capture | None = None
        # The tracker's t is seconds since `origin` on the wall clock (the
        # recorder maps it back with the same origin).
        self._t_offset = -(wall() if origin is None else origin)
        self._last_t = -np.inf
        self._last_sample: PoseSample | None = None
        self._changes = ChangeDetector(settings.sampling.still_threshold)
        self._backoff_s = 1.0
        self._retry_at = 0.0
        self._lost_since: float | None = None  # wall time the camera was lost
        self._last_status = -np.inf
        self._last_line_t = -np.inf
        self._last_note = ""
        self._moved = False
        self._moved_said_at = -np.inf  # wall time of the last "camera moved" line
        self._repeats: dict[str, int] = {}
        self._bout_seen: float | None = None
        self._state_seen: tuple | None = None  # presence, posture and issues last step
        self._changed_t = -np.inf  # when they last changed
        self.last_step: Step | None = None
        self.note = ""
        self._out_lost = False

    def stop(self) -> None:
        self._stop.set()

    def sleep(self, seconds: float) -> None:
        self._stop.wait(max(0.0, seconds))

    def _now(self) -> float:
        """Seconds since start on the wall clock, never running backwards.

        A jump forwards (suspend, resume) is kept: the tracker sees a gap,
        which is not sitting. A jump backwards is absorbed.
        """
        t = self.wall() + self._t_offset
        if t <= self._last_t:
            self._t_offset += self._last_t - t + 1e-3
            t = self._last_t + 1e-3
        self._last_t = t
        return t

    def rate(self) -> float:
        """Analysed frames a second: faster while a change is pending, slower when away."""
        s = self.settings.sampling
        step = self.last_step
        if step is None or self.tracker.pending():
            return s.fast_fps if step is not None else s.fps
        if step.sample.presence is Presence.AWAY and self.tracker.sitting.bout_start is None:
            return s.away_fps
        if step.sample.t - self._changed_t >= s.steady_after_s:
            return min(s.steady_fps, s.fps)  # a long quiet stretch needs fewer looks
        return s.fps

    def run(self) -> Session:
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                self.tick()
                self.sleep(1.0 / self.rate() - (time.monotonic() - started))
        except EndOfSource:
            log.info("the recording has ended")
        finally:
            self.finish()
        return self.session

    def tick(self) -> None:
        """One turn of the loop: maybe pause, maybe reconnect, analyse one frame."""
        wall = self.wall()
        until = self.paused_until(wall)
        if until is not None:
            self._release()
            self.last_step = None  # nothing is seen: unknown, never sitting
            self.session.last_posture = None  # nor judged: the time is not good or drift
            end = time.strftime("%H:%M", time.localtime(until))
            # The tray's "until resumed" is a pause of years: no clock time for it.
            self.note = f"paused until {'resumed' if until - wall > UNTIL_RESUMED_S / 2 else end}"
            self._status(self._now())
            return
        if self._capture is None and not self._reconnect(wall):
            self._status(self._now())
            return
        assert self._capture is not None
        try:
            image = self._capture.read()
        except CameraLost as exc:
            self._lost(wall, str(exc))
            return
        t = self._now()
        self.note = ""
        snooze = self.snoozed_until(wall)
        if snooze is not None:  # idempotent: holds the next alert back until then
            self.tracker.break_alerts.snooze(t, snooze - wall)
        self.step(t, image)

    def step(self, t: float, image: np.ndarray) -> Step:
        previous = self._last_sample
        changed = self._changes.changed(image)  # also remembers the first frame
        if previous is not None and t - previous.t_s < MAX_REUSE_S and not changed:
            sample = PoseSample(t, previous.width, previous.height, previous.image, previous.world)
            self.session.reused += 1
        else:
            sample = self.estimator.estimate(t, image)
            self._last_sample = sample
        said = self.on_sample(sample) if self.on_sample is not None else None
        if said:
            self._write(f"\n[{time.strftime('%H:%M', time.localtime(self.wall()))}] {said}\n")
        step = self.tracker.step(sample)
        self.last_step = step
        self._account(t, step)
        if self.recorder is not None:
            self.recorder.add(step, metrics.hips_visible(sample))
        for alert in step.alerts:
            self._alert(alert)
        self._camera_moved(step)
        self._status(t)
        if self.on_frame is not None and not self.on_frame(image, sample, step, self.rate()):
            self.stop()
        return step

    def _account(self, t: float, step: Step) -> None:
        s = self.session
        if s.last_t is not None:
            dt = min(t - s.last_t, self.settings.sitting.max_gap_s)
            s.monitored_s += dt
            s.good_s += dt * (s.last_posture is PostureState.GOOD)
            s.drift_s += dt * (s.last_posture is PostureState.DRIFT)
        s.started_t = t if s.started_t is None else s.started_t
        s.last_t = t
        s.analysed += 1
        s.last_posture = None
        if step.sample.presence is Presence.SEATED:
            s.seated_steps += 1
            s.last_posture = step.sample.posture
        state = (step.sample.presence, step.sample.posture, step.sample.issues)
        if state != self._state_seen:
            self._state_seen, self._changed_t = state, t
        if self.tracker.sitting.bout_start != self._bout_seen:
            self._bout_seen = self.tracker.sitting.bout_start
            self._repeats["break"] = 0
        if step.sample.posture is not PostureState.DRIFT:
            self._repeats["posture"] = 0

    def _alert(self, alert: Alert) -> None:
        self.session.alerts.append(alert)
        repeat = self._repeats.get(alert.kind, 0)
        self._repeats[alert.kind] = repeat + 1
        outcome = self.announcer.announce(alert, repeat) if self.announcer else "not announced"
        stamp = time.strftime("%H:%M", time.localtime(self.wall()))
        sound = outcome.split(":", 1)[0]  # the reason is in the log
        self._write(f"\n[{stamp}] {alert.kind}: {alert.detail} (sound: {sound})\n")
        log.info("alert %s (%s): %s", alert.kind, outcome, alert.detail)

    def _camera_moved(self, step: Step) -> None:
        """Say clearly when posture is not judged because the camera moved; the
        status line says it all along, so a line at most once an hour: a user
        who turns to a colleague now and then must not get one each time."""
        moved = RECALIBRATE in step.notes
        if moved and not self._moved:
            log.info("%s", MOVED)
            now = self.wall()
            if now - self._moved_said_at >= MOVED_REPEAT_S:
                self._moved_said_at = now
                stamp = time.strftime("%H:%M", time.localtime(now))
                self._write(f"\n[{stamp}] {MOVED}\n")
        if moved or step.sample.posture is not PostureState.UNKNOWN:
            self._moved = moved

    def _reconnect(self, wall: float) -> bool:
        if wall < self._retry_at:
            return False
        try:
            self._capture = self.open_capture()
        except CameraLost as exc:
            self._lost(wall, str(exc))
            return False
        if self._lost_since is not None:
            log.warning("the camera is back after %s", format_minutes(wall - self._lost_since))
        self._lost_since = None
        self._backoff_s = 1.0
        self.note = ""
        return True

    def _lost(self, wall: float, why: str) -> None:
        """The camera is gone or busy: state unknown (a gap), retry with back-off."""
        self._release()
        self.last_step = None  # unknown until a frame arrives: never sitting
        self.session.last_posture = None
        if self._lost_since is None:
            self._lost_since = wall
            self.session.camera_losses += 1
        log.warning("%s; retrying in %.0f s", why, self._backoff_s)
        self._retry_at = wall + self._backoff_s
        self._backoff_s = min(self._backoff_s * 2, MAX_BACKOFF_S)
        self.note = f"camera unavailable ({why}), retrying"
        self._status(self._now())

    def _release(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _status(self, t: float) -> None:
        """On a terminal, rewrite the status line (at most once a second); else
        write it as a line every STATUS_EVERY_S and whenever the note changes."""
        changed = self.note != self._last_note
        if not changed and t - self._last_status < 1.0:
            return
        self._last_status = t
        self._last_note = self.note
        line = status_line(self.last_step, self.rate(), self.note)
        if self.out.isatty():
            self._write(CLEAR_LINE + line)
        elif changed or t - self._last_line_t >= STATUS_EVERY_S:
            self._last_line_t = t
            self._write(line + "\n")

    def _write(self, text: str) -> None:
        """Write to the output; once it has gone, go on without it: monitoring
        never needs a screen."""
        if not self._out_lost:
            self._out_lost = not write_out(self.out, text)

    def finish(self) -> None:
        self._release()
        t = self.session.last_t if self.session.last_t is not None else self._now()
        events = self.tracker.finish(t)
        if self.recorder is not None:
            self.recorder.close(t, events)
        if self.out.isatty():
            self._write("\n")

    def summary(self) -> str:
        s = self.session
        if s.started_t is None or s.last_t is None:
            return "nothing was analysed"
        # A bout of no length (one seated frame, then the end) is no sitting,
        # and the report does not count it either.
        bouts = [b for b in self.tracker.bouts if b.duration_s > 0]
        sat = sum(b.duration_s for b in bouts)
        longest = max((b.duration_s for b in bouts), default=0.0)
        posture = ""
        if s.good_s + s.drift_s > 0:
            share = s.good_s / (s.good_s + s.drift_s)
            posture = f", posture good {100 * share:.0f}% of judged time"
        if s.camera_losses:
            posture += f", camera lost {s.camera_losses} time(s)"
        return (
            f"monitored {format_minutes(s.monitored_s)}: sat {format_minutes(sat)} in "
            f"{len(bouts)} bout(s) (longest {format_minutes(longest)}), "
            f"{len(self.tracker.breaks)} break(s), {len(s.alerts)} alert(s){posture}"
        )
