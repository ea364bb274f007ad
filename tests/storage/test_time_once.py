"""Time counted once: a clock set back never makes the report count a second twice.

The system clock set back (an NTP correction, a dual-boot mix-up) makes "now"
a time the database already holds. The live recorder then records nothing
over it, and says so once; and the report counts every second once whatever
the database holds (one written by an older version, say).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from conftest import cli_env, clip, run_cli

from monitor.settings import DEFAULTS
from monitor.storage.store import Store

LONG = clip("side/joylinwq_slump_to_upright.mp4")  # 31 s
SHORT = clip("front/gaze_analyser.mov")  # 3.8 s
QUIET = ("--set", "sound.enabled=false", "--set", "sound.notify=false")


def _report(db: Path, day: str, env: dict[str, str], out: Path) -> dict:
    result = run_cli("report", "--db", db, "--date", day, "--tz", "UTC", "--json", out, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())["days"][0]


def test_a_run_with_the_clock_set_back_records_nothing_over_a_recorded_stretch(
    tmp_path: Path,
) -> None:
    env = cli_env(tmp_path)
    db = tmp_path / "m.db"
    # The first session, recorded with the clock 31 s ahead of the one the run reads.
    start = datetime.fromtimestamp(time.time() - 2, timezone.utc).isoformat(timespec="seconds")
    first = run_cli("replay", LONG, "--fps", "1", "--model", "lite", "--db", db,
                    "--start", start, env=env)  # fmt: skip
    assert first.returncode == 0, first.stderr
    run = run_cli("run", "--source", SHORT, "--model", "lite", "--db", db,
                  "--set", "storage.flush_s=1", *QUIET, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(db) as c:
        (replay_end,) = c.execute(
            "SELECT max(t + dur_s) FROM samples WHERE session_id = 1"
        ).fetchone()
        (run_start, run_stop) = c.execute(
            "SELECT started_at, stopped_at FROM sessions WHERE id = 2"
        ).fetchone()
        mine = c.execute("SELECT count(*) FROM samples WHERE session_id = 2").fetchone()[0]
        bouts = c.execute("SELECT count(*) FROM bouts WHERE session_id = 2").fetchone()[0]
    assert run_stop < replay_end, "the run must fall inside the recorded stretch to test it"
    assert mine == 0 and bouts == 0  # nothing recorded over what was there
    warnings = [line for line in run.stderr.splitlines() if "already holds monitoring" in line]
    assert len(warnings) == 1, run.stderr  # said once
    day = datetime.fromtimestamp(run_start, timezone.utc).date().isoformat()
    figures = _report(db, day, env, tmp_path / "r.json")
    assert figures["monitored_s"] <= 31.2
    assert figures["bouts"] == 1


def _second(session: int, t: float) -> tuple:
    return (session, t, 1.0, "seated", "good", 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, "{}", 1.0, "{}")


def test_a_database_holding_the_same_minutes_twice_is_reported_once(tmp_path: Path) -> None:
    """As an older version recorded it after the clock went back: two sessions over
    the same 68 s, each with its bout. Reported as 68 s and one bout, not 1 min 32 s
    and two."""
    db, t0 = tmp_path / "m.db", datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
    settings = dataclasses.asdict(DEFAULTS)
    with Store.open(db) as store:
        for session, offset in ((1, 0.0), (2, 24.0)):  # the second from 24 s on: 44 s twice
            sid = store.start_session(t0 + offset, "camera 0", "full", None, settings)
            assert sid == session
            rows = [_second(sid, t0 + offset + i) for i in range(68 - int(offset))]
            batch = {"samples": rows, "bouts": [(sid, t0 + offset, t0 + 68)], "breaks": [],
                     "alerts": [], "heeds": []}  # fmt: skip
            store.write(sid, batch, None, replace_open=False)
            store.stop_session(sid, t0 + 68)
    figures = _report(db, "2026-03-02", cli_env(tmp_path), tmp_path / "r.json")
    assert figures["monitored_s"] == 68.0
    assert figures["seated_s"] == 68.0
    assert figures["bouts"] == 1 and figures["bout_longest_s"] == 68.0
    minutes = tmp_path / "m.csv"
    result = run_cli("report", "--db", db, "--date", "2026-03-02", "--tz", "UTC",
                     "--csv", minutes, env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = minutes.read_text().splitlines()
    header = lines[0].split(",")
    monitored = [float(line.split(",")[header.index("monitored_s")]) for line in lines[1:]]
    assert sum(monitored) == 68.0
