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
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitor.errors import StoreError
from monitor.storage import files, migrations
from monitor.storage.database import (
    create_private,
    database_path,
    explain,
    header_problem,
    require,
    require_yours,
    uri,
)
from monitor.storage.migrations import VERSION
from monitor.storage.queries import LONGEST_ROW_S, Reads

__all__ = ["LONGEST_ROW_S", "VERSION", "Store", "database_path"]


class Store(Reads):
    """One open database: sessions, per-second samples and events in, rows out."""

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
            create_private(path)
        else:
            require(path)
        require_yours(path)
        address = uri(path, mode="rwc" if create else "rw")
        return cls._connect(path, address, timeout_s, cls._check_and_migrate)

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
        require(path)
        require_yours(path)
        why = files.unwritable(path, in_place=True)
        if why is None:
            return cls.open(path, timeout_s, create=False)
        try:
            return cls._connect(path, uri(path, mode="ro"), timeout_s, cls._check_to_read)
        except StoreError:
            wal = Path(f"{path}-wal")
            if wal.exists():
                raise StoreError(
                    f"cannot read the database {path}: {why}, and reading the "
                    f"writes left in {wal.name} needs {path.name}-shm created "
                    "beside it; copy the folder somewhere writable and read it there"
                ) from None
        return cls._connect(
            path, uri(path, mode="ro", immutable="1"), timeout_s, cls._check_to_read
        )

    @classmethod
    def _connect(
        cls, path: Path, address: str, timeout_s: float, check: Callable[[Store], None]
    ) -> Store:
        try:
            conn = sqlite3.connect(address, timeout=timeout_s, isolation_level=None, uri=True)
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
        """The schema version of a database this code understands.

        Cheap, whatever the history's length (a year of seconds is a few
        hundred MB, and a full check read all of it on every open: 2.5 s from
        a cold cache): the file's header, its size against the header's page
        count, and its schema. The whole file is checked (`check_whole`)
        where it matters: before a migration rewrites it and before `forget`
        deletes from it.
        """
        c = self.conn
        # Read before writing anything: a file that is not a database fails here.
        problem = header_problem(self.path)
        if problem is None:
            c.execute("SELECT count(*) FROM sqlite_master").fetchone()  # parses the schema
        else:
            self._damaged([problem])
        version = int(c.execute("PRAGMA user_version").fetchone()[0])
        if version > VERSION:
            raise StoreError(
                f"database {self.path} has schema version {version}, newer than this "
                f"posture-monitor understands ({VERSION}); upgrade posture-monitor"
            )
        return version

    def check_whole(self) -> None:
        """Read every page (PRAGMA quick_check); StoreError if any is damaged."""
        problems = [r[0] for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            self._damaged(problems)

    def _damaged(self, problems: list[str]) -> None:
        raise StoreError(
            f"database {self.path} is damaged ({'; '.join(problems[:3])}); it was left "
            "as it is: move it aside to start a new one, or restore a backup"
        )

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
        if 0 < version < VERSION:
            self.check_whole()  # an older file is rewritten only if it is sound
        for number in range(version + 1, VERSION + 1):
            migrations.apply(c, number)

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
        """Record that `profile` (a monitor.core.profile.Profile) was calibrated at `t`."""
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

    def write(
        self,
        session_id: int,
        batch: dict[str, Sequence[tuple[Any, ...]]],
        open_bout: tuple[float, float] | None,
        replace_open: bool,
    ) -> None:
        """Write a recorder's batch in one transaction (sqlite3.Error is the caller's).

        `batch` holds rows for "samples", "bouts", "breaks", "alerts" and
        "heeds" (a break alert's outcome). The session keeps one open bout row
        (migration 3): `replace_open` deletes the one written before, and
        `open_bout`, if any, is written in its place.
        """
        with self.transaction() as c:
            c.executemany(
                "INSERT OR REPLACE INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                batch["samples"],
            )
            if replace_open:
                c.execute("DELETE FROM bouts WHERE session_id = ? AND open = 1", (session_id,))
            c.executemany(
                "INSERT INTO bouts (session_id, t_start, t_end) VALUES (?,?,?)", batch["bouts"]
            )
            if open_bout is not None:
                c.execute(
                    "INSERT INTO bouts (session_id, t_start, t_end, open) VALUES (?,?,?,1)",
                    (session_id, *open_bout),
                )
            c.executemany("INSERT INTO breaks VALUES (?,?,?)", batch["breaks"])
            c.executemany(
                "INSERT INTO alerts (session_id, t, kind, detail) VALUES (?,?,?,?)",
                batch["alerts"],
            )
            c.executemany(
                "UPDATE alerts SET break_after_s = ?, heeded = ? "
                "WHERE session_id = ? AND t = ? AND kind = 'break'",
                batch["heeds"],
            )

    def stop_session(self, session_id: int, t: float) -> None:
        """Mark the session stopped at `t` (sqlite3.Error is the caller's)."""
        with self.transaction() as c:
            c.execute("UPDATE sessions SET stopped_at = ? WHERE id = ?", (t, session_id))

    def forget(self, before: float, vacuum: bool = True) -> int:
        """Delete everything recorded before `before` (epoch s); the rows deleted."""
        if vacuum:  # `data forget` rewrites the whole file: only a sound one
            self.check_whole()
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

