"""`posture-monitor autostart`: the entry each platform runs at login, and a
simulated login that runs what the Linux entry says."""

from __future__ import annotations

import os
import plistlib
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_env, clip, run_cli

from monitor.desktop import autostart

GAZE = "front/gaze_analyser.mov"  # 3.9 s, front view


def desktop_exec(entry: Path) -> list[str]:
    """The Exec line's arguments (the Desktop Entry quoting is shell-like)."""
    (line,) = [x for x in entry.read_text().splitlines() if x.startswith("Exec=")]
    return shlex.split(line.removeprefix("Exec=").replace("%%", "%"))


def test_enable_twice_status_and_disable_on_linux(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    entry = tmp_path / "xdg_config_home" / "autostart" / "posture-monitor.desktop"
    neighbour = entry.with_name("someone-else.desktop")
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text("[Desktop Entry]\nName=other\n")

    said = run_cli("autostart", "status", env=env)
    assert said.stdout.startswith(f"not installed (enable writes {entry})")
    first = run_cli("autostart", "enable", env=env)
    assert first.returncode == 0 and first.stdout.startswith(f"wrote {entry};")
    written = entry.read_bytes()
    again = run_cli("autostart", "enable", env=env)
    assert again.returncode == 0 and again.stdout.startswith(f"already installed: {entry};")
    assert entry.read_bytes() == written
    said = run_cli("autostart", "status", env=env)
    assert said.stdout.strip() == f"installed at {entry}: the monitor starts when you log in"

    text = entry.read_text()
    assert text.startswith("[Desktop Entry]\nType=Application\n")
    assert "Terminal=false" in text
    argv = desktop_exec(entry)
    if argv[0] == "env":  # a checkout run in place: PYTHONPATH finds it
        assert argv[1] == f"PYTHONPATH={Path(__file__).resolve().parents[2]}"
        argv = argv[2:]
    assert argv == [sys.executable, "-m", "monitor", "run"]
    assert Path(argv[0]).is_absolute()

    gone = run_cli("autostart", "disable", env=env)
    assert gone.stdout.strip() == f"removed {entry}"
    assert not entry.exists() and neighbour.exists()  # exactly what enable wrote
    assert run_cli("autostart", "disable", env=env).stdout.strip() == "autostart was not installed"


def test_a_file_that_is_not_ours_is_never_overwritten_or_removed(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    entry = tmp_path / "xdg_config_home" / "autostart" / "posture-monitor.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nExec=my-own-wrapper\n")
    for action in ("enable", "disable"):
        done = run_cli("autostart", action, env=env)
        assert done.returncode == 1
        assert "not ours" in done.stderr or "not written by posture-monitor" in done.stderr
    assert entry.read_text() == "[Desktop Entry]\nExec=my-own-wrapper\n"


def test_the_macos_launch_agent(tmp_path: Path) -> None:
    env = cli_env(tmp_path, HOME=str(tmp_path))
    done = run_cli("autostart", "enable", "--platform", "darwin", "--profile", "office", env=env)
    assert done.returncode == 0, done.stderr
    plist = tmp_path / "Library" / "LaunchAgents" / "local.posture-monitor.plist"
    agent = plistlib.loads(plist.read_bytes())
    assert agent["Label"] == "local.posture-monitor"
    assert agent["ProgramArguments"] == [
        sys.executable, "-m", "monitor", "run", "--profile", "office"
    ]  # fmt: skip
    assert agent["RunAtLoad"] is True and "KeepAlive" not in agent
    assert set(agent.get("EnvironmentVariables", {})) <= {"PYTHONPATH"}
    said = run_cli("autostart", "status", "--platform", "darwin", "--profile", "office", env=env)
    assert said.stdout.startswith(f"installed at {plist}")
    run_cli("autostart", "disable", "--platform", "darwin", env=env)
    assert not plist.exists()


def test_the_windows_startup_script(tmp_path: Path) -> None:
    env = cli_env(tmp_path, APPDATA=str(tmp_path / "Roaming"))
    done = run_cli("autostart", "enable", "--platform", "win32", env=env)
    assert done.returncode == 0, done.stderr
    script = (tmp_path / "Roaming" / "Microsoft" / "Windows" / "Start Menu" / "Programs"
              / "Startup" / "posture-monitor.cmd")  # fmt: skip
    lines = script.read_bytes().decode().split("\r\n")
    assert lines[0] == "@echo off" and lines[1].startswith("rem written by posture-monitor")
    assert lines[-2] == f'start "" /min {sys.executable} -m monitor run'
    assert lines[-1] == ""  # CRLF line ends throughout, as cmd.exe wants


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [("plain", "plain"), ("/a b/python", '"/a b/python"'), ('say "hi" $x', '"say \\"hi\\" \\$x"'),
     ("100%", '"100%%"')],
)  # fmt: skip
def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says(arg: str, quoted: str) -> None:
    assert autostart._desktop_quote(arg) == quoted


def test_a_simulated_login_runs_the_entry_and_monitors(tmp_path: Path) -> None:
    """Enable, then do what the session does at login: run the Exec line, with the
    session's environment (no PYTHONPATH of ours, no terminal, another folder)."""
    env = cli_env(tmp_path)
    config = tmp_path / "xdg_config_home" / "posture-monitor" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[sound]\nenabled = false\nnotify = false\n[desktop]\ntray = false\n")
    done = run_cli(
        "calibrate", "--source", clip(GAZE), "--seconds", "3", "--countdown", "0", env=env
    )
    assert done.returncode == 0, done.stderr
    done = run_cli("autostart", "enable", "--source", clip(GAZE), env=env)
    assert done.returncode == 0, done.stderr
    argv = desktop_exec(tmp_path / "xdg_config_home" / "autostart" / "posture-monitor.desktop")

    login = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    started = subprocess.run(
        argv, env=login, cwd=elsewhere, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert started.stdout.startswith("monitored ")
    db = tmp_path / "xdg_data_home" / "posture-monitor" / "monitor.db"
    with sqlite3.connect(db) as conn:  # the database a terminal's `run` uses
        ((profile, rows),) = conn.execute(
            "SELECT profile, (SELECT count(*) FROM samples) FROM sessions"
        ).fetchall()
    assert profile == "default" and rows >= 3
    log = (tmp_path / "xdg_state_home" / "posture-monitor" / "monitor.log").read_text()
    assert "profile default" in log and "stopped: monitored " in log
    assert not os.path.exists(elsewhere / "monitor.db")
