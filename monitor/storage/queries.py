"""The store's reads: a span's rows for the report, the recorded span, exports.

Reads go through the index on `t` (see LONGEST_ROW_S), never a scan of a
table, so that their cost does not grow with the history's length.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from monitor.core.values import Span
from monitor.settings import DEFAULTS
from monitor.storage.database import explain
from monitor.storage.rows import AlertRow, DayRows, SampleRow, merge

# The longest a samples row can last (t to t + dur_s): its second's frames
# each stand for the time to the next one, the last of them for up to
# `sitting.max_gap_s`, which settings allow up to an hour.
LONGEST_ROW_S = 3601.0

EVENTS_SQL = """
SELECT session_id, 'bout' AS kind, t_start, t_end, '' AS detail, NULL AS break_after_s,
       NULL AS heeded, open FROM bouts
UNION ALL SELECT session_id, 'break', t_start, t_end, '', NULL, NULL, NULL FROM breaks
UNION ALL SELECT session_id, 'alert:' || kind, t, NULL, detail, break_after_s, heeded, NULL
       FROM alerts
UNION ALL SELECT NULL, 'calibration', t, NULL, profile || ' (' || view || ')', NULL, NULL, NULL
       FROM calibrations
ORDER BY 3
"""


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


class Reads:
    """The reading half of `Store` (which holds `conn` and `path`)."""

    conn: sqlite3.Connection
    path: Path

    def rows(self, start: float, end: float, now: float | None = None) -> DayRows:
        """Samples, bouts, breaks and alerts that touch [start, end).

        An open bout (see migration 3) runs to its session's last write; it is
        `ongoing` if that write is recent at `now` (see `live_for_s`). Without
        `now`, no bout is ongoing. Each second counts once (`DayRows.distinct`).
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
                    session=r[13],
                )
                for r in c.execute(
                    "SELECT t, dur_s, presence, posture, seated_s, standing_s, away_s, "
                    "unknown_s, good_s, drift_s, issues, hips_s, metrics, session_id FROM samples "
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
        # Two sessions over the same minutes (the clock set back) count them once.
        return DayRows(samples, bouts, breaks, alerts, ongoing).distinct()

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

    def held(self, start: float, end: float, session_id: int) -> list[Span]:
        """What sessions but `session_id` recorded over [start, end), merged, in order."""
        spans = [
            Span(a, b)
            for a, b in self.conn.execute(
                "SELECT t, t + dur_s FROM samples WHERE t < ? AND t > ? AND t + dur_s > ? "
                "AND session_id != ? ORDER BY t",
                (end, start - LONGEST_ROW_S, start, session_id),
            )
        ]
        return merge(spans, [])[0]

    def table(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], list[tuple]]:
        """Column names and rows of a query (for exports)."""
        try:
            cur = self.conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise explain(self.path, exc) from None
        return [d[0] for d in cur.description], cur.fetchall()

    def events_table(self) -> tuple[list[str], list[tuple]]:
        """Every bout, break, alert and calibration, in time order (for exports).

        open: 1 for a bout that had not ended when its session last wrote.
        """
        return self.table(EVENTS_SQL)

    def samples_table(self) -> tuple[list[str], list[tuple]]:
        return self.table("SELECT * FROM samples ORDER BY t")

    def sessions_table(self) -> tuple[list[str], list[tuple]]:
        return self.table("SELECT * FROM sessions ORDER BY started_at")
