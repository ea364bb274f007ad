"""The tray icon as a user sees it: `posture-monitor run` on a recording under
Xvfb with a real tray (trayer), the icon found and its colour read from
screenshots, its menu opened with a real click (xdotool) and driven from the
keyboard; the monitor's state checked through what `pause`/`snooze` use and
through its status output."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, cli_env, clip, run_cli
from virtual_desktop import colour_at_tray, screenshot, virtual_desktop, wait_for

from monitor.core.tracker import Step
from monitor.core.values import PostureState, Presence, TimelineSample
from monitor.desktop import tray
from monitor.desktop.tray import COLOURS, TrayState, tray_state
from monitor.storage import control

DEEPA = "front/deepa_interview.mp4"  # upright 0-5 s, leans in ~6-17 s, 23.4 s long
MENU = [
    "Pause 30 min", "Pause 1 h", "Pause until resumed", "Resume", "Snooze the break alert",
    "Calibrate now", "Open today's report", "Quit",
]  # fmt: skip


def step(presence: Presence, posture: PostureState, due: float | None = 100.0) -> Step:
    return Step(TimelineSample(1.0, presence, posture), break_due_in_s=due)


@pytest.mark.parametrize(
    ("last", "note", "state"),
    [
        (step(Presence.SEATED, PostureState.GOOD), "", TrayState.GOOD),
        (step(Presence.SEATED, PostureState.UNKNOWN), "", TrayState.GOOD),
        (step(Presence.SEATED, PostureState.DRIFT), "", TrayState.DRIFT),
        (step(Presence.SEATED, PostureState.DRIFT, due=0.0), "", TrayState.BREAK_DUE),
        (step(Presence.AWAY, PostureState.UNKNOWN, due=None), "", TrayState.AWAY),
        (step(Presence.STANDING, PostureState.UNKNOWN), "", TrayState.AWAY),
        (None, "paused until 10:30", TrayState.PAUSED),
        (None, "camera unavailable (camera 0 is busy), retrying", TrayState.CAMERA),
        (None, "", TrayState.STARTING),
    ],
)
def test_the_icon_state(last: Step | None, note: str, state: TrayState) -> None:
    assert tray_state(last, note) is state


def test_every_state_has_its_own_colour_and_icon() -> None:
    assert len(set(COLOURS.values())) == len(TrayState)
    for state in TrayState:
        image = tray.icon_image(state).convert("RGB")
        assert image.getpixel((32, 32)) == COLOURS[state]


def test_a_tray_that_cannot_start_is_logged_once_and_nothing_else_happens(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PYSTRAY_BACKEND", "no-such-backend")
    called: list[str] = []
    actions = tray.Actions(*(lambda *a, n=n: called.append(n) for n in range(6)))  # type: ignore[misc]
    icon = tray.Tray(actions, lambda: (TrayState.GOOD, "seated"))
    with caplog.at_level(logging.INFO, logger="monitor.desktop.tray"):
        icon.start()
        assert wait_for(lambda: icon.failed is not None, 10)
        icon.stop()
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "monitoring goes on" in caplog.records[0].message and not called
    assert [label for label, _ in icon.menu_items()] == MENU


def xdotool(env: dict[str, str], *args: str) -> None:
    subprocess.run(["xdotool", *args], env=env, check=True, timeout=10)


def choose(env: dict[str, str], where: tuple[int, int], label: str) -> None:
    """Right-click the icon (a real click), then walk the menu to `label` and take it."""
    xdotool(env, "mousemove", str(where[0]), str(where[1]), "click", "3")
    time.sleep(0.7)
    xdotool(env, "key", *["Down"] * (MENU.index(label) + 1), "Return")


def test_run_shows_the_state_in_the_tray_and_its_menu_drives_the_monitor(tmp_path: Path) -> None:
    browser = tmp_path / "browser.sh"  # webbrowser runs $BROWSER: it notes what it was given
    browser.write_text(f'#!/bin/sh\necho "$1" > {tmp_path / "opened.txt"}\n')
    browser.chmod(0o755)
    env = cli_env(tmp_path, NO_AT_BRIDGE="1", BROWSER=str(browser))
    done = run_cli(
        "calibrate", "--source", clip(DEEPA), "--seconds", "5", "--countdown", "0", env=env
    )
    assert done.returncode == 0, done.stderr
    shots = tmp_path / "shots"
    shots.mkdir()
    with virtual_desktop(tmp_path, env) as desktop:
        monitor = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--source", str(clip(DEEPA)), "--loop",
             "--db", str(tmp_path / "m.db"), "--set", "posture.hold_s=1",
             "--set", "sound.enabled=false"],
            env=desktop, cwd=REPO, stdin=subprocess.DEVNULL, text=True,
            stdout=open(tmp_path / "out.txt", "w"),  # noqa: SIM115 (the child's, until it ends)
            stderr=open(tmp_path / "err.txt", "w"),  # noqa: SIM115
        )  # fmt: skip
        seen: list[TrayState] = []

        def icon(n: list[int] = [0]) -> tuple[TrayState, tuple[int, int]] | None:  # noqa: B006
            n[0] += 1
            found = colour_at_tray(screenshot(desktop, shots / f"{n[0]:03d}.png"), COLOURS)
            if found and (not seen or seen[-1] is not found[0]):
                seen.append(found[0])  # type: ignore[arg-type]
            return found  # type: ignore[return-value]

        try:
            # Upright at first, then deepa leans in to the screen: the icon turns orange.
            assert wait_for(lambda: TrayState.GOOD in seen or bool(icon() and 0), 40, 0.5)
            assert wait_for(lambda: (icon() or (None,))[0] is TrayState.DRIFT, 40, 0.5), seen
            assert seen.index(TrayState.GOOD) < seen.index(TrayState.DRIFT)
            where = icon()[1]  # type: ignore[index]

            choose(desktop, where, "Pause 30 min")
            assert wait_for(lambda: control.until("pause", time.time()) is not None, 10)
            assert control.until("pause", time.time()) == pytest.approx(time.time() + 1800, abs=15)
            assert wait_for(lambda: (icon() or (None,))[0] is TrayState.PAUSED, 15, 0.5), seen

            choose(desktop, where, "Resume")
            assert wait_for(lambda: control.until("pause", time.time()) is None, 10)
            assert wait_for(lambda: (icon() or (None,))[0] not in (TrayState.PAUSED, None), 20)

            choose(desktop, where, "Snooze the break alert")
            assert wait_for(lambda: control.until("snooze", time.time()) is not None, 10)

            choose(desktop, where, "Calibrate now")  # in the running loop, 5 s
            said = tmp_path / "err.txt"  # where the status and the alerts go
            assert wait_for(lambda: "] calibrated: saved profile 'default'" in said.read_text(), 30)

            choose(desktop, where, "Open today's report")
            opened = tmp_path / "opened.txt"
            assert wait_for(opened.exists, 30)
            page = Path(opened.read_text().strip().removeprefix("file://"))
            assert page.name == "today.html" and "Sitting report for" in page.read_text()

            choose(desktop, where, "Quit")
            monitor.wait(30)
        finally:
            if monitor.poll() is None:
                monitor.kill()
                monitor.wait()
    out, err = (tmp_path / "out.txt").read_text(), (tmp_path / "err.txt").read_text()
    assert monitor.returncode == 0, err
    assert out.startswith("monitored "), out  # quit from the menu: a clean stop with a summary
    assert "paused until " in err  # the status output saw the pause
    assert "Traceback" not in err


def test_no_desktop_no_tray(monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor.desktop import companion

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    actions = tray.Actions(*(lambda *a: None for _ in range(6)))  # type: ignore[misc]
    assert companion.start_tray(object(), actions, enabled=True) is None  # type: ignore[arg-type]
    monkeypatch.setenv("DISPLAY", ":99")
    assert companion.start_tray(object(), actions, enabled=False) is None  # type: ignore[arg-type]
    assert tray.desktop_available({"WAYLAND_DISPLAY": "wayland-0"})
