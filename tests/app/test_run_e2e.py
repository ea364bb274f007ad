"""`posture-monitor run` as a user runs it: a real recording paced like a webcam,
the real pose model, a real SQLite database and real sound.

Sound goes through ALSA's `file` plugin (an .asoundrc in a temporary HOME, as
in test_sound.py), so the chimes are really played and measured afterwards.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from conftest import REPO, cli_env, clip, run_cli
from pytest import approx

from monitor.settings import Sound
from monitor.sound import chimes

JONZ = "side/jonz21_office_chair.mp4"  # 17.6 s, seated, slouches at 6-8 s
GAZE = "front/gaze_analyser.mov"  # 3.9 s


def user_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Private user folders, and a HOME whose ALSA default device is a raw file."""
    home, raw = tmp_path / "home", tmp_path / "speaker.raw"
    home.mkdir()
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; file "{raw}"; format "raw" }}\n'
    )
    return cli_env(tmp_path, HOME=str(home)), raw


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_run_on_a_recording_records_bouts_and_alerts_and_sounds_them(tmp_path: Path) -> None:
    env, raw = user_env(tmp_path)
    done = run_cli(
        "calibrate", "--source", clip(JONZ), "--start", "1.6", "--seconds", "3.6",
        "--countdown", "0", env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    db = tmp_path / "monitor.db"
    started = time.time()
    done = subprocess.run(
        [
            sys.executable, "-m", "monitor", "run", "--source", str(clip(JONZ)), "--db", str(db),
            "--set", "alerts.break_after_s=5", "--set", "posture.hold_s=1",
            "--set", "sound.notify=false",
        ],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=90,
        stdin=subprocess.DEVNULL,
    )
    took = time.time() - started
    assert done.returncode == 0, done.stderr
    # Paced like a webcam: the 17.6 s file takes about 17.6 s, then the run ends.
    assert 17 < took < 40
    assert "monitored " in done.stdout and "Sitting report for" in done.stdout
    assert "break: You have been sitting for" in done.stderr
    assert "posture: " in done.stderr and "(sound: played)" in done.stderr
    # Without a terminal, the status goes out as whole lines.
    status = r"^(seated|standing|away|unknown)( \| [^|\n]+)* \| \d+\.\d fps$"
    assert re.search(status, done.stderr, re.M)

    (session,) = query(db, "SELECT id, started_at, stopped_at, profile FROM sessions")
    _, started_at, stopped_at, profile = session
    assert profile == "default"
    assert 10 < stopped_at - started_at < 25
    bouts = query(db, "SELECT t_start, t_end FROM bouts")
    assert len(bouts) == 1 and bouts[0][1] - bouts[0][0] > 10
    kinds = [k for (k,) in query(db, "SELECT kind FROM alerts ORDER BY t")]
    assert "break" in kinds and "posture" in kinds
    (first_alert,) = query(db, "SELECT min(t) FROM alerts WHERE kind = 'break'")[0]
    # break_after_s=5 into the bout (later only if the bout was confirmed later).
    assert 4 < first_alert - bouts[0][0] < 12
    seated, drift, rows = query(db, "SELECT sum(seated_s), sum(drift_s), count(*) FROM samples")[0]
    assert seated > 10 and drift > 0.5 and rows >= 12
    # The last chime reached the "speaker" whole: the file plugin starts the
    # file again for each chime, and the run waited for it before exiting.
    pcm = np.frombuffer(raw.read_bytes(), dtype="<i2")
    lengths = {len(chimes.chime(k, r > 0, Sound().volume)) for k in chimes.KINDS for r in (0, 1)}
    assert len(pcm) in lengths
    assert chimes.rms(pcm) > 0.05
    assert chimes.dominant_hz(pcm) in (
        approx(chimes.MAIN_NOTE_HZ["break"], rel=0.02),
        approx(chimes.MAIN_NOTE_HZ["posture"], rel=0.02),
    )


def test_ctrl_c_stops_cleanly_with_a_summary_and_the_samples_stored(tmp_path: Path) -> None:
    env, _ = user_env(tmp_path)
    db = tmp_path / "monitor.db"
    child = subprocess.Popen(
        [
            sys.executable, "-m", "monitor", "run", "--source", str(clip(GAZE)), "--loop",
            "--db", str(db), "--model", "lite", "--set", "sound.notify=false",
        ],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=REPO,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(child.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    deadline = time.monotonic() + 30
    while not any(" fps" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any(" fps" in line for line in lines), lines
    time.sleep(5)  # past the end of the 3.9 s clip: it starts over
    child.send_signal(signal.SIGINT)
    stdout = child.stdout.read()  # type: ignore[union-attr]
    assert child.wait(timeout=30) == 0, "".join(lines)
    reader.join(5)
    stderr = "".join(lines)
    assert "posture needs calibration: run 'posture-monitor calibrate'" in stderr
    assert "Traceback" not in stderr and "interrupted" not in stderr
    assert stdout.startswith("monitored ")
    assert "Sitting report for" in stdout
    (started_at, stopped_at) = query(db, "SELECT started_at, stopped_at FROM sessions")[0]
    assert stopped_at is not None and 4 < stopped_at - started_at < 15
    (rows, monitored) = query(db, "SELECT count(*), sum(dur_s) FROM samples")[0]
    assert rows >= 4 and monitored > 4  # looped past the clip's 3.9 s
    log = (tmp_path / "xdg_state_home" / "posture-monitor" / "monitor.log").read_text()
    assert "monitoring " in log and "stopped: monitored " in log
    assert re.search(r" \[\d+\] INFO monitor\.", log)  # the pid tells two monitors apart


def test_a_camera_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    done = run_cli("run", "--source", "7", env=cli_env(tmp_path), timeout=30)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "posture-monitor: error: camera 7 does not exist (cameras available: none found)"
    )


def test_settings_errors_name_the_key_the_value_and_what_is_allowed(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    for setting, words in [
        ("sampling.fps=0", "sampling.fps = '0' is out of range: expected a float from 0.05 to 60"),
        ("sampling.fast_fps=quick", "sampling.fast_fps = 'quick': expected a float from"),
        ("sampling.speed=2", "unknown setting 'sampling.speed'"),
    ]:
        done = run_cli("run", "--source", clip(GAZE), "--set", setting, env=env, timeout=30)
        assert done.returncode == 1, setting
        assert words in done.stderr, done.stderr


def test_config_shows_each_value_and_where_it_came_from(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    folder = tmp_path / "xdg_config_home" / "posture-monitor"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text("[sampling]\nfps = 3\n")
    done = run_cli("config", "--set", "sampling.away_fps=0.2", env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert "= 3.0" in rows["sampling.fps"] and "[file]" in rows["sampling.fps"]
    assert "= 0.2" in rows["sampling.away_fps"] and "[command line]" in rows["sampling.away_fps"]
    assert "= 5.0" in rows["sampling.fast_fps"] and "[default]" in rows["sampling.fast_fps"]
    assert str(folder / "config.toml") in done.stdout.splitlines()[0]
