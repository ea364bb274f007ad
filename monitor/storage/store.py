"""The SQLite store: monitoring sessions, per-second samples and events.

An edge: the only module that talks to the database. Times are UTC epoch
seconds (REAL); turning them into local days is the report's job. The schema
grows by numbered migrations, each applied in one transaction and recorded in
the `migrations` table and in `PRAGMA user_version`; a database newer than
the code is refused, and a damaged or locked one is reported, never replaced.
Recording a session is `monitor.storage.recorder.Recorder`'s job.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from monitor import paths
from monitor.errors import StoreError
from monitor.report.figures import AlertRow, SampleRow
from monitor.report.timeline import Span
from monitor.settings import DEFAULTS
from monitor.storage import files

DB_NAME = "monitor.db"

# Each migration is a list of statements run in one transaction. Never edit a
# released one: add the next number instead (old databases replay the tail).
MIGRATIONS: dict[int, tuple[str, list[str]]] = {
    1: (
        "sessions, samples, bouts, breaks, alerts",
        [
            """CREATE TABLE sessions (
                id INTEGER PRIMARY KEY, started_at REAL NOT NULL, stopped_at REAL,
                source TEXT, model TEXT, profile TEXT, settings TEXT)""",
            # One row per wall-clock second: seconds spent in each state
            # during that second (frames are weighted by the time to the next).
            """CREATE TABLE samples (
                session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                t REAL NOT NULL, dur_s REAL NOT NULL,
                presence TEXT NOT NULL, posture TEXT NOT NULL,
                seated_s REAL NOT NULL, standing_s REAL NOT NULL,
                away_s REAL NOT NULL, unknown_s REAL NOT NULL,
                good_s REAL NOT NULL, drift_s REAL NOT NULL,
                issues TEXT NOT NULL, hips_s REAL NOT NULL, metrics TEXT NOT NULL,
                PRIMARY KEY (session_id, t))""",
            "CREATE INDEX samples_t ON samples(t)",
            """CREATE TABLE bouts (
                session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                t_start REAL NOT NULL, t_end REAL NOT NULL)""",
            "CREATE INDEX bouts_t ON bouts(t_start)",
            """CREATE TABLE breaks (
                session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                t_start REAL NOT NULL, t_end REAL NOT NULL)""",
            "CREATE INDEX breaks_t ON breaks(t_start)",
            """CREATE TABLE alerts (
                session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                t REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL)""",
            "CREATE INDEX alerts_t ON alerts(t)",
        ],
    ),
    2: (
        "alert outcomes, calibrations",
        [
            # Seconds from a break alert to the start of the break that ended
            # its bout; heeded: 1 within the repeat interval, 0 not, NULL unknown.
            "ALTER TABLE alerts ADD COLUMN break_after_s REAL",
            "ALTER TABLE alerts ADD COLUMN heeded INTEGER",
            """CREATE TABLE calibrations (
                id INTEGER PRIMARY KEY, t REAL NOT NULL, profile TEXT NOT NULL,
                view TEXT, samples INTEGER, baseline TEXT)""",
        ],
    ),
    3: (
        "open bouts",
        [
            # 1: the bout had not ended when its session last wrote (the monitor
            # is still running, or stopped without closing); the recorder keeps
            # one such row a session, rewritten with each flush, and replaces it
            # with the ended bout in the same transaction.
            "ALTER TABLE bouts ADD COLUMN open INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX bouts_open ON bouts(session_id) WHERE open = 1",
        ],
    ),
}
VERSION = max(MIGRATIONS)

# The longest a samples row can last (t to t + dur_s): its second's frames
# each stand for the time to the next one, the last of them for up to
# `sitting.max_gap_s`, which settings allow up to an hour.
LONGEST_ROW_S = 3601.0


def default_path() -> Path:
    return paths.data_dir() / DB_NAME


def database_path(path: Path | None) -> Path:
    """The database file `--db` names (None: the default), refused if a folder."""
    path = Path(path) if path else default_path()
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder; give a file name")
    return path


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite does (its -wal/-shm copy the mode)."""
    try:
        paths.private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        # The database there already; not a file where a folder should be,
        # which making the folder also reports as "File exists".
        if isinstance(exc, FileExistsError) and os.path.isfile(path):
            return
        raise StoreError(f"cannot create the database {path}: {files.why_not(path, exc)}") from None
    os.close(fd)


def _require(path: Path) -> None:
    """Refuse a database that is not there (readers never create one)."""
    if not path.exists():
        raise StoreError(
            f"no database at {path}: nothing recorded there yet "
            "(`posture-monitor run` records to it)"
        )


def _uri(path: Path, **query: str) -> str:
    """An SQLite URI for `path` (any characters) with query parameters."""
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"file:{quote(str(path.absolute()))}?{params}"


def explain(path: Path, exc: sqlite3.Error) -> StoreError:
    """A StoreError that says what went wrong with the database and what to do."""
    text = str(exc)
    if "unable to open" in text or "readonly" in text:
        why = files.unwritable(path, in_place=True)
        if why:
            # SQLite needs to write beside a database (its -shm, -wal) even to read it.
            return StoreError(f"cannot use the database {path}: {text} ({why})")
    if "locked" in text or "busy" in text:
        return StoreError(
            f"database is locked by another process: {path} "
            "(is another posture-monitor running? close it and retry)"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreError(
            f"database {path} is damaged ({text}); it was left as it is: move it "
            "aside to start a new one, or restore a backup"
        )
    return StoreError(f"cannot use the database {path}: {text}")


def live_for_s(settings: str | None) -> float:
    """How long after its session's last write an open bout may still go on.

    A monitor that sees frames writes every `storage.flush_s` (a frame at
    least every `sitting.max_gap_s`); one that sees none for
    `sitting.min_break_s` has ended the bout where the frames stopped. So an
    open bout older than that ended at its last write (the monitor crashed,
    was paused or lost the camera). `settings` is the session's, as stored.
    """
    try:
        stored = json.loads(settings or "")
        sitting, storage = stored["sitting"], stored["storage"]
        return float(storage["flush_s"] + sitting["max_gap_s"] + sitting["min_break_s"])
    except (ValueError, TypeError, KeyError):  # not as a recorder writes them
        s = DEFAULTS
        return s.storage.flush_s + s.sitting.max_gap_s + s.sitting.min_break_s


@dataclass
class DayRows:
    """What the report needs for one span of wall-clock time.

    `bouts` holds every bout, ended or open; `ongoing` those of them still
    going on at the time the rows were read for.
    """

    samples: list[SampleRow]
    bouts: list[Span]
    breaks: list[Span]
    alerts: list[AlertRow]
    ongoing: list[Span] = field(default_factory=list)


class Store:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None, timeout_s: float = 5.0, create: bool = True) -> Store:
        """Open and migrate the database at `path`, creating it if `create`.

        Without `create`, a missing database is a StoreError, and none is made.
        """
        path = database_path(path)
        if create:
            _create_private(path)
        else:
            _require(path)
        uri = _uri(path, mode="rwc" if create else "rw")
        return cls._connect(path, uri, timeout_s, cls._check_and_migrate)

    @classmethod
    def open_to_read(cls, path: Path | None = None, timeout_s: float = 5.0) -> Store:
        """Open an existing database to read (a report, an export); never creates one.

        Where it can be written, it is opened as by `open` (an old schema is
        migrated). Where it cannot (a read-only folder or file system), it is
        opened read-only and must be of the current schema. A WAL database
        read-only needs its -shm beside it; without one, and with no -wal (no
        writer is or was left running), it is read as immutable.
        """
        path = database_path(path)
        _require(path)
        why = files.unwritable(path, in_place=True)
        if why is None:
            return cls.open(path, timeout_s, create=False)
        try:
            return cls._connect(path, _uri(path, mode="ro"), timeout_s, cls._check_to_read)
        except StoreError:
            wal = Path(f"{path}-wal")
            if wal.exists():
                raise StoreError(
                    f"cannot read the database {path}: {why}, and reading the "
                    f"writes left in {wal.name} needs {path.name}-shm created "
                    "beside it; copy the folder somewhere writable and read it there"
                ) from None
        return cls._connect(
            path, _uri(path, mode="ro", immutable="1"), timeout_s, cls._check_to_read
        )

    @classmethod
    def _connect(
        cls, path: Path, uri: str, timeout_s: float, check: Callable[[Store], None]
    ) -> Store:
        try:
            conn = sqlite3.connect(uri, timeout=timeout_s, isolation_level=None, uri=True)
        except sqlite3.Error as exc:
            raise explain(path, exc) from None
        store = cls(conn, path)
        try:
            check(store)
        except sqlite3.Error as exc:
            conn.close()
            raise explain(path, exc) from None
        except StoreError:
            conn.close()
            raise
        return store

    def _check(self) -> int:
        """The schema version of a sound database this code understands."""
        c = self.conn
        # Read before writing anything: a file that is not a database fails here.
        problems = [r[0] for r in c.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise StoreError(
                f"database {self.path} is damaged ({'; '.join(problems[:3])}); it was left "
                "as it is: move it aside to start a new one, or restore a backup"
            )
        version = int(c.execute("PRAGMA user_version").fetchone()[0])
        if version > VERSION:
            raise StoreError(
                f"database {self.path} has schema version {version}, newer than this "
                f"posture-monitor understands ({VERSION}); upgrade posture-monitor"
            )
        return version

    def _check_to_read(self) -> None:
        version = self._check()
        if version < VERSION:
            why = files.unwritable(self.path, in_place=True) or "read-only"
            raise StoreError(
                f"database {self.path} has schema version {version}, older than this "
                f"posture-monitor reads ({VERSION}), and cannot be upgraded here "
                f"({why}); run a report where it can be written"
            )

    def _check_and_migrate(self) -> None:
        c = self.conn
        version = self._check()
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA foreign_keys=ON")
        # A monitor appends a few rows every few seconds all day, touching only
        # the right edge of each table and index: 64 KiB of page cache serve
        # that and fill within minutes. At 512 KiB the cache took over an hour
        # to fill, and resident memory grew all that while (0.75 MiB in half
        # an hour of the live loop, against 0.16 MiB at 64 KiB).
        c.execute("PRAGMA cache_size=-64")
        c.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoint, no corruption
        for number in range(version + 1, VERSION + 1):
            self._migrate(number)

    def _migrate(self, number: int) -> None:
        name, statements = MIGRATIONS[number]
        with self.transaction() as c:
            # Another process may have migrated while we waited for the lock.
            if c.execute("PRAGMA user_version").fetchone()[0] >= number:
                return
            c.execute(
                "CREATE TABLE IF NOT EXISTS migrations "
                "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            for statement in statements:
                c.execute(statement)
            c.execute("INSERT INTO migrations VALUES (?, ?, ?)", (number, name, time.time()))
            c.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back if anything inside fails."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            # SQLite rolls back by itself on some errors (a full disk, say).
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    # --- writing -------------------------------------------------------------

    def start_session(
        self,
        started_at: float,
        source: str,
        model: str,
        profile: str | None,
        settings: dict[str, Any],
    ) -> int:
        try:
            with self.transaction() as c:
                cur = c.execute(
                    "INSERT INTO sessions (started_at, source, model, profile, settings) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (started_at, source, model, profile, json.dumps(settings, sort_keys=True)),
                )
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_calibration(self, t: float, profile: Any) -> None:
        """Record that `profile` (a monitor.profile.Profile) was calibrated at `t`."""
        baseline = {k: [b.mean, b.std] for k, b in profile.baseline.items()}
        try:
            with self.transaction() as c:
                c.execute(
                    "INSERT INTO calibrations (t, profile, view, samples, baseline) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (t, profile.name, profile.view.value, profile.samples, json.dumps(baseline)),
                )
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None

    def forget(self, before: float, vacuum: bool = True) -> int:
        """Delete everything recorded before `before` (epoch s); the rows deleted."""
        try:
            with self.transaction() as c:
                n = 0
                for table, column in (
                    ("samples", "t"),
                    ("bouts", "t_end"),
                    ("breaks", "t_end"),
                    ("alerts", "t"),
                    ("calibrations", "t"),
                ):
                    n += c.execute(f"DELETE FROM {table} WHERE {column} < ?", (before,)).rowcount
                # A bout or break across the date keeps only its part after it:
                # its part before would show on a day with nothing else left.
                for table in ("bouts", "breaks"):
                    c.execute(f"UPDATE {table} SET t_start = ? WHERE t_start < ?", (before, before))
                # A session goes once nothing of it is left.
                n += c.execute(
                    "DELETE FROM sessions WHERE coalesce(stopped_at, started_at) < ? AND NOT "
                    "EXISTS (SELECT 1 FROM samples WHERE session_id = sessions.id)",
                    (before,),
                ).rowcount
            if vacuum:
                self.conn.execute("VACUUM")
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None
        return n

    # --- reading -------------------------------------------------------------

    def rows(self, start: float, end: float, now: float | None = None) -> DayRows:
        """Samples, bouts, breaks and alerts that touch [start, end).

        An open bout (see migration 3) runs to its session's last write; it is
        `ongoing` if that write is recent at `now` (see `live_for_s`). Without
        `now`, no bout is ongoing.
        """
        c = self.conn
        try:
            samples = [
                SampleRow(
                    t=r[0],
                    dur_s=r[1],
                    presence=r[2],
                    posture=r[3],
                    seated_s=r[4],
                    standing_s=r[5],
                    away_s=r[6],
                    unknown_s=r[7],
                    good_s=r[8],
                    drift_s=r[9],
                    issues=json.loads(r[10]),
                    hips_s=r[11],
                    metrics=json.loads(r[12]),
                )
                for r in c.execute(
                    "SELECT t, dur_s, presence, posture, seated_s, standing_s, away_s, "
                    "unknown_s, good_s, drift_s, issues, hips_s, metrics FROM samples "
                    "WHERE t >= ? AND t < ? ORDER BY t",
                    (start, end),
                )
            ]
            breaks = [
                Span(a, b)
                for a, b in c.execute(
                    "SELECT t_start, t_end FROM breaks WHERE t_end > ? AND t_start < ? "
                    "ORDER BY t_start",
                    (start, end),
                )
            ]
            bouts, ongoing = [], []
            for a, b, open_, stopped, settings in c.execute(
                "SELECT b.t_start, b.t_end, b.open, s.stopped_at, s.settings FROM bouts b "
                "LEFT JOIN sessions s ON s.id = b.session_id "
                "WHERE b.t_end > ? AND b.t_start < ? ORDER BY b.t_start",
                (start, end),
            ):
                bouts.append(Span(a, b))
                if (
                    open_
                    and stopped is None
                    and now is not None
                    and now - b <= live_for_s(settings)
                ):
                    ongoing.append(bouts[-1])
            alerts = [
                AlertRow(*r)
                for r in c.execute(
                    "SELECT t, kind, detail, break_after_s, heeded FROM alerts "
                    "WHERE t >= ? AND t < ? ORDER BY t",
                    (start, end),
                )
            ]
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None
        return DayRows(samples, bouts, breaks, alerts, ongoing)

    def span(self) -> tuple[float, float] | None:
        """The first sample's start and the last one's end, or None for an empty database."""
        # Read through the index on t, never a scan of the table: the row that
        # ends last starts at most LONGEST_ROW_S before the last one starts.
        row = self.conn.execute(
            "SELECT (SELECT min(t) FROM samples), (SELECT max(t + dur_s) FROM samples "
            "WHERE t >= (SELECT max(t) FROM samples) - ?)",
            (LONGEST_ROW_S,),
        ).fetchone()
        return None if row[0] is None else (row[0], row[1])

    def recorded_within(self, start: float, end: float) -> bool:
        """Whether any recorded second overlaps [start, end)."""
        # The lower bound lets the index on t work (see LONGEST_ROW_S).
        row = self.conn.execute(
            "SELECT 1 FROM samples WHERE t < ? AND t > ? AND t + dur_s > ? LIMIT 1",
            (end, start - LONGEST_ROW_S, start),
        ).fetchone()
        return row is not None

    def table(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], list[tuple]]:
        """Column names and rows of a query (for exports)."""
        try:
            cur = self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None
        return [d[0] for d in cur.description], cur.fetchall()
