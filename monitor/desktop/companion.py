"""Wiring the desktop into `run`: the notifier with its actions, the tray and
what its menu does. `monitor.app.session` calls these; each piece is optional,
and none can stop monitoring."""

from __future__ import annotations

import logging
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import paths
from monitor.app.recalibration import Recalibration
from monitor.app.status import status_line
from monitor.desktop import notifications
from monitor.desktop.tray import Actions, Tray, TrayState, desktop_available, tray_state
from monitor.settings import Settings
from monitor.storage import control

if TYPE_CHECKING:
    from monitor.app.monitor_loop import LiveMonitor
    from monitor.sound.announcer import Notifies

log = logging.getLogger(__name__)

UNTIL_RESUMED_S = control.UNTIL_RESUMED_S


def snooze(settings: Settings) -> None:
    control.request("snooze", settings.alerts.snooze_s)


def notification_actions(
    settings: Settings, recalibration: Recalibration
) -> notifications.ActionHandler:
    """What a notification's button does: the same as `posture-monitor snooze`, or
    a calibration in the running loop."""

    def act(kind: str, key: str) -> None:
        if key == "snooze":
            snooze(settings)
        elif key == "recalibrate":
            recalibration.request()

    return act


def notifier(settings: Settings, on_action: notifications.ActionHandler) -> Notifies | None:
    """The D-Bus notifier where there is a session bus (notify-send behind it), else
    notify-send alone; None with notifications off."""
    from monitor.sound.announcer import Notifier

    if not settings.sound.notify:
        return None
    plain = Notifier.find(True)
    if not notifications.session_bus_available():
        return plain
    return notifications.DesktopNotifier(on_action, fallback=plain)


def report_page(db: Path | None) -> Path:
    """Today's report as HTML in the data folder (private), for the browser."""
    from datetime import date

    from monitor.report import export, html
    from monitor.storage import files
    from monitor.storage.store import Store

    tz = export.local_zone()
    with Store.open_to_read(db) as store:
        import time

        reports, samples = export.reports(store, date.today(), 1, tz, now=time.time())
    page = paths.private_dir(paths.data_dir()) / "today.html"
    files.write_text(page, html.render(reports, samples, tz))
    return page


def open_report(db: Path | None, opener: Callable[[str], bool] = webbrowser.open) -> None:
    """Render and open today's report on a thread of its own (it takes a second)."""

    def work() -> None:
        try:
            page = report_page(db)
            if not opener(page.as_uri()):
                log.warning("tray: no browser to open %s", page)
        except Exception as exc:
            log.warning("tray: today's report could not be opened (%s)", exc)

    threading.Thread(target=work, name="report", daemon=True).start()


def tray_actions(
    settings: Settings, stop: threading.Event, recalibration: Recalibration, db: Path | None
) -> Actions:
    def pause(seconds: float | None) -> None:
        control.request("pause", UNTIL_RESUMED_S if seconds is None else seconds)

    return Actions(
        pause=pause,
        resume=lambda: control.cancel("pause"),
        snooze=lambda: snooze(settings),
        calibrate=recalibration.request,
        open_report=lambda: open_report(db),
        quit=stop.set,
    )


def start_tray(monitor: LiveMonitor, actions: Actions, enabled: bool) -> Tray | None:
    """The tray icon, where asked for and a desktop is there; None otherwise."""
    if not enabled:
        return None
    if not desktop_available():
        log.info("tray: no desktop (neither DISPLAY nor WAYLAND_DISPLAY); no icon")
        return None

    def poll() -> tuple[TrayState, str]:
        step, note = monitor.last_step, monitor.note
        return tray_state(step, note), "posture-monitor: " + status_line(step, monitor.rate(), note)

    tray = Tray(actions, poll)
    tray.start()
    return tray
