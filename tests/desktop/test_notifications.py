"""Desktop notifications against a real notification daemon (dunst) on a
private D-Bus session bus: what it received is read back with dbus-monitor,
and an action is chosen with `dunstctl action`, as a click would."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import estimated
from virtual_desktop import virtual_desktop, wait_for

from monitor.app.recalibration import Recalibration
from monitor.core.tracker import Tracker
from monitor.core.values import Alert
from monitor.desktop import companion
from monitor.desktop.notifications import DesktopNotifier
from monitor.settings import DEFAULTS, Sound
from monitor.sound.announcer import Announcer
from monitor.storage import control, profiles

DEEPA = "front/deepa_interview.mp4"


@pytest.fixture
def desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import os

    with virtual_desktop(tmp_path, dict(os.environ), tray=False) as env:
        for key in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
            monkeypatch.setenv(key, env[key])
        yield env


def watch_notify_calls(env: dict[str, str], log: Path) -> subprocess.Popen:
    """dbus-monitor on the private bus, writing every Notify call it sees."""
    watcher = subprocess.Popen(
        ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications',member='Notify'"],
        env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,  # noqa: SIM115 (the child's)
    )  # fmt: skip
    time.sleep(0.5)
    return watcher


def choose_action(env: dict[str, str]) -> None:
    """What a click on the notification's only button does, through dunst itself."""
    subprocess.run(["dunstctl", "action", "0"], env=env, check=True, timeout=10)


def test_a_break_alert_offers_snooze_and_choosing_it_snoozes(desktop, tmp_path: Path) -> None:
    watched = tmp_path / "notify.log"
    watcher = watch_notify_calls(desktop, watched)
    recalibration = Recalibration(Tracker(DEFAULTS), "default", 5.0, False, profiles.save)
    notifier = DesktopNotifier(companion.notification_actions(DEFAULTS, recalibration))
    try:
        assert notifier.wait_ready()
        assert "actions" in (notifier.capabilities or [])
        announcer = Announcer(Sound(enabled=False), notifier=notifier)
        alert = Alert(10.0, "break", "You have been sitting for 50 min.")
        assert announcer.announce(alert) == "muted: sound off"
        assert wait_for(lambda: notifier.sent)
        shown = subprocess.run(["dunstctl", "count", "displayed"], env=desktop,
                               capture_output=True, text=True).stdout.strip()  # fmt: skip
        assert shown == "1"
        received = watched.read_text()
        for text in ("Time for a break", "You have been sitting for 50 min.", "snooze", "Snooze"):
            assert f'string "{text}"' in received, received

        assert control.until("snooze", time.time()) is None
        choose_action(desktop)
        assert wait_for(lambda: control.until("snooze", time.time()) is not None)
        until = control.until("snooze", time.time())
        assert until == pytest.approx(time.time() + DEFAULTS.alerts.snooze_s, abs=10)
    finally:
        notifier.close()
        watcher.terminate()


def test_a_posture_alert_offers_recalibrate_and_choosing_it_calibrates(desktop) -> None:
    tracker = Tracker(DEFAULTS)
    recalibration = Recalibration(tracker, "default", 4.0, False, profiles.save)
    notifier = DesktopNotifier(companion.notification_actions(DEFAULTS, recalibration))
    try:
        assert notifier.wait_ready()
        notifier.notify("Check your posture", "Leaning in to the screen for 60 s.", "posture")
        assert wait_for(lambda: notifier.sent)
        choose_action(desktop)
        assert wait_for(lambda: recalibration._asked.is_set())
    finally:
        notifier.close()
    # The next frames of the running loop calibrate: deepa sits upright for 5 s.
    said = [recalibration.feed(s) for s in estimated(DEEPA, 5.0).samples if s.t_s <= 5.5]
    said = [x for x in said if x]
    assert said[0].startswith("calibrating: sit supported and upright")
    assert said[-1].startswith("calibrated: saved profile 'default' to ")
    assert profiles.path_for("default").is_file()
    assert tracker.posture.profile is recalibration.profile


def test_without_a_session_bus_the_fallback_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[tuple[str, str, str]] = []

    class Plain:  # notify-send's part, which needs no bus to be tested here
        def notify(self, title: str, body: str, kind: str = "") -> bool:
            shown.append((title, body, kind))
            return True

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    with caplog.at_level("INFO", logger="monitor.desktop.notifications"):
        notifier = DesktopNotifier(fallback=Plain())
        assert not notifier.wait_ready(10)
        assert notifier.notify("Time for a break", "sat long", "break")
        assert notifier.notify("Time for a break", "sat longer", "break")
        notifier.close()
    assert shown == [("Time for a break", "sat long", "break"),
                     ("Time for a break", "sat longer", "break")]  # fmt: skip
    said = [r.message for r in caplog.records]
    assert len(said) == 1 and "desktop notifications off" in said[0]  # said once
