"""Faults survived: a killed monitor, a failing sound device, a jumping clock, two monitors.

Each test makes the fault happen for real where it can (SIGKILL on the real
command, two real processes on one database, the real pose model fed
timestamps that run backwards) and checks that the monitor goes on and that
nothing recorded is lost. The camera lost and back is test_run.py's.
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import LITE_MODEL, REPO, cli_env, clip, estimated, run_cli
from simulated_day import settings

from monitor.app import replay
from monitor.app.monitor_loop import LiveMonitor
from monitor.core.profile import Profile
from monitor.core.tracker import Tracker
from monitor.core.values import PostureState, Presence
from monitor.sound import players
from monitor.sound.announcer import Announcer
from monitor.storage.recorder import Recorder
from monitor.storage.store import Store

GAZE = clip("front/gaze_analyser.mov")


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """Eight different frames of a woman seated at a desk."""
    capture = cv2.VideoCapture(str(GAZE))
    images = []
    while len(images) < 8:
        ok, image = capture.read()
        assert ok
        images.append(image)
        for _ in range(7):
            capture.grab()
    capture.release()
    return images


class Frames:
    """A camera that shows the frames in turn."""

    name = "fake camera"

    def __init__(self, images: list[np.ndarray]) -> None:
        self.images, self.n = images, 0

    def read(self) -> np.ndarray:
        self.n += 1
        return self.images[self.n % len(self.images)]

    def release(self) -> None:
        pass


class Broken:
    """A sound device that fails on every chime."""

    name = "speaker"

    def __init__(self) -> None:
        self.calls = 0

    def play(self, samples: np.ndarray, rate: int) -> None:
        self.calls += 1
        raise OSError("speaker: ALSA lib pcm_hw.c: cannot open device hw:0")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Lines:
    """A non-terminal output that keeps what was written."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def live(images, config, clock, store, announcer=None, **kw):  # type: ignore[no-untyped-def]
    from monitor.capture.pose import PoseEstimator

    estimator = PoseEstimator(LITE_MODEL)
    recorder = Recorder(store, source="fake", model="lite", settings=config,
                        started_at=clock(), t0=0.0)
    monitor = LiveMonitor(lambda: Frames(images), estimator, Tracker(config, None), config,
                          recorder=recorder, announcer=announcer, wall=clock, out=Lines(), **kw)
    return monitor, recorder, estimator


# --- the process killed ------------------------------------------------------------------------


def test_sigkill_on_a_running_monitor_keeps_all_but_the_last_seconds(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--source", str(GAZE), "--loop", "--model",
         "lite", "--db", str(db), "--set", "storage.flush_s=1"],
        env=cli_env(tmp_path, HOME=str(tmp_path)), cwd=REPO, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        rows = 0
        while rows < 6:  # six seconds committed (a count, not a sleep: a loaded CI runs late)
            assert child.poll() is None and time.monotonic() < deadline, child.stderr
            time.sleep(0.25)
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
                rows = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
                conn.close()
            except sqlite3.Error:
                rows = 0
        time.sleep(1.0)  # into the next, unwritten seconds
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL

    with Store.open(db) as store:  # quick_check passes; the WAL is recovered
        started, stopped = store.conn.execute(
            "SELECT started_at, stopped_at FROM sessions").fetchone()
        assert stopped is None
        rows = store.rows(0, killed_at + 10).samples
        assert len(rows) >= 6  # all that was committed before the kill is still there
        # Lost: at most flush_s plus the second being filled, plus a frame.
        assert killed_at - (rows[-1].t + rows[-1].dur_s) < 1 + 1 + 1.5
        assert rows[0].t - started < 3  # from the first seconds on
    report = run_cli("report", "--db", db, env=cli_env(tmp_path))
    assert report.returncode == 0, report.stderr
    assert "sitting" in report.stdout


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX only")
def test_closing_the_terminal_stops_like_sigterm_and_keeps_every_second(tmp_path: Path) -> None:
    """The terminal window closes under a running monitor: the kernel sends SIGHUP
    and every later write to the terminal fails with EIO."""
    import fcntl
    import pty
    import select
    import termios

    db = tmp_path / "m.db"
    master, terminal = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--source", str(GAZE), "--loop", "--model",
         "lite", "--db", str(db), "--set", "sound.enabled=false", "--set", "sound.notify=false"],
        env=cli_env(tmp_path, HOME=str(tmp_path)), cwd=REPO,
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,  # no calibration prompt
        start_new_session=True,  # then the pty becomes its controlling terminal:
        preexec_fn=lambda: fcntl.ioctl(1, termios.TIOCSCTTY, 0),
    )
    os.close(terminal)
    shown = b""
    try:
        deadline = time.monotonic() + 60
        while shown.count(b" fps") < 5:  # the status line, rewritten each second
            assert child.poll() is None and time.monotonic() < deadline, shown
            if select.select([master], [], [], 0.25)[0]:
                shown += os.read(master, 4096)
        os.close(master)  # the window closes
        closed_at = time.time()
        returncode = child.wait(30)
    finally:
        child.kill()
        child.wait(10)
    assert returncode == 0  # not killed by SIGHUP (-1), no traceback (1), no failed flush (120)

    assert not db.with_name("m.db.lock").exists()  # released and removed
    assert not db.with_name("m.db-wal").exists()  # the database closed cleanly
    with Store.open(db) as store:
        started, stopped = store.conn.execute(
            "SELECT started_at, stopped_at FROM sessions").fetchone()
        assert stopped is not None and abs(stopped - closed_at) < 2
        rows = store.rows(0, closed_at + 10).samples
        recorded = sum(row.dur_s for row in rows)
    assert stopped - started - recorded < 1.5  # every second up to the stop is kept
    log = (tmp_path / "xdg_state_home" / "posture-monitor" / "monitor.log").read_text()
    assert "stopped: monitored " in log  # the summary is in the log,
    assert "output lost" in log  # as it could not be printed


# --- the sound device failing ------------------------------------------------------------------


def test_a_failing_sound_device_still_records_alerts_and_the_monitor_goes_on(
    tmp_path: Path, frames
) -> None:
    config = settings(
        alerts={"break_after_s": 2.0, "break_repeat_s": 1.0},
        sitting={"ignore_shorter_s": 0.0},
        storage={"flush_s": 0.0},
        sound={"notify": False},
    )
    device = Broken()
    clock = Clock(1_790_000_000.0)
    announcer = Announcer(config.sound, player=players.Player([device], retry_s=2, clock=clock))
    with Store.open(tmp_path / "m.db") as store:
        monitor, recorder, estimator = live(frames, config, clock, store, announcer)
        with estimator:
            for _ in range(20):
                monitor.tick()
                announcer.wait(2)
                clock.t += 0.5
            monitor.finish()
        alerts = store.conn.execute("SELECT kind FROM alerts").fetchall()
        samples = store.conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    assert monitor.session.analysed == 20  # every tick analysed a frame
    assert len(monitor.session.alerts) >= 3
    assert alerts == [("break",)] * len(monitor.session.alerts)  # every alert recorded
    assert samples >= 9
    assert device.calls >= 2  # the device was tried, failed, and tried again later
    assert "(sound: failed)" in monitor.out.text  # and the user was told
    assert recorder.failed is None


# --- the clock jumping -------------------------------------------------------------------------


def test_the_clock_jumping_back_and_forth_is_absorbed_and_a_gap(tmp_path: Path, frames) -> None:
    config = settings(sitting={"ignore_shorter_s": 0.0}, storage={"flush_s": 0.0})
    start = 1_790_000_000.0
    clock = Clock(start)
    # 4 s steady; back 10 minutes; 3 s; forward an hour (a suspend); 3 s.
    walls = [start + i / 2 for i in range(8)]
    walls += [start - 600 + i / 2 for i in range(6)]
    walls += [start + 3600 + i / 2 for i in range(6)]
    seen = []
    with Store.open(tmp_path / "m.db") as store:
        monitor, _, estimator = live(frames, config, clock, store)
        with estimator:
            for wall in walls:
                clock.t = wall
                monitor.tick()
                seen.append(monitor.last_step.sample)
            monitor.finish()
        rows = store.rows(start - 3600, start + 7200).samples
    times = [s.t for s in seen]
    assert all(b > a for a, b in itertools.pairwise(times))  # the tracker's time never runs back
    assert len(times) == len(walls)  # and the pose model (VIDEO mode) took every frame
    assert sum(s.presence is Presence.SEATED for s in seen) >= 15
    # The hour forward is a gap: not monitored, not sitting, no break alert for it.
    monitored = sum(r.dur_s for r in rows)
    assert monitored < 15
    assert sum(r.seated_s for r in rows) < 15
    assert [a for a in monitor.session.alerts if a.kind == "break"] == []
    assert len(monitor.tracker.bouts) >= 2  # the sitting before and after are two bouts


def test_a_suspend_after_a_break_alert_is_neither_a_break_nor_heeding_it(
    tmp_path: Path, frames
) -> None:
    """Seated 4 s with a break due at 2 s, then an hour's suspend: the bout ends
    where the frames stopped, but nobody saw the user get up, so no break is
    recorded, the alert is not counted heeded, and the hour is not monitored time."""
    config = settings(sitting={"ignore_shorter_s": 0.0}, storage={"flush_s": 0.0},
                      alerts={"break_after_s": 2.0})  # fmt: skip
    start = 1_790_000_000.0
    clock = Clock(start)
    walls = [start + i / 2 for i in range(8)] + [start + 3600 + i / 2 for i in range(6)]
    with Store.open(tmp_path / "m.db") as store:
        monitor, _, estimator = live(frames, config, clock, store)
        with estimator:
            for wall in walls:
                clock.t = wall
                monitor.tick()
            monitor.finish()
        rows = store.rows(start - 60, start + 7200)
    alerts = [a for a in rows.alerts if a.kind == "break"]
    assert alerts[0].t == start + 2.0  # due before the suspend (another is due after it)
    assert all(a.heeded != 1 for a in alerts), alerts
    assert rows.breaks == []
    assert len(rows.bouts) == 2  # before and after the suspend
    # the closing summary counts monitored time as the database does (a gap up
    # to sitting.max_gap_s, then nothing), not the hour from first to last frame
    recorded = sum(r.dur_s for r in rows.samples)
    assert monitor.session.monitored_s == pytest.approx(recorded, abs=0.6) and recorded < 15
    assert monitor.summary().startswith(f"monitored {round(recorded)} s: ")
    assert ", 0 break(s)" in monitor.summary()


# --- two monitors on one database --------------------------------------------------------------


def _rows(db: Path) -> int:
    """Samples recorded so far (0 before the first write), read as a report would."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM samples").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_a_second_monitor_on_one_database_is_refused_at_once_and_the_first_goes_on(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.db"
    env = cli_env(tmp_path, HOME=str(tmp_path))
    run = ["run", "--source", GAZE, "--model", "lite", "--db", db, "--set", "storage.flush_s=1",
           "--set", "sound.enabled=false", "--set", "sound.notify=false"]
    log = tmp_path / "first.stderr"  # a file, not a pipe no one reads while it runs
    with log.open("w") as stderr:
        first = subprocess.Popen(
            [sys.executable, "-m", "monitor", *map(str, run), "--loop"], env=env, cwd=REPO,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        while _rows(db) < 2:
            assert first.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        recorded = _rows(db)
        expected = (f"posture-monitor: error: another monitor (pid {first.pid}, posture-monitor "
                    f"run) is already recording to {db}; stop it first, or use --db for another "
                    "database")
        for second in (run, ["replay", GAZE, "--model", "lite", "--db", db]):
            started = time.monotonic()
            refused = run_cli(*second, env=env, timeout=30)
            assert refused.returncode == 1
            assert refused.stderr.splitlines() == [expected]
            assert time.monotonic() - started < 10  # before any model or camera: at once
        # Readers take no lock.
        report = run_cli("report", "--db", db, env=env, timeout=30)
        assert report.returncode == 0 and "ongoing" in report.stdout, report.stderr
        # The first is unharmed and went on recording meanwhile (seconds: flush_s is 1).
        assert first.poll() is None and _rows(db) > recorded, log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
        first.wait(10)
    # The killed monitor's lock died with it: the next start records.
    again = run_cli(*run, env=env, timeout=60)
    assert again.returncode == 0, again.stderr
    with Store.open(db) as store:
        sessions = store.conn.execute("SELECT stopped_at FROM sessions ORDER BY id").fetchall()
    assert len(sessions) == 2  # the refused commands added none
    assert sessions[0][0] is None and sessions[1][0] is not None  # killed, then stopped


# --- a profile from another view ---------------------------------------------------------------


def test_a_profile_from_another_view_judges_no_posture_rather_than_a_wrong_one() -> None:
    side = Profile.from_json({
        "version": 1, "name": "side", "view": "side", "samples": 10,
        "camera": {"frame_width": 640, "frame_height": 480, "anchor_x_px": 320,
                   "anchor_y_px": 300, "scale_px": 120, "shoulder_y_px": 250,
                   "shoulder_width_px": 40},
        "baseline": {"trunk_incl_deg": {"mean": 0.0, "std": 0.1}},
    })
    timeline = replay.track(estimated("front/gaze_analyser.mov", 5, "lite"), settings(), side)
    seated = [s for s in timeline.samples if s.presence is Presence.SEATED]
    assert len(seated) >= 10
    assert {s.posture for s in seated} == {PostureState.UNKNOWN}
    assert timeline.alerts == []


def test_a_profile_from_another_scene_gives_no_drift_when_the_person_turns_to_fit_it() -> None:
    """Calibrated facing the camera (deepa), run on a side view (jonz21) whose
    man turns to the camera for his last two seconds: those frames fit the
    profile's view and place, but a picture that fits for a moment is not a
    recalibrated camera, so nothing is judged (it used to say lean left and
    forward head)."""
    front = replay.calibrate_from(
        estimated("front/deepa_interview.mp4", 5, "lite").samples, 0.8, 4.5, "front"
    )
    timeline = replay.track(estimated("side/jonz21_office_chair.mp4", 5, "lite"), settings(), front)
    assert {s.posture for s in timeline.samples} == {PostureState.UNKNOWN}
    assert timeline.alerts == []
