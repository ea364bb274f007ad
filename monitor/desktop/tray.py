"""The tray icon while `run` runs: the state at a glance, and a menu.

The icon's colour says the state (`TrayState`), its tooltip the status line.
Its menu pauses (30 min, 1 h, until resumed), resumes, snoozes the break
alert, calibrates now, opens today's report and quits; each item goes
through what the CLI uses (`monitor.storage.control` request files) or a
thread-safe handle into the loop (`Actions`).

It is drawn by pystray (appindicator or GTK where the desktop has them, else
plain X11) on a thread of its own, so the camera loop never waits on it; a
tray that fails to start is logged once and monitoring goes on without it.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from monitor.core.tracker import Step
from monitor.core.values import PostureState, Presence

log = logging.getLogger(__name__)


class TrayState(str, Enum):
    GOOD = "seated, posture good"
    DRIFT = "posture drift"
    BREAK_DUE = "break due"
    AWAY = "not seated"
    PAUSED = "paused"
    CAMERA = "camera unavailable"
    STARTING = "starting"


# One colour each, far apart, as RGB.
COLOURS: dict[TrayState, tuple[int, int, int]] = {
    TrayState.GOOD: (46, 160, 67),
    TrayState.DRIFT: (239, 108, 0),
    TrayState.BREAK_DUE: (211, 47, 47),
    TrayState.AWAY: (158, 158, 158),
    TrayState.PAUSED: (30, 100, 200),
    TrayState.CAMERA: (120, 40, 160),
    TrayState.STARTING: (250, 215, 90),
}


def tray_state(step: Step | None, note: str) -> TrayState:
    """The icon's state from the loop's last step and note (pure)."""
    if note.startswith("paused"):
        return TrayState.PAUSED
    if note.startswith("camera unavailable"):
        return TrayState.CAMERA
    if step is None:
        return TrayState.STARTING
    if step.break_due_in_s is not None and step.break_due_in_s <= 0:
        return TrayState.BREAK_DUE
    if step.sample.presence is not Presence.SEATED:
        return TrayState.AWAY
    if step.sample.posture is PostureState.DRIFT:
        return TrayState.DRIFT
    return TrayState.GOOD


def icon_image(state: TrayState, size: int = 64) -> Any:
    """A filled disc of the state's colour with a dark rim (a PIL image)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    rim = max(2, size // 16)
    draw = ImageDraw.Draw(image)
    draw.ellipse((1, 1, size - 2, size - 2), fill=(40, 40, 40, 255))
    draw.ellipse((1 + rim, 1 + rim, size - 2 - rim, size - 2 - rim), fill=(*COLOURS[state], 255))
    return image


def choose_backend() -> str:
    """The pystray backend for this desktop, as pystray would choose it: where
    appindicator's library is missing, pystray 0.19 stops at the ValueError of
    `gi.require_version` instead of trying GTK, so the choice is made here."""
    chosen = os.environ.get("PYSTRAY_BACKEND")
    if chosen or sys.platform in ("darwin", "win32"):
        return chosen or ""
    try:
        import gi
    except ImportError:
        return "xorg"
    for namespace in ("AyatanaAppIndicator3", "AppIndicator3"):
        try:
            gi.require_version(namespace, "0.1")
            return "appindicator"
        except ValueError:
            continue
    try:
        gi.require_version("Gtk", "3.0")
    except ValueError:
        return "xorg"
    return "gtk"


def desktop_available(env: dict[str, str] | None = None) -> bool:
    """A graphical session to put an icon in (X11 or Wayland)."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


@dataclass
class Actions:
    """What the menu items do; each is called on the tray's thread and must not block."""

    pause: Callable[[float | None], None]  # seconds, or None: until resumed
    resume: Callable[[], None]
    snooze: Callable[[], None]
    calibrate: Callable[[], None]
    open_report: Callable[[], None]
    quit: Callable[[], None]


class Tray:
    """The icon on its own thread; `poll` supplies (state, tooltip) every `every_s`."""

    def __init__(
        self, actions: Actions, poll: Callable[[], tuple[TrayState, str]], every_s: float = 1.0
    ) -> None:
        self.actions = actions
        self.poll = poll
        self.every_s = every_s
        self.icon: Any = None
        self.shown: tuple[TrayState, str] | None = None
        self.failed: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name="tray", daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.icon is not None:
            try:
                self.icon.stop()
            except Exception as exc:  # it is going anyway
                log.debug("tray: stopping: %s", exc)
        for thread in self._threads:
            thread.join(2.0)

    def menu_items(self) -> list[tuple[str, Callable[[], None]]]:
        """The menu, as (label, action): the same list the icon shows."""
        a = self.actions
        return [
            ("Pause 30 min", lambda: a.pause(1800)),
            ("Pause 1 h", lambda: a.pause(3600)),
            ("Pause until resumed", lambda: a.pause(None)),
            ("Resume", a.resume),
            ("Snooze the break alert", a.snooze),
            ("Calibrate now", a.calibrate),
            ("Open today's report", a.open_report),
            ("Quit", a.quit),
        ]

    def _run(self) -> None:
        try:
            os.environ.setdefault("NO_AT_BRIDGE", "1")  # no accessibility-bus warnings
            backend = choose_backend()
            if backend:
                os.environ["PYSTRAY_BACKEND"] = backend
            import pystray

            state, tip = self.poll()
            menu = pystray.Menu(
                *(pystray.MenuItem(label, self._safe(label, do)) for label, do in self.menu_items())
            )
            self.icon = pystray.Icon("posture-monitor", icon_image(state), tip, menu)
            self.shown = (state, tip)
            self.icon.run(setup=self._setup)
        except Exception as exc:  # any reason at all: monitoring goes on without it
            self.failed = f"{type(exc).__name__}: {exc}"
            log.warning("tray: could not show an icon (%s); monitoring goes on", self.failed)

    def _setup(self, icon: Any) -> None:
        icon.visible = True
        log.info("tray: icon shown (pystray backend %s)", type(icon).__module__)
        updater = threading.Thread(target=self._update_loop, name="tray-update", daemon=True)
        self._threads.append(updater)
        updater.start()

    def _update_loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.update(*self.poll())
            except Exception as exc:
                log.warning("tray: update failed (%s); the icon stays as it was", exc)
                return

    def update(self, state: TrayState, tooltip: str) -> None:
        """Redraw only what changed (the backend marshals it to its own loop)."""
        if self.icon is None or (state, tooltip) == self.shown:
            return
        if self.shown is None or state != self.shown[0]:
            self.icon.icon = icon_image(state)
        if self.shown is None or tooltip != self.shown[1]:
            self.icon.title = tooltip
        self.shown = (state, tooltip)

    def _safe(self, label: str, do: Callable[[], None]) -> Callable[[Any, Any], None]:
        def run(icon: Any, item: Any) -> None:
            log.info("tray: %s", label)
            try:
                do()
            except Exception:
                log.exception("tray: %s failed", label)

        return run
