"""The live loop on simulated time: a fake wall clock, a fake camera, hand-made poses.

`LiveMonitor.tick()` is one turn of the loop; these tests call it and move the
fake clock on by one sampling interval, so an hour of sitting takes well
under a second and every retry of a lost camera happens at a known time.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import clip

from monitor import settings as config
from monitor.app.monitor_loop import LiveMonitor
from monitor.app.session import say
from monitor.app.status import MOVED, status_line
from monitor.capture.live import CameraLost, EndOfSource, PacedFile
from monitor.capture.sources import VideoFileSource
from monitor.core.landmarks import COUNT, Landmark
from monitor.core.sample import VISIBILITY, PoseSample, X, Y
from monitor.core.tracker import Step, Tracker
from monitor.core.values import Alert, PostureState, Presence, TimelineSample
from monitor.storage.store import Store

W, H = 640, 480


def seated(t: float) -> PoseSample:
    """Someone seen from the side on a chair: trunk upright, thigh level."""
    points = {
        Landmark.NOSE: (345, 95),
        Landmark.LEFT_EAR: (305, 105),
        Landmark.LEFT_SHOULDER: (300, 170),
        Landmark.RIGHT_SHOULDER: (296, 172),
        Landmark.LEFT_HIP: (300, 330),
        Landmark.RIGHT_HIP: (296, 330),
        Landmark.LEFT_KNEE: (440, 330),
        Landmark.RIGHT_KNEE: (436, 330),
    }
    image = np.zeros((COUNT, 5))
    for landmark, (x, y) in points.items():
        image[landmark, [X, Y]] = x / W, y / H
        image[landmark, VISIBILITY] = image[landmark, 4] = 0.99
    return PoseSample(t, W, H, image)


def nobody(t: float) -> PoseSample:
    return PoseSample(t, W, H)


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Camera:
    """A capture factory: each frame differs (so each is analysed); fails on cue."""

    def __init__(self, clock: Clock, lost: tuple[float, float] | None = None) -> None:
        self.clock, self.lost = clock, lost
        self.opened: list[float] = []  # wall times of every attempt to open
        self.released = 0
        self.frames = 0

    def _gone(self) -> bool:
        return self.lost is not None and self.lost[0] <= self.clock.t < self.lost[1]

    def __call__(self) -> Camera:
        self.opened.append(self.clock.t)
        if self._gone():
            raise CameraLost("camera 0 stopped delivering frames")
        return self

    name = "fake camera"

    def read(self) -> np.ndarray:
        if self._gone():
            raise CameraLost("camera 0 stopped delivering frames")
        self.frames += 1
        return np.full((24, 32, 3), (self.frames * 37) % 256, np.uint8)

    def release(self) -> None:
        self.released += 1


class Estimator:
    def __init__(self, who=seated) -> None:  # type: ignore[no-untyped-def]
        self.who = who
        self.calls = 0

    def estimate(self, t_s: float, bgr: np.ndarray) -> PoseSample:
        self.calls += 1
        return self.who(t_s)


class Announcer:
    def __init__(self) -> None:
        self.heard: list[tuple[Alert, int]] = []

    def announce(self, alert: Alert, repeat: int = 0) -> str:
        self.heard.append((alert, repeat))
        return "played"


def make(
    clock: Clock,
    camera: Camera | None = None,
    estimator: Estimator | None = None,
    *assignments: str,
    **kw,  # type: ignore[no-untyped-def]
) -> LiveMonitor:
    settings = config.load(Path("/nonexistent.toml"), list(assignments)).settings
    return LiveMonitor(
        camera or Camera(clock),
        estimator or Estimator(),
        Tracker(settings),
        settings,
        wall=clock,
        out=io.StringIO(),
        **kw,
    )


def run_for(monitor: LiveMonitor, clock: Clock, seconds: float) -> None:
    """Turn the loop at its own rate for `seconds` of simulated wall time."""
    end = clock.t + seconds
    while clock.t < end - 1e-9:
        monitor.tick()
        clock.t += 1.0 / monitor.rate()


def test_the_hand_made_figure_is_seated_and_nobody_is_away() -> None:
    tracker = Tracker(config.DEFAULTS)
    steps = [tracker.step(seated(t / 2)) for t in range(6)]
    assert steps[-1].sample.presence is Presence.SEATED
    steps = [tracker.step(nobody(3 + t / 2)) for t in range(6)]
    assert steps[-1].sample.presence is Presence.AWAY


def test_an_hour_of_sitting_raises_a_break_alert_at_3000_s() -> None:
    clock = Clock()
    start = clock.t
    announcer = Announcer()
    monitor = make(clock, announcer=announcer)
    run_for(monitor, clock, 3600)
    breaks = [a for a in monitor.session.alerts if a.kind == "break"]
    assert breaks, monitor.out.getvalue()[-500:]
    assert breaks[0].t == pytest.approx(3000, abs=1.0)
    # Then every break_repeat_s (600 s) while still seated, louder each time.
    assert [round(a.t) for a in breaks] == [3000, 3600][: len(breaks)]
    assert [r for a, r in announcer.heard if a.kind == "break"] == list(range(len(breaks)))
    step = monitor.last_step
    assert step is not None and step.sample.presence is Presence.SEATED
    assert step.sitting_s == pytest.approx(3600, abs=1.0)
    # About two analysed frames a second, all of them seated.
    # 2 a second for the first steady_after_s (30 s), then steady_fps (1.5)
    assert monitor.session.analysed == pytest.approx(2 * 30 + 1.5 * 3570, rel=0.01)
    assert monitor.session.seated_steps >= monitor.session.analysed - 5
    out = monitor.out.getvalue()
    assert "break: You have been sitting for 50 min" in out
    assert clock.t - start >= 3600


def test_a_suspend_is_a_gap_not_sitting_and_ends_the_bout(tmp_path: Path) -> None:
    from monitor.storage.recorder import Recorder

    clock = Clock()
    origin = clock.t
    settings = config.DEFAULTS
    with Store.open(tmp_path / "m.db") as store:
        recorder = Recorder(store, source="cam", model="full", settings=settings, started_at=origin)
        monitor = make(clock, recorder=recorder, origin=origin)
        run_for(monitor, clock, 600)
        before = monitor.last_step
        assert before is not None and before.sitting_s == pytest.approx(600, abs=1)
        clock.t += 2 * 3600  # the lid closed for two hours
        run_for(monitor, clock, 120)
        monitor.finish()
        rows = store.conn.execute(
            "SELECT sum(seated_s), sum(dur_s), max(t) - min(t) FROM samples"
        ).fetchone()
        bouts = store.conn.execute("SELECT t_start, t_end FROM bouts ORDER BY t_start").fetchall()
    bouts_rel = [(round(a - origin), round(b - origin)) for a, b in bouts]
    # The first bout ends where the frames stopped; sitting starts again after.
    assert len(bouts_rel) == 2, bouts_rel
    assert bouts_rel[0][1] == pytest.approx(600, abs=2)
    assert bouts_rel[1][0] == pytest.approx(600 + 7200, abs=2)
    assert [b.duration_s for b in monitor.tracker.bouts] == pytest.approx([600, 120], abs=2)
    # Only the seen minutes are recorded as sitting, never the two hours.
    seated_s, monitored_s, span_s = rows
    assert seated_s == pytest.approx(720, abs=10)
    assert monitored_s == pytest.approx(720, abs=10)
    assert span_s > 7200
    assert not [a for a in monitor.session.alerts if a.kind == "break"]


def test_the_rate_is_fast_while_a_change_is_pending_and_slow_when_away() -> None:
    clock = Clock()
    estimator = Estimator(seated)
    monitor = make(
        clock,
        None,
        estimator,
        "sampling.fps=3",
        "sampling.fast_fps=8",
        "sampling.away_fps=0.25",
        "sampling.steady_fps=2",
        "sampling.steady_after_s=30",
    )
    assert monitor.rate() == 3  # nothing seen yet
    run_for(monitor, clock, 10)
    assert monitor.rate() == 3  # seated, but not yet unchanged for 30 s
    run_for(monitor, clock, 50)
    assert monitor.rate() == 2  # a long steady stretch: fewer looks
    assert not monitor.tracker.pending()
    estimator.who = nobody  # the person leaves
    rates = []
    for _ in range(400):
        monitor.tick()
        rates.append((monitor.rate(), monitor.tracker.pending()))
        clock.t += 1.0 / monitor.rate()
    assert rates[0] == (8, True)
    pending = [r for r, p in rates if p]
    assert pending and set(pending) == {8}
    # Once the absence is confirmed and the bout has ended (a break), it slows down.
    assert monitor.tracker.sitting.bout_start is None
    assert rates[-1] == (0.25, False)
    assert "0.2 fps" in status_line(monitor.last_step, monitor.rate()) or "0.3 fps" in (
        status_line(monitor.last_step, monitor.rate())
    )
    estimator.who = seated  # back: fast again until the change is confirmed
    monitor.tick()
    assert monitor.rate() == 8


def test_a_lost_camera_is_unknown_retried_with_back_off_and_resumes(tmp_path: Path) -> None:
    from monitor.storage.recorder import Recorder

    clock = Clock()
    origin = clock.t
    camera = Camera(clock, lost=(origin + 100, origin + 200))
    with Store.open(tmp_path / "m.db") as store:
        recorder = Recorder(
            store, source="cam", model="full", settings=config.DEFAULTS, started_at=origin
        )
        # A fixed rate (never "steady") keeps the back-off times below exact.
        monitor = make(
            clock, camera, None, "sampling.steady_after_s=3600", recorder=recorder, origin=origin
        )
        run_for(monitor, clock, 100)
        assert monitor.last_step is not None
        assert monitor.last_step.sample.presence is Presence.SEATED
        frames = camera.frames
        run_for(monitor, clock, 50)
        # Lost: the state is unknown, nothing is analysed, the camera is released.
        assert monitor.last_step is None
        assert camera.frames == frames
        assert camera.released >= 1
        assert "camera unavailable" in monitor.note
        assert status_line(monitor.last_step, monitor.rate(), monitor.note).startswith(
            "unknown | camera unavailable"
        )
        run_for(monitor, clock, 100)
        monitor.finish()
        seated_s = store.conn.execute("SELECT sum(seated_s) FROM samples").fetchone()[0]
    # Retries after 1, 2, 4, ... s (at most 60 s apart) until the camera is back.
    waits = np.diff([t - origin for t in camera.opened[1:]]).round(1).tolist()
    assert [round(t - origin, 1) for t in camera.opened[:3]] == [0.0, 101.0, 103.0]
    assert waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    back_at = camera.opened[-1] - origin
    assert back_at == pytest.approx(223)
    assert monitor.last_step is not None
    assert monitor.last_step.sample.presence is Presence.SEATED
    assert monitor.note == ""
    assert monitor.session.camera_losses == 1
    # The 123 s without a camera are not sitting: a break between two bouts.
    assert [(round(b.start), round(b.end)) for b in monitor.tracker.bouts] == [(0, 100), (223, 250)]
    assert seated_s == pytest.approx(100 + 27, abs=6)
    out = monitor.out.getvalue()
    assert "unknown | camera unavailable (camera 0 stopped delivering frames), retrying" in out
    assert out.count("camera unavailable") <= 3  # a line on the change, not one per retry
    assert "camera lost 1 time(s)" in monitor.summary()


def test_a_pause_releases_the_camera_and_resumes_by_itself() -> None:
    clock = Clock()
    camera = Camera(clock)
    pause_end = clock.t + 90
    pause_start = clock.t + 30
    monitor = make(
        clock,
        camera,
        paused_until=lambda now: pause_end if pause_start <= now < pause_end else None,
    )
    run_for(monitor, clock, 40)
    assert camera.released == 1
    assert monitor.last_step is None
    assert monitor.note.startswith("paused until ")
    frames = camera.frames
    run_for(monitor, clock, 40)
    assert camera.frames == frames  # nothing read while paused
    run_for(monitor, clock, 30)
    assert camera.frames > frames
    assert len(camera.opened) == 2
    assert monitor.last_step is not None and monitor.note == ""


class Gone(io.StringIO):
    """A terminal that has closed: every write fails with EIO."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(errno.EIO, os.strerror(errno.EIO))


def test_a_closed_terminal_is_written_to_once_and_monitoring_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, estimator, out = Clock(), Estimator(), Gone()
    settings = config.DEFAULTS
    monitor = LiveMonitor(
        Camera(clock), estimator, Tracker(settings), settings, wall=clock, out=out
    )
    with caplog.at_level(logging.INFO, logger="monitor.app.monitor_loop"):
        run_for(monitor, clock, 200)  # a status line is due every 60 s
    assert out.writes == 1  # not tried again once gone
    lost = [r.getMessage() for r in caplog.records if "output lost" in r.getMessage()]
    assert len(lost) == 1 and "Input/output error" in lost[0]
    assert estimator.calls > 100 and monitor.session.analysed == estimator.calls


def test_say_to_a_closed_pipe_logs_once_then_writes_to_dev_null(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader has gone: writes fail with EPIPE
    with (
        os.fdopen(write, "w") as stream,
        caplog.at_level(logging.INFO, logger="monitor.app.monitor_loop"),
    ):
        say("monitored 1 h\nsecond line", stream)
        say("the day's report", stream)  # to /dev/null now: no error, nothing logged
    assert [r.getMessage() for r in caplog.records] == [
        "output lost ([Errno 32] Broken pipe): 'monitored 1 h'"
    ]


def test_unchanged_frames_reuse_the_last_pose_instead_of_running_the_model() -> None:
    clock = Clock()
    estimator = Estimator()

    class Still(Camera):
        def read(self) -> np.ndarray:
            self.frames += 1
            return np.zeros((24, 32, 3), np.uint8)

    monitor = make(clock, Still(clock), estimator)
    run_for(monitor, clock, 20)
    assert monitor.session.analysed == 40
    assert estimator.calls == 1  # the same picture: analysed once
    run_for(monitor, clock, 40)
    assert estimator.calls == 2  # but looked at again after MAX_REUSE_S


class MovedTracker(Tracker):
    """A tracker whose posture step says the camera moved (as PostureMonitor does)."""

    moved = True

    def step(self, sample: PoseSample) -> Step:
        step = super().step(sample)
        s = step.sample
        return Step(
            TimelineSample(
                s.t, s.presence, PostureState.UNKNOWN if self.moved else PostureState.GOOD, (), {}
            ),
            step.alerts,
            step.events,
            step.sitting_s,
            step.break_due_in_s,
            ("pelvic tilt not observable", "recalibrate?") if self.moved else (),
        )


def test_a_moved_camera_says_recalibrate_once_and_in_the_status_line() -> None:
    clock = Clock()
    settings = config.DEFAULTS
    tracker = MovedTracker(settings)
    monitor = LiveMonitor(
        Camera(clock), Estimator(), tracker, settings, wall=clock, out=io.StringIO()
    )
    run_for(monitor, clock, 30)
    out = monitor.out.getvalue()
    assert out.count(MOVED) == 1
    assert "recalibrate? (posture-monitor calibrate)" in MOVED
    line = status_line(monitor.last_step, monitor.rate())
    assert "camera moved: recalibrate?" in line
    tracker.moved = False
    run_for(monitor, clock, 5)
    tracker.moved = True
    run_for(monitor, clock, 5)
    # a turn away and back within the hour: the status line says it, no new line
    assert monitor.out.getvalue().count(MOVED) == 1
    tracker.moved = False
    clock.t += 3600
    run_for(monitor, clock, 5)
    tracker.moved = True
    run_for(monitor, clock, 5)
    assert monitor.out.getvalue().count(MOVED) == 2  # an hour later, said again


class ScriptedPosture(Tracker):
    """A tracker whose posture is whatever the test sets."""

    judged = PostureState.GOOD

    def step(self, sample: PoseSample) -> Step:
        step = super().step(sample)
        s = step.sample
        scripted = TimelineSample(s.t, s.presence, self.judged, (), {})
        return Step(scripted, step.alerts, step.events, step.sitting_s, step.break_due_in_s)


def test_the_summary_weighs_posture_by_time_not_by_frames() -> None:
    """A minute of good posture seen every 2 s, then 10 s of drift at 5 frames a
    second: by time 86 % good (by frames it would be 38 %)."""
    clock = Clock()
    tracker = ScriptedPosture(config.DEFAULTS)
    monitor = LiveMonitor(
        Camera(clock), Estimator(), tracker, config.DEFAULTS, wall=clock, out=io.StringIO()
    )
    for posture, frames, every_s in ((PostureState.GOOD, 30, 2.0), (PostureState.DRIFT, 50, 0.2)):
        tracker.judged = posture
        for _ in range(frames):
            monitor.tick()
            clock.t += every_s
    assert "posture good 86% of judged time" in monitor.summary()


def test_one_seated_frame_then_the_end_is_no_bout_in_the_summary() -> None:
    """A recording that ends after one frame (a truncated file): a bout of 0 s
    is no sitting, as in the report, not "sat 0 s in 1 bout(s)"."""
    clock = Clock()
    monitor = make(clock)
    monitor.tick()
    monitor.finish()
    assert monitor.tracker.bouts[0].duration_s == 0
    assert monitor.summary().startswith("monitored 0 s: sat 0 s in 0 bout(s) (longest 0 s)")


def test_a_pause_is_not_credited_to_the_posture_seen_before_it() -> None:
    """Good for 3 s, paused for 4 s (shorter than a gap that ends monitoring),
    then drift: the paused seconds count as neither good nor drift."""
    clock = Clock()
    tracker = ScriptedPosture(config.DEFAULTS)
    monitor = LiveMonitor(
        Camera(clock), Estimator(), tracker, config.DEFAULTS, wall=clock, out=io.StringIO(),
        paused_until=lambda now: 7.5 if 3.5 <= now < 7.5 else None,
    )  # fmt: skip
    for t in range(10):
        clock.t = float(t)
        tracker.judged = PostureState.GOOD if t < 4 else PostureState.DRIFT
        monitor.tick()
    assert (monitor.session.good_s, monitor.session.drift_s) == (3.0, 1.0)


@pytest.mark.parametrize(
    ("presence", "posture", "issues", "notes", "sitting_s", "due_s", "expected"),
    [
        (
            "seated",
            "good",
            (),
            (),
            2530,
            470,
            "seated | sitting 42:10 | break in 7:50 | posture good | 2.0 fps",
        ),
        (
            "seated",
            "drift",
            ("slouch", "forward_head"),
            (),
            3700,
            0,
            "seated | sitting 1:01:40 | break due now | posture: slouch, forward head | 2.0 fps",
        ),
        (
            "seated",
            "unknown",
            (),
            ("posture needs calibration",),
            5,
            2995,
            "seated | sitting 0:05 | break in 49:55 | posture needs calibration | 2.0 fps",
        ),
        ("away", "unknown", (), (), 0, None, "away | 2.0 fps"),
    ],
)
def test_status_line(presence, posture, issues, notes, sitting_s, due_s, expected) -> None:  # type: ignore[no-untyped-def]
    step = Step(
        TimelineSample(0.0, Presence(presence), PostureState(posture), issues, {}),
        sitting_s=sitting_s,
        break_due_in_s=due_s,
        notes=notes,
    )
    assert status_line(step, 2.0) == expected


def _seconds(clock: str) -> int:
    total = 0
    for part in clock.split(":"):
        total = total * 60 + int(part)
    return total


@pytest.mark.parametrize("after_s", [600.0, 3000.0, 7200.0])
@pytest.mark.parametrize("t", [0.0, 0.001, 0.5, 1.0, 1.25, 59.999, 300.5, 599.75])
def test_status_sitting_and_break_in_add_up_to_break_after(after_s: float, t: float) -> None:
    step = Step(
        TimelineSample(t, Presence.SEATED, PostureState.GOOD, (), {}),
        sitting_s=t,
        break_due_in_s=after_s - t,
    )
    parts = dict(p.rsplit(" ", 1) for p in status_line(step, 2.0).split(" | ")[1:-2])
    assert _seconds(parts.get("sitting", "0")) + _seconds(parts["break in"]) == after_s


def test_status_counts_down_to_0_01_then_due_now_never_0_00() -> None:
    sample = TimelineSample(0.0, Presence.SEATED, PostureState.GOOD, (), {})
    lines = [status_line(Step(sample, sitting_s=600 - d, break_due_in_s=d), 2.0) for d in (0.5, 0)]
    assert "sitting 9:59 | break in 0:01 |" in lines[0]
    assert "sitting 10:00 | break due now |" in lines[1]


def test_status_without_a_step_is_unknown_with_the_reason() -> None:
    assert status_line(None, 2.0) == "starting | 2.0 fps"
    assert status_line(None, 0.5, "paused until 14:30") == "unknown | paused until 14:30 | 0.5 fps"


class StepClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_recorded_file_is_paced_in_real_time_and_decodes_only_what_is_read(
    short_video: Path,
) -> None:
    clock = StepClock()  # short_video: 3 s at 20 fps
    capture = PacedFile(short_video, clock=clock)
    for t in (0.0, 0.5, 1.0, 2.5):
        clock.t = t
        capture.read()
        assert capture.frames_grabbed == round(t * 20) + 1
    assert capture.frames_decoded == 4  # one decoded per read; the rest only grabbed
    assert capture._cap.get(cv2.CAP_PROP_N_THREADS) == 1  # a thread pool costs more CPU
    clock.t = 2.6
    assert np.shares_memory(capture.read(), capture.read())  # one buffer, no fresh 1 MB a read
    clock.t = 3.5
    with pytest.raises(EndOfSource):
        capture.read()
    capture.release()


def test_a_looping_file_starts_over_at_the_end(short_video: Path) -> None:
    clock = StepClock()
    capture = PacedFile(short_video, loop=True, clock=clock)
    images = []
    for t in (0.0, 2.9, 3.5, 4.0):
        clock.t = t
        images.append(capture.read().copy())  # read() reuses its buffer
    assert capture.frames_grabbed == 1 + 58 + 2 + 10  # 2: the last frame, then frame 0
    assert capture.frames_decoded == 4
    assert np.array_equal(images[0], images[2])  # the first frame again
    assert not np.array_equal(images[0], images[1])
    capture.release()


def test_a_truncated_file_is_said_to_end_early_as_replay_says_it(
    tmp_path: Path, short_video: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`head -c 200000` of a 17.6 s clip: 13 of its 527 frames can be read."""
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip("side/jonz21_office_chair.mp4").read_bytes()[:200_000])
    replayed = VideoFileSource(cut)
    list(replayed.frames(2.0))
    replayed.close()
    (said_by_replay,) = [r.getMessage() for r in caplog.records]
    assert "ends after 0.4 s, 13 of the 527 frames its header announces" in said_by_replay
    caplog.clear()
    for path, loop in ((cut, False), (cut, True), (short_video, True)):
        clock = StepClock()
        capture = PacedFile(path, loop=loop, clock=clock)
        for t in (0.0, 4.0, 8.0):  # past the end, twice when looping
            clock.t = t
            with pytest.raises(EndOfSource) if not loop and t > 0 else contextlib.nullcontext():
                capture.read()
        capture.release()
    # Once for the cut file, looping or not; the whole short video says nothing.
    assert [r.getMessage() for r in caplog.records] == [said_by_replay] * 2


def test_a_snooze_postpones_the_break_alert_and_then_it_comes() -> None:
    """`posture-monitor snooze 15m` at 49 minutes moves the 50-minute alert to 64."""
    clock = Clock()
    start = clock.t
    snooze_until: list[float] = []
    monitor = make(
        clock, snoozed_until=lambda now: next((u for u in snooze_until if u > now), None)
    )
    run_for(monitor, clock, 49 * 60)
    snooze_until.append(clock.t + 15 * 60)
    run_for(monitor, clock, 20 * 60)
    breaks = [a for a in monitor.session.alerts if a.kind == "break"]
    assert breaks
    assert breaks[0].t == pytest.approx(64 * 60, abs=1.0)
    assert clock.t - start > 64 * 60
