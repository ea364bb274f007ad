"""Announcing alerts: a chime and a desktop notification that never block the loop.

The capture loop calls `Announcer.announce` for each alert; the chime plays
on a daemon thread through `monitor.sound.players` (simpleaudio, a command-line
player, the bell), and a notification goes out (notify-send, or the D-Bus
notifier of `monitor.desktop.notifications` with its actions). Nothing
here raises into the caller, and quiet time (`monitor.core.quiet`) decides what
may sound.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from typing import Protocol

import numpy as np

from monitor.core.quiet import QuietTime
from monitor.core.values import Alert
from monitor.settings import Sound
from monitor.sound import chimes
from monitor.sound.players import (
    BellBackend,
    CommandBackend,
    Player,
    SimpleaudioBackend,
    WinsoundBackend,
    candidates,
)

__all__ = [
    "Announcer",
    "BellBackend",
    "CommandBackend",
    "Notifier",
    "Player",
    "SimpleaudioBackend",
    "WinsoundBackend",
    "choose_backend",
    "play_once",
]

log = logging.getLogger(__name__)


def choose_backend(
    retry_s: float = 60.0, platform: str = sys.platform, path: str | None = None
) -> Player:
    """The best backend this machine has, with the rest as fallbacks."""
    backends, missing = candidates(platform, path)
    return Player(backends, missing, retry_s)


class Notifier:
    """Desktop notifications through notify-send, fire and forget."""

    def __init__(self, program: str | None) -> None:
        self.program = program
        self._children: list[subprocess.Popen[bytes]] = []

    @classmethod
    def find(cls, enabled: bool, path: str | None = None) -> Notifier:
        program = shutil.which("notify-send", path=path) if enabled else None
        if enabled and not program:
            log.info("notification: notify-send is not on PATH; desktop notifications off")
        return cls(program)

    def notify(self, title: str, body: str, kind: str = "") -> bool:
        """Show `title` and `body` (notify-send offers no actions, so `kind` is unused)."""
        if not self.program:
            return False
        self._children = [c for c in self._children if c.poll() is None]  # reap the done
        try:
            child = subprocess.Popen(
                [self.program, "--app-name=posture-monitor", title, body],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("notification: %s failed (%s); notifications off", self.program, exc)
            self.program = None
            return False
        self._children.append(child)
        return True


class Notifies(Protocol):
    """What shows a notification: `Notifier` here, or the D-Bus one in `monitor.desktop`."""

    def notify(self, title: str, body: str, kind: str = "") -> bool: ...


TITLES = {"break": "Time for a break", "posture": "Check your posture"}


class Announcer:
    """Turns alerts into a chime and a notification without ever blocking or raising.

    `announce` returns at once with what happened: "played" (handed to the
    player thread), "muted: <reason>", or "failed: <reason>". The caller
    records the alert whatever the outcome.
    """

    def __init__(
        self,
        sound: Sound,
        quiet: QuietTime | None = None,
        player: Player | None = None,
        notifier: Notifies | None = None,
    ) -> None:
        self.sound = sound
        self.quiet = quiet or QuietTime.from_text(sound.quiet, sound.working_hours)
        self.player = player or choose_backend(sound.retry_s)
        self.notifier = notifier or Notifier.find(sound.notify)
        # One chime may wait while one plays; more than that is dropped, not queued up.
        self._slots = threading.BoundedSemaphore(2)
        self._pending: queue.Queue[np.ndarray] = queue.Queue()
        self._worker: threading.Thread | None = None

    def announce(self, alert: Alert, repeat: int = 0, t_wall: datetime | None = None) -> str:
        try:
            return self._announce(alert, repeat, t_wall or datetime.now())
        except Exception as exc:  # never into the capture loop
            log.exception("sound: announcing %s failed", alert.kind)
            return f"failed: {exc}"

    def _announce(self, alert: Alert, repeat: int, now: datetime) -> str:
        muted = self.quiet.reason_muted(now)
        if self.quiet.keeps_notifications(muted):
            self.notifier.notify(
                TITLES.get(alert.kind, "posture-monitor"), alert.detail, alert.kind
            )
        if muted:
            return f"muted: {muted}"
        if not self.sound.enabled:
            return "muted: sound off"
        problem = self.player.unavailable()
        if problem:
            return f"failed: {problem}"
        kind = alert.kind if alert.kind in chimes.KINDS else "posture"
        samples = chimes.chime(kind, insistent=repeat > 0, volume=self.sound.volume)
        if not self._slots.acquire(blocking=False):
            return "failed: still playing earlier alerts"
        self._pending.put(samples)
        self._start_worker()
        return "played"

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="sound", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            samples = self._pending.get()
            try:
                self.player.play(samples)
            except Exception as exc:  # logged here; the next announce reports it
                log.warning("sound: %s", exc)
            finally:
                self._slots.release()
                self._pending.task_done()

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Block until queued chimes have played (for tests and clean exits)."""
        deadline = time.monotonic() + timeout_s
        while self._pending.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._pending.unfinished_tasks


def play_once(kind: str, insistent: bool, volume: float, retry_s: float = 60.0) -> str:
    """Play one chime now through the best backend (the `sound` command); SoundError if none."""
    samples = chimes.chime(kind, insistent=insistent, volume=volume)
    return choose_backend(retry_s).play(samples)
