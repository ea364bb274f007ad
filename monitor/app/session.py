"""Wiring for `posture-monitor run`: settings and options in, a running monitor out.

Builds the capture, pose estimator, tracker, recorder and announcer, offers a
first calibration, installs the Ctrl-C/SIGTERM/SIGHUP handlers and the log file,
runs the loop and prints the closing summary.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from monitor import paths
from monitor.app import heap
from monitor.app.monitor_loop import LiveMonitor, write_out
from monitor.app.recalibration import Recalibration
from monitor.app.status import log_lines_clear_status
from monitor.capture.live import CameraLost, Capture, open_capture
from monitor.core.profile import Profile
from monitor.core.tracker import Tracker
from monitor.desktop import companion
from monitor.errors import ProfileError
from monitor.settings import Settings
from monitor.storage import control, lock, profiles
from monitor.storage.database import require_yours

if TYPE_CHECKING:  # imported where used, to keep `--help` and start-up quick
    import numpy as np

    from monitor.core.sample import PoseSample
    from monitor.core.tracker import Step
    from monitor.sound.announcer import Announcer, Notifies
    from monitor.storage.recorder import Recorder
    from monitor.storage.store import Store

log = logging.getLogger(__name__)


def log_file() -> Path:
    return paths.private_dir(paths.log_dir()) / "monitor.log"


@contextmanager
def file_logging(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8"))
    # The pid tells apart two monitors (on two databases) that log here at once.
    handler.setFormatter(
        logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    )
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(min(previous, logging.INFO))
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()


# SIGHUP: the terminal closed (or the session ended). Windows has none.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP end the loop cleanly instead of killing it mid-write.

    A SIGHUP ignored from the start (`nohup posture-monitor run`) stays
    ignored: whoever started it asked for it to outlive the terminal.
    """
    handlers = {}
    for signum in STOP_SIGNALS:
        if signum == getattr(signal, "SIGHUP", None) and signal.getsignal(signum) is signal.SIG_IGN:
            continue
        handlers[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def load_profile(name: str, explicit: bool, mirrored: bool) -> Profile | None:
    """The named profile, if calibrated with the same camera.mirrored (`profile.load`);
    a missing default profile is not an error (first run)."""
    try:
        return profiles.load(name, mirrored)
    except ProfileError:
        if explicit or profiles.path_for(name).exists():
            raise
        return None


def offer_calibration(source: str, name: str, model: Path, settings: Settings) -> Profile | None:
    """First run: ask (on a terminal) whether to calibrate now."""
    if not sys.stdin.isatty():
        print(
            "posture needs calibration: run 'posture-monitor calibrate' (monitoring presence "
            "and sitting time meanwhile)",
            file=sys.stderr,
        )
        return None
    try:
        answer = input("No calibration profile yet. Calibrate your neutral posture now? [Y/n] ")
    except EOFError:  # Ctrl-D: end of input means no
        print()
        answer = "n"
    if answer.strip().lower() not in ("", "y", "yes"):
        print("Monitoring presence and sitting time only; posture needs calibration.")
        return None
    from monitor.app import calibration as calibrate

    profile, path = calibrate.guided(
        source, name, model, settings.posture.calibrate_s, mirrored=settings.camera.mirrored
    )
    print(f"saved profile to {path}")
    if profile.note:
        print(f"note: {profile.note}")
    return profile


def run(
    source: str,
    settings: Settings,
    model: Path,
    *,
    profile_name: str = "default",
    profile_explicit: bool = False,
    db: Path | None = None,
    loop: bool = False,
    preview: bool = False,
    quiet: bool = False,
    tray: bool = True,
) -> int:
    from monitor.capture.pose import PoseEstimator

    heap.tune()  # before MediaPipe's threads start allocating
    stop = threading.Event()
    with ExitStack() as stack:
        # First, before anything slow or interactive: a second monitor on the
        # same database would count the day twice, so it stops here at once.
        held = stack.enter_context(lock.recording(db, "run"))
        db = held.db
        require_yours(db)  # another user's database, at once too
        profile = load_profile(profile_name, profile_explicit, settings.camera.mirrored)
        try:  # the first open tells a missing camera (an error) from a busy one (retried)
            first = open_capture(source, loop)
        except CameraLost as exc:
            log.warning("%s; will retry", exc)
            first = None
        if profile is None:
            if first is not None and sys.stdin.isatty():
                first.release()  # calibration opens the camera itself
                first = None
            profile = offer_calibration(source, profile_name, model, settings)
        captures = iter([first] if first is not None else [])

        def open_next() -> Capture:
            return next(captures, None) or open_capture(source, loop)

        stack.enter_context(file_logging(log_file()))
        stack.enter_context(log_lines_clear_status(sys.stderr))
        stack.enter_context(stop_on_signals(stop))  # before the slow start-up
        estimator = stack.enter_context(PoseEstimator(model, mirrored=settings.camera.mirrored))
        origin = time.time()
        recorder = _recorder(stack, db, source, model, profile, settings, origin)
        held.hold_file()  # a database made just now: held through every path from here
        tracker = Tracker(settings, profile)
        recalibration = Recalibration(
            tracker, profile_name, settings.posture.calibrate_s, settings.camera.mirrored,
            profiles.save,
        )  # fmt: skip
        notifier = companion.notifier(
            settings, companion.notification_actions(settings, recalibration)
        )
        announcer = _announcer(settings, quiet, notifier)
        on_frame = _preview(stack, profile) if preview else None
        monitor = LiveMonitor(
            open_next,
            estimator,
            tracker,
            settings,
            recorder=recorder,
            announcer=announcer,
            origin=origin,
            paused_until=lambda now: control.until("pause", now),
            snoozed_until=lambda now: control.until("snooze", now),
            on_frame=on_frame,
            stop=stop,
            on_sample=recalibration.feed,
        )
        # GTK's loop and the preview's Qt one would share GLib's default context.
        icon = companion.start_tray(
            monitor,
            companion.tray_actions(settings, stop, recalibration, recorder.store.path),
            tray and settings.desktop.tray and not preview,
        )
        if icon is not None:
            stack.callback(icon.stop)
        log.info(
            "monitoring %s with %s, profile %s",
            source,
            model.name,
            profile.name if profile else "none",
        )
        monitor.run()
        if announcer is not None:
            announcer.wait(5.0)  # let a chime that is playing finish
        log.info("stopped: %s", monitor.summary())
        say(monitor.summary())
        if recorder.failed:
            say(f"warning: recording stopped early: {recorder.failed}", sys.stderr)
        say(today(recorder.store))
    return 0


def say(text: str, stream: TextIO | None = None) -> None:
    """Print to stdout (or `stream`), unless it has gone (`write_out`); then
    what follows goes to /dev/null, so that the flush at exit cannot fail again."""
    stream = stream or sys.stdout
    if not write_out(stream, text + "\n"):
        with suppress(OSError, ValueError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)


def today(store: Store) -> str:
    """Today's figures from the database, as the report command prints them."""
    from datetime import date

    from monitor.report import export
    from monitor.report import text as report

    tz = export.local_zone()
    reports, _ = export.reports(store, date.today(), 1, tz)
    return report.format_text(reports[-1])


def _recorder(
    stack: ExitStack,
    db: Path | None,
    source: str,
    model: Path,
    profile: Profile | None,
    settings: Settings,
    origin: float,
) -> Recorder:
    from monitor.storage.recorder import Recorder
    from monitor.storage.store import Store

    store = stack.enter_context(Store.open(db))
    return Recorder(
        store,
        source=source,
        model=model.name,
        settings=settings,
        started_at=origin,
        profile=profile.name if profile else None,
        t0=0.0,
    )


def _announcer(settings: Settings, quiet: bool, notifier: Notifies | None) -> Announcer | None:
    if not settings.sound.enabled and not settings.sound.notify:
        return None
    from monitor.core.quiet import QuietTime
    from monitor.sound.announcer import Announcer

    sound = settings.sound
    return Announcer(
        sound, QuietTime.from_text(quiet or sound.quiet, sound.working_hours), notifier=notifier
    )


def _preview(
    stack: ExitStack, profile: Profile | None
) -> Callable[[np.ndarray, PoseSample, Step, float], bool]:
    from monitor.app.preview import Preview, draw

    window = Preview()
    stack.callback(window.close)

    def show(image: np.ndarray, sample: PoseSample, step: Step, rate: float) -> bool:
        return window.show(draw(image, sample, step, profile, rate))

    return show
