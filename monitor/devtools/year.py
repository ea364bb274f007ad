"""A long history's cost: `python -m monitor.devtools.year [--weeks N] [--db PATH]`.

Generates weeks of working days (11 monitored hours each, one row a second,
as a recorder writes them: sessions, samples, bouts, breaks, alerts) into a
database, then measures through the real command line what a user waits for:
the database's size; `run` from its start to its first recorded sample;
`report` for one day and for `--days 7`, each from a cold cache (the file's
pages dropped from the page cache with posix_fadvise, no other file's); and
`data export` throughput. Five weeks are about a million rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from monitor.settings import DEFAULTS
from monitor.storage.store import Store

HOURS = 11
ISSUES = json.dumps({})
METRICS = json.dumps({"trunk_incl_deg": 4.2, "neck_incl_deg": 11.0, "head_forward": 0.08})


def generate(db: Path, weeks: int, first: date) -> int:
    """Weeks of working days from `first` (a Monday) into `db`; the rows of samples."""
    settings = dataclasses.asdict(DEFAULTS)
    n = 0
    with Store.open(db) as store:
        for day in range(weeks * 7):
            when = first + timedelta(days=day)
            if when.weekday() >= 5:
                continue
            t0 = datetime(when.year, when.month, when.day, 8, tzinfo=UTC).timestamp()
            sid = store.start_session(t0, "camera 0", "full", "default", settings)
            rows, bouts, breaks, alerts = [], [], [], []
            for hour in range(HOURS):  # 50 minutes seated, 10 up, each hour
                h = t0 + hour * 3600
                bouts.append((sid, h, h + 3000))
                breaks.append((sid, h + 3000, h + 3600))
                alerts.append((sid, h + 2990, "posture", "slouch"))
                for s in range(3600):
                    seated = s < 3000
                    rows.append((sid, h + s, 1.0, "seated" if seated else "standing",
                                 "good" if seated else "unknown", float(seated), float(not seated),
                                 0.0, 0.0, float(seated), 0.0, ISSUES, 1.0, METRICS))  # fmt: skip
            batch = {"samples": rows, "bouts": bouts, "breaks": breaks, "alerts": alerts,
                     "heeds": []}  # fmt: skip
            store.write(sid, batch, None, replace_open=False)
            store.stop_session(sid, t0 + HOURS * 3600)
            n += len(rows)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return n


def drop_cache(db: Path) -> None:
    """Drop the database's pages (and its -wal's) from the page cache: a cold start."""
    for path in (db, Path(f"{db}-wal")):
        if path.exists() and hasattr(os, "posix_fadvise"):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def cli(*args: str | Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "monitor", *map(str, args)],
                            capture_output=True, text=True, env=env)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed: {result.stderr}")
    return time.perf_counter() - started


def startup(db: Path, video: Path, env: dict[str, str]) -> float:
    """Seconds from starting `run` to its first sample in the database."""
    drop_cache(db)
    with sqlite3.connect(db) as c:
        (sessions,) = c.execute("SELECT max(id) FROM sessions").fetchone()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--source", str(video), "--loop", "--db", str(db),
         "--model", "lite", "--set", "storage.flush_s=1", "--set", "sound.enabled=false",
         "--set", "sound.notify=false"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            with sqlite3.connect(db, timeout=10) as c:
                row = c.execute(
                    "SELECT 1 FROM samples WHERE session_id > ? LIMIT 1", (sessions,)
                ).fetchone()
            if row:
                return time.perf_counter() - started
            if process.poll() is not None or time.perf_counter() - started > 120:
                raise SystemExit("run did not record a sample")
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(30)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m monitor.devtools.year", description=__doc__)
    p.add_argument("--weeks", type=int, default=5, help="weeks of working days (default 5)")
    p.add_argument("--db", type=Path, help="where (default: a temporary folder)")
    p.add_argument("--video", type=Path, help="a video for `run` (default: the shared gaze clip)")
    args = p.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="year-"))
    db = args.db or folder / "year.db"
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    video = args.video or shared / "front" / "gaze_analyser.mov"
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(folder / var.lower())
    first = date(2026, 1, 5)  # a Monday
    started = time.perf_counter()
    rows = generate(db, args.weeks, first) if not db.exists() else 0
    print(f"generated {rows} rows in {time.perf_counter() - started:.1f} s")
    size = db.stat().st_size
    print(f"database: {size / 1e6:.0f} MB, {rows or '?'} samples")
    last = (first + timedelta(days=args.weeks * 7 - 3)).isoformat()  # a Friday
    for label, extra in (("report, one day", ()), ("report --days 7", ("--days", "7"))):
        times = []
        for _ in range(3):
            drop_cache(db)
            times.append(cli("report", "--db", db, "--date", last, "--tz", "UTC", *extra, env=env))
        print(f"{label} (cold): {min(times):.2f} s best, {max(times):.2f} s worst")
    drop_cache(db)
    seconds = cli("data", "export", "--db", db, "--out", folder / "export", env=env)
    with sqlite3.connect(db) as c:
        (n,) = c.execute("SELECT count(*) FROM samples").fetchone()
    print(f"data export: {n} rows in {seconds:.1f} s ({n / seconds / 1000:.0f} k rows/s)")
    print(f"start-up to first sample (cold): {startup(db, video, env):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
