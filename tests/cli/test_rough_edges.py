"""Rough edges a new user hit, each as the user met it.

A Ctrl-D at the first-run question, a warning glued onto the status line, a
profile from the other view judging nothing in silence, files written without
a word, carriage returns piling up in a log, two wordings of one missing camera.
"""

from __future__ import annotations

import io
import logging
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, cli_env, clip, run_cli

from monitor.app import replay
from monitor.app.status import log_lines_clear_status
from monitor.capture import models
from monitor.sound.players import BellBackend

GAZE = "front/gaze_analyser.mov"  # 3.9 s, front view
DEEPA = "front/deepa_interview.mp4"  # 23.4 s, front view
JONZ = "side/jonz21_office_chair.mp4"  # side view


def render(raw: str) -> list[str]:
    """The lines a terminal shows for `raw`: a carriage return goes back to the
    start of the line, ESC[K erases to its end, the bell is heard, not shown."""
    lines, line, col = [], "", 0
    for token in re.findall(r"\x1b\[K|.|\n", raw, flags=re.S):
        if token == "\n":
            lines.append(line)
            line, col = "", 0
        elif token == "\r":
            col = 0
        elif token == "\x1b[K":
            line = line[:col]
        elif token == "\a":
            continue
        else:
            line = line[:col] + token + line[col + 1 :]
            col += 1
    return [*lines, line] if line else lines


def read_all(fd: int, until: float) -> bytes:
    out = b""
    while time.monotonic() < until:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        out += chunk
    return out


def test_ctrl_d_at_the_first_run_question_means_no(tmp_path: Path) -> None:
    master, slave = os.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--source", str(clip(GAZE)),
         "--db", str(tmp_path / "m.db"), "--set", "sound.enabled=false",
         "--set", "sound.notify=false"],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=cli_env(tmp_path), cwd=REPO, text=True,
    )  # fmt: skip
    os.close(slave)
    # A Ctrl-D on an empty line waits in the terminal for whoever reads next:
    # the question, however late it comes.
    os.write(master, b"\x04")
    out, err = child.communicate(timeout=90)
    os.close(master)
    assert "Calibrate your neutral posture now? [Y/n]" in out
    assert "Traceback" not in err and "EOFError" not in err
    assert child.returncode == 0, err
    assert "Monitoring presence and sitting time only" in out
    assert "monitored " in out  # it went on and monitored


def test_a_log_warning_starts_on_a_clean_line_and_the_bell_stays_out_of_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    master, slave = os.openpty()
    terminal = io.TextIOWrapper(os.fdopen(slave, "wb", buffering=0), write_through=True)
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with log_lines_clear_status(terminal):
            terminal.write("\r\x1b[Kseated | sitting 0:12 | posture good | 2.0 fps")
            BellBackend().play(None, 0)  # type: ignore[arg-type]  # the bell ignores samples
            logging.getLogger("monitor.players").warning("aplay failed")
            terminal.write("\r\x1b[Kseated | sitting 0:13 | posture good | 2.0 fps")
    finally:
        root.removeHandler(handler)
        terminal.close()
    raw = read_all(master, time.monotonic() + 1).decode()
    os.close(master)
    assert "\a" in raw  # the bell rang, as one byte of its own
    assert render(raw) == [
        "WARNING monitor.players: aplay failed",  # the status line was cleared first
        "seated | sitting 0:13 | posture good | 2.0 fps",
    ]


def test_a_profile_from_the_other_view_says_why_posture_is_unknown(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    done = run_cli(
        "calibrate", "--source", clip(JONZ), "--start", "1.6", "--seconds", "3.6",
        "--countdown", "0", "--profile", "side", env=env, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    db, out = tmp_path / "r.db", tmp_path / "timeline.json"
    done = run_cli(
        "replay", clip(GAZE), "--profile", "side", "--json", out, "--db", db,
        "--start", "2026-10-23T09:00", env=env, timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "posture: good 0, drift 0, unknown " in done.stdout
    said = [line for line in done.stderr.splitlines() if "posture is not judged" in line]
    assert len(said) == 1, done.stderr  # once, not per sample
    assert "calibrated in the side view" in said[0] and "seen from the front" in said[0]
    assert done.stdout.splitlines()[-1] == f"wrote {out}"  # replay --json says where

    files = [tmp_path / name for name in ("day.html", "day.json", "day.csv")]
    done = run_cli(
        "report", "--db", db, "--date", "2026-10-23",
        "--html", files[0], "--json", files[1], "--csv", files[2], env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (wrote,) = [line for line in done.stdout.splitlines() if line.startswith("wrote ")]
    assert set(wrote.removeprefix("wrote ").split(", ")) == {str(f) for f in files}
    assert all(f.is_file() for f in files)


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe or log file"])
def test_progress_bars_redraw_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, tty: bool
) -> None:
    stream = _Stream(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    show = replay.stderr_progress("replay", every_s=0)
    for t in (1.0, 2.0, 3.0):
        show(t, 3.0)
    bar = models.progress_bar("downloading lite")
    for done in (1_000_000, 2_000_000):
        bar(done, 2_000_000)
    text = stream.getvalue()
    if tty:
        assert text.count("\rreplay [") == 3 and "\rdownloading lite [" in text
    else:
        assert "\r" not in text
        assert text == "downloading lite: 2.0 MB done\n"  # one plain line, when done


def test_run_and_calibrate_word_a_missing_camera_alike(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    said = []
    for command in ("run", "calibrate"):
        done = run_cli(command, "--source", "7", env=env, timeout=60)
        assert done.returncode == 1
        said.append(done.stderr.strip().splitlines()[-1])
    assert said[0] == said[1]
    assert said[0].startswith("posture-monitor: error: camera 7 does not exist (cameras available")
