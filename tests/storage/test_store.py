"""The SQLite store and the session recorder, on real databases in tmp_path."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from simulated_day import AWAY, DRIFT, GOOD, SEATED, STANDING, Core, run, settings, stretch

from monitor.errors import StoreError
from monitor.report import export
from monitor.settings import keys
from monitor.storage.recorder import Recorder
from monitor.storage.store import LONGEST_ROW_S, VERSION, Store

START = 1_790_000_000.0  # 2026-09-21, a Monday


def recorder(store: Store, started_at: float = START, **sections: dict) -> Recorder:
    config = settings(**sections)
    return Recorder(store, source="sim", model="full", settings=config, started_at=started_at)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- opening and migrations --------------------------------------------------


def test_new_database_is_private_wal_and_current(tmp_path: Path) -> None:
    path = tmp_path / "new" / "monitor.db"
    with Store.open(path) as store:
        assert store.version() == VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = store.conn.execute("SELECT number FROM migrations ORDER BY number").fetchall()
        assert [n for (n,) in applied] == list(range(1, VERSION + 1))
        run(recorder(store), [stretch(10, SEATED)], settings())
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    for side in path.parent.glob("monitor.db-*"):  # -wal, -shm copy the mode
        assert mode(side) == 0o600


def test_default_path_is_the_platform_data_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with Store.open(None) as store:
        assert store.path == tmp_path / "posture-monitor" / "monitor.db"
    assert store.path.exists()


# The first released schema, written out by hand as an old install left it.
V1_SCHEMA = """
CREATE TABLE migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL);
INSERT INTO migrations VALUES (1, 'sessions, samples, bouts, breaks, alerts', 1700000000);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at REAL NOT NULL, stopped_at REAL,
  source TEXT, model TEXT, profile TEXT, settings TEXT);
CREATE TABLE samples (session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  t REAL NOT NULL, dur_s REAL NOT NULL, presence TEXT NOT NULL, posture TEXT NOT NULL,
  seated_s REAL NOT NULL, standing_s REAL NOT NULL, away_s REAL NOT NULL,
  unknown_s REAL NOT NULL, good_s REAL NOT NULL, drift_s REAL NOT NULL,
  issues TEXT NOT NULL, hips_s REAL NOT NULL, metrics TEXT NOT NULL,
  PRIMARY KEY (session_id, t));
CREATE INDEX samples_t ON samples(t);
CREATE TABLE bouts (session_id INTEGER NOT NULL, t_start REAL NOT NULL, t_end REAL NOT NULL);
CREATE INDEX bouts_t ON bouts(t_start);
CREATE TABLE breaks (session_id INTEGER NOT NULL, t_start REAL NOT NULL, t_end REAL NOT NULL);
CREATE INDEX breaks_t ON breaks(t_start);
CREATE TABLE alerts (session_id INTEGER NOT NULL, t REAL NOT NULL, kind TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX alerts_t ON alerts(t);
INSERT INTO sessions VALUES (1, 1790000000, 1790003600, 'camera 0', 'full', NULL, '{}');
INSERT INTO samples VALUES (1, 1790000000, 1.0, 'seated', 'good', 1, 0, 0, 0, 1, 0, '{}', 1,
  '{"pelvic_tilt_deg": 2.5}');
INSERT INTO bouts VALUES (1, 1790000000, 1790003000);
INSERT INTO alerts VALUES (1, 1790002900, 'break', 'stand up');
PRAGMA user_version = 1;
"""


def test_an_old_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old = sqlite3.connect(path)
    old.executescript(V1_SCHEMA)
    old.close()
    with Store.open(path) as store:
        assert store.version() == VERSION
        rows = store.rows(1789990000, 1790010000)
        assert len(rows.samples) == 1 and rows.samples[0].metrics == {"pelvic_tilt_deg": 2.5}
        assert [(b.start, b.end) for b in rows.bouts] == [(1790000000, 1790003000)]
        # The v1 alert gained the v2 columns, unknown outcome.
        assert [(a.kind, a.heeded) for a in rows.alerts] == [("break", None)]
        names = [n for (n,) in store.conn.execute("SELECT name FROM migrations ORDER BY number")]
        assert names[0].startswith("sessions") and len(names) == VERSION
        # ...and the new tables work.
        run(recorder(store), [stretch(5, SEATED)], settings())


# Then migration 2, by hand: the schema before open bouts, as an install left it.
V1_TO_V2 = """
ALTER TABLE alerts ADD COLUMN break_after_s REAL;
ALTER TABLE alerts ADD COLUMN heeded INTEGER;
CREATE TABLE calibrations (id INTEGER PRIMARY KEY, t REAL NOT NULL, profile TEXT NOT NULL,
  view TEXT, samples INTEGER, baseline TEXT);
INSERT INTO migrations VALUES (2, 'alert outcomes, calibrations', 1700000000);
PRAGMA user_version = 2;
"""


def test_a_v2_database_gains_open_bouts_and_keeps_its_bouts_ended(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    old = sqlite3.connect(path)
    old.executescript(V1_SCHEMA + V1_TO_V2)
    old.close()
    with Store.open(path) as store:
        assert store.version() == VERSION
        rows = store.rows(1789990000, 1790010000, now=1790003000)
        assert [(b.start, b.end) for b in rows.bouts] == [(1790000000, 1790003000)]
        assert rows.ongoing == []  # written before bouts could be open: ended
        # A session recorded now keeps its bout under way as the one open row.
        rec = recorder(store, started_at=START + 7200)
        end = run(rec, [stretch(600, SEATED)], settings(), close=False)
        rows = store.rows(START + 7200, START + 9000, now=rec.wall(end))
        assert [b.start - START for b in rows.ongoing] == [7200]
        rec.close(end)
        open_rows = store.conn.execute("SELECT count(*) FROM bouts WHERE open = 1")
        assert open_rows.fetchone()[0] == 0


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old = sqlite3.connect(path)
    old.executescript(V1_SCHEMA)
    # Sabotage migration 2: the table it creates already exists.
    old.execute("CREATE TABLE calibrations (x)")
    old.commit()
    old.close()
    with pytest.raises(StoreError, match="calibrations"):
        Store.open(path)
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 1
    cols = [r[1] for r in check.execute("PRAGMA table_info(alerts)")]
    assert "heeded" not in cols  # migration 2 rolled back as a whole
    check.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this posture-monitor"):
        Store.open(path)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda good: b"these are not the bytes you are looking for" * 200, id="text"),
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(lambda good: good[:100] + b"\xff" * (len(good) - 100), id="scrambled"),
    ],
)
def test_a_damaged_database_is_reported_and_left_alone(tmp_path: Path, damage) -> None:
    good_path = tmp_path / "good.db"
    with Store.open(good_path) as store:
        run(recorder(store), [stretch(600, SEATED)], settings())
    assert not good_path.with_name("good.db-wal").exists()  # closing checkpointed it
    bad = tmp_path / "bad.db"
    bad.write_bytes(damage(good_path.read_bytes()))
    before = bad.read_bytes()
    with pytest.raises(StoreError, match=r"damaged|cannot use"):
        Store.open(bad)
    assert bad.read_bytes() == before


def test_a_locked_database_says_so(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    Store.open(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import sqlite3, sys
                c = sqlite3.connect({str(path)!r}, isolation_level=None)
                c.execute("PRAGMA locking_mode=EXCLUSIVE")
                c.execute("BEGIN EXCLUSIVE")
                c.execute("CREATE TABLE hold (x)")
                print("locked", flush=True)
                sys.stdin.read()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreError, match="locked by another process"):
            Store.open(path, timeout_s=0.2)
    finally:
        holder.communicate("")


# --- recording ---------------------------------------------------------------


def test_samples_are_one_row_a_second_weighted_by_time(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        schedule = [
            stretch(60, SEATED, GOOD, metrics={"pelvic_tilt_deg": 4.0}),
            stretch(30, SEATED, DRIFT, ("slouch",)),
            stretch(30, STANDING),
        ]
        end = run(recorder(store), schedule, settings(), fps=5)
        rows = store.rows(START, START + 1000).samples
    assert end == pytest.approx(120)
    assert len(rows) == 120
    assert all(r.t == int(r.t) for r in rows)
    assert sum(r.dur_s for r in rows) == pytest.approx(120)
    assert sum(r.seated_s for r in rows) == pytest.approx(90)
    assert sum(r.standing_s for r in rows) == pytest.approx(30)
    assert sum(r.good_s for r in rows) == pytest.approx(60)
    assert sum(r.issues.get("slouch", 0) for r in rows) == pytest.approx(30)
    assert rows[0].metrics == {"pelvic_tilt_deg": 4.0}


def test_flushes_follow_sample_time_not_the_clock(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store.open(path) as store:
        rec = recorder(store, storage={"flush_s": 5.0})
        peek = sqlite3.connect(path)

        def stored() -> int:
            return peek.execute("SELECT count(*) FROM samples").fetchone()[0]

        run(rec, [stretch(4.5, SEATED)], settings(), close=False)  # frames 0 to 4 s
        assert stored() == 0 and rec.flushed_until is None  # 4 s old: not yet
        run(rec, [stretch(2, SEATED)], settings(), t0=4.5, close=False)
        assert stored() == 5 and rec.flushed_until == START + 4  # at 5 s: seconds 0-4
        rec.close(6.5)
        assert stored() == 7
        peek.close()


def test_alerts_record_whether_a_break_followed(tmp_path: Path) -> None:
    config = settings(alerts={"break_after_s": 600.0, "break_repeat_s": 300.0})
    with Store.open(tmp_path / "m.db") as store:
        rec = Recorder(store, source="sim", model="full", settings=config, started_at=START)
        schedule = [
            stretch(660, SEATED),  # alert at 600; up at 660: heeded after 60 s
            stretch(120, AWAY),
            stretch(1300, SEATED),  # alerts at 600, 900, 1200 of the bout; up at 1300
            stretch(120, STANDING),
            stretch(700, SEATED),  # alert at 600; monitoring stops at 700: undecided
        ]
        run(rec, schedule, config)
        alerts = store.rows(START, START + 10_000).alerts
    outcome = [(a.t - START, a.heeded, a.break_after_s) for a in alerts]
    assert outcome == [
        (600, 1, 60),
        (1380, 0, 700),
        (1680, 0, 400),
        (1980, 1, 100),
        (2800, None, None),
    ]


def test_a_full_disk_stops_recording_not_monitoring(tmp_path: Path, caplog) -> None:
    with Store.open(tmp_path / "m.db") as store:
        rec = recorder(store)
        run(rec, [stretch(10, SEATED)], settings(), close=False)
        rec.flush()
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
        run(rec, [stretch(3000, SEATED)], settings(), t0=10)  # raises nothing
        assert rec.failed and "full" in rec.failed
        assert sum("full" in m for m in caplog.messages) == 1
        # What fitted before the disk filled is kept, whole seconds in order.
        kept = [r.t - START for r in store.rows(START, START + 10_000).samples]
        assert 10 <= len(kept) < 3000 and kept == list(range(len(kept)))
        rec.close(3010)  # still harmless


def test_retention_deletes_old_data_when_a_recorder_opens(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        run(recorder(store, START - 5 * 86400), [stretch(30, SEATED)], settings())
        run(recorder(store, START - 1 * 86400), [stretch(30, SEATED)], settings())
        config = settings(storage={"retention_days": 3.0})
        Recorder(store, source="s", model="m", settings=config, started_at=START, now=START)
        assert store.span() == (START - 86400, START - 86400 + 30)
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2


def test_forget_cuts_a_bout_across_the_date_at_the_date(tmp_path: Path) -> None:
    """Seated from 10 s before the date to 20 s after it: the bout keeps its
    part after the date, and nothing of it shows on the day before."""
    with Store.open(tmp_path / "m.db") as store:
        run(recorder(store, START - 10), [stretch(30, SEATED)], settings())
        assert store.rows(START - 86400, START).bouts != []
        store.forget(START)
        assert store.rows(START - 86400, START).bouts == []
        assert [(b.start, b.end) for b in store.rows(START, START + 86400).bouts] == [
            (START, START + 20)
        ]


def test_forget_and_export(tmp_path: Path) -> None:
    with Store.open(tmp_path / "m.db") as store:
        run(recorder(store, START - 2 * 86400), [stretch(70, SEATED)], settings())
        run(
            recorder(store, START),
            [stretch(30, SEATED), stretch(70, STANDING), stretch(20, SEATED)],
            settings(),
        )
        written = export.export_data(store, tmp_path / "out")
        assert [p.name for p in written] == ["samples.csv", "events.csv", "sessions.csv"]
        samples = (tmp_path / "out" / "samples.csv").read_text().splitlines()
        assert len(samples) == 1 + 70 + 120
        events = (tmp_path / "out" / "events.csv").read_text()
        assert events.count(",bout,") == 3 and events.count(",break,") == 1
        removed = store.forget(START - 86400)
        assert removed > 70
        assert store.span() == (START, START + 120)
        single = export.export_data(store, tmp_path / "all.csv")
        assert [p.name for p in single] == ["all.csv", "all-events.csv", "all-sessions.csv"]
        assert (
            json.loads(store.conn.execute("SELECT settings FROM sessions").fetchone()[0])[
                "storage"
            ]["flush_s"]
            == 5.0
        )


def test_span_runs_from_the_first_start_to_the_last_end_through_the_index_on_t(
    tmp_path: Path,
) -> None:
    config = settings()
    with Store.open(tmp_path / "m.db") as store:
        assert store.span() is None
        run(recorder(store, START - 3600), [stretch(30, SEATED)], config)
        # Frames 4 s apart, then one at 7.9 s stopped 0.05 s later: each frame
        # stands for the time to the next, in its own second's row, so the row
        # that starts last (second 7) is not the one that ends last (second 4).
        rec, core = recorder(store), Core.of(config)
        run(rec, [stretch(8, SEATED)], config, fps=0.25, close=False, core=core)
        run(rec, [stretch(0.05, SEATED)], config, fps=20, t0=7.9, core=core)
        rows = store.rows(START, START + 60).samples
        assert [r.t - START for r in rows] == [0, 4, 7]
        assert [r.dur_s for r in rows] == pytest.approx([4, 3.9, 0.05])
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        assert store.span() == pytest.approx((START - 3600, START + 7.9), abs=1e-6)
        store.conn.set_trace_callback(None)
        (sql,) = statements
        plan = [r[3] for r in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert not [step for step in plan if step.startswith("SCAN samples")], plan
    assert sum("USING COVERING INDEX samples_t" in step for step in plan) == 2, plan  # min, max
    assert "SEARCH samples USING INDEX samples_t (t>?)" in plan


def test_a_row_longer_than_a_minute_is_found_overlapping(tmp_path: Path) -> None:
    # Frames 100 s apart with max_gap_s at 120: second 0's row lasts 100 s.
    with Store.open(tmp_path / "m.db") as store:
        gap = {"max_gap_s": 120.0}
        run(recorder(store, sitting=gap), [stretch(200, SEATED)], settings(sitting=gap), fps=0.01)
        assert [(r.t - START, r.dur_s) for r in store.rows(START, START + 300).samples] == [
            (0, 100),
            (100, 100),
        ]
        assert store.recorded_within(START + 70, START + 80)
        assert not store.recorded_within(START + 200, START + 300)


def test_the_longest_row_covers_the_longest_gap_settings_allow() -> None:
    # A row's last frame stands for up to sitting.max_gap_s after its second.
    assert keys()["sitting.max_gap_s"].metadata["max"] + 1 <= LONGEST_ROW_S


def test_a_database_under_a_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes\n")
    path = tmp_path / "notes.txt" / "sub" / "m.db"
    words = f"^cannot create the database {path}: {tmp_path}/notes.txt is a file, not a folder$"
    with pytest.raises(StoreError, match=words):
        Store.open(path)


# --- reading without creating, and from read-only folders ----------------------


def test_readers_never_create_a_database(tmp_path: Path) -> None:
    typo = tmp_path / "nested" / "typo.db"
    for open_it in (Store.open_to_read, lambda p: Store.open(p, create=False)):
        with pytest.raises(StoreError, match=f"no database at {typo}: nothing recorded there yet"):
            open_it(typo)
    assert not typo.parent.exists()


def _recorded(path: Path, seconds: int = 30) -> None:
    with Store.open(path) as store:
        run(recorder(store), [stretch(seconds, SEATED)], settings())


def _crashed(path: Path) -> None:
    """A database whose writer died: its last rows are only in the -wal (with its -shm)."""
    _recorded(path)
    subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import os, sqlite3
                c = sqlite3.connect({str(path)!r}, isolation_level=None)
                c.execute("PRAGMA wal_autocheckpoint=0")
                c.execute("INSERT INTO sessions (started_at) VALUES (1)")
                os._exit(0)  # no close, no checkpoint
            """),
        ],
        check=True,
    )
    assert Path(f"{path}-wal").stat().st_size > 0


@pytest.fixture
def read_only_view(tmp_path: Path):
    """(folder, view): a folder, and the same folder seen through a read-only bind mount."""
    folder, view = tmp_path / "rw", tmp_path / "ro"
    folder.mkdir()
    view.mkdir()
    if subprocess.run(["mount", "--bind", folder, view], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here (needs root and CAP_SYS_ADMIN)")
    remount = subprocess.run(["mount", "-o", "remount,bind,ro", view], capture_output=True)
    if remount.returncode:
        subprocess.run(["umount", view], check=True)
        pytest.skip("cannot remount read-only here")
    yield folder, view
    subprocess.run(["umount", view], check=True)


def test_a_closed_database_in_a_read_only_folder_is_read(read_only_view) -> None:
    folder, view = read_only_view
    _recorded(folder / "m.db")
    assert not (folder / "m.db-wal").exists()  # so nothing beside it: read as immutable
    with Store.open_to_read(view / "m.db") as store:
        assert store.span() == (START, START + 30)
    assert sorted(p.name for p in folder.iterdir()) == ["m.db"]


def test_a_crashed_database_in_a_read_only_folder_is_read_with_its_wal(read_only_view) -> None:
    folder, view = read_only_view
    _crashed(folder / "m.db")
    with Store.open_to_read(view / "m.db") as store:
        assert store.span() == (START, START + 30)
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone() == (2,)


def test_a_wal_without_its_shm_in_a_read_only_folder_says_why_it_cannot_be_read(
    read_only_view,
) -> None:
    folder, view = read_only_view
    _crashed(folder / "m.db")
    Path(f"{folder / 'm.db'}-shm").unlink()
    with pytest.raises(StoreError) as raised:
        Store.open_to_read(view / "m.db")
    message = str(raised.value)
    assert f"its folder {view} is on a read-only file system" in message
    assert "m.db-shm" in message and "copy the folder" in message


def test_writing_in_a_read_only_folder_says_why_and_an_old_schema_is_not_read(
    read_only_view,
) -> None:
    folder, view = read_only_view
    _recorded(folder / "m.db")
    before = (folder / "m.db").read_bytes()
    with pytest.raises(StoreError, match=f"its folder {view} is on a read-only file system"):
        Store.open(view / "m.db", create=False)  # as `data forget` does
    conn = sqlite3.connect(folder / "m.db")
    conn.execute(f"PRAGMA user_version = {VERSION - 1}")
    conn.close()
    with pytest.raises(StoreError, match=f"older than .* cannot be upgraded here .*{view}"):
        Store.open_to_read(view / "m.db")
    assert len((folder / "m.db").read_bytes()) == len(before)


def test_report_and_export_read_a_database_in_a_read_only_folder(read_only_view) -> None:
    from conftest import cli_env, run_cli

    folder, view = read_only_view
    _recorded(folder / "monitor.db")
    env = cli_env(folder.parent)
    day = "2026-09-21"
    report = run_cli("report", "--db", view / "monitor.db", "--date", day, "--tz", "UTC", env=env)
    assert report.returncode == 0, report.stderr
    assert "sitting" in report.stdout and "no monitoring recorded" not in report.stdout
    out = folder.parent / "out"
    exported = run_cli("data", "export", "--db", view / "monitor.db", "--out", out, env=env)
    assert exported.returncode == 0, exported.stderr
    assert len((out / "samples.csv").read_text().splitlines()) == 1 + 30
    forget = run_cli(
        "data", "forget", "--db", view / "monitor.db", "--before", "2030-01-01", env=env
    )
    assert forget.returncode == 1
    assert forget.stderr == (
        f"posture-monitor: error: cannot use the database {view / 'monitor.db'}: unable to open "
        f"database file (its folder {view} is on a read-only file system)\n"
    )
