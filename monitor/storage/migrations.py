"""The database schema, as numbered migrations.

Each migration is applied in one transaction and recorded in the
`migrations` table and in `PRAGMA user_version`, so that every older
database opens and is brought up to date, and a newer one is refused.
"""

from __future__ import annotations

import sqlite3
import time

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


def apply(conn: sqlite3.Connection, number: int) -> None:
    """Apply migration `number` in one transaction (unless another process just did)."""
    name, statements = MIGRATIONS[number]
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the lock.
        if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
            conn.execute("ROLLBACK")
            return
        conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
        )
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (number, name, time.time()))
        conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
