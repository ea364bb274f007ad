"""Getting recorded data out: daily reports for a span of days, JSON and CSV files.

The glue between the store (rows in UTC) and the pure report (local days):
which time zone is local, which days were asked for, and where files go.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import MonitorError, OutputError
from monitor.report.figures import DayReport, build_report, day_bounds, minutes
from monitor.report.posix_tz import PosixZone
from monitor.storage.files import cannot_write, require_writable, write_text
from monitor.storage.rows import SampleRow
from monitor.storage.store import Store


def local_zone(name: str | None = None) -> tzinfo:
    """The named zone (or POSIX TZ string), else $TZ, else the system's zone (/etc/localtime)."""
    name = name or os.environ.get("TZ", "").lstrip(":") or None
    if name is None:
        target = os.path.realpath("/etc/localtime")
        match = re.search(r"zoneinfo/(.+)$", target)
        name = match.group(1) if match else None
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        try:  # a POSIX TZ string, e.g. UTC0 or CET-1CEST,M3.5.0,M10.5.0/3
            return PosixZone(name)
        except ValueError:
            raise MonitorError(
                f"unknown time zone {name!r} (e.g. Europe/London, or a POSIX TZ string "
                "such as CET-1CEST,M3.5.0,M10.5.0/3)"
            ) from None
    # No named zone (e.g. Windows without tzdata): today's fixed offset.
    fixed = datetime.now().astimezone().tzinfo
    assert fixed is not None
    return fixed


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def parse_day(text: str, tz: tzinfo, now: datetime | None = None) -> date:
    """YYYY-MM-DD, today or yesterday (in `tz`)."""
    today = (now or datetime.now(tz)).astimezone(tz).date()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise MonitorError(
            f"not a date: {text!r} (expected YYYY-MM-DD, today or yesterday)"
        ) from None
    # Recordings are in Unix time, from 1970; a report reaches a day past the
    # last day asked for, which Python's calendar (to 9999) must still hold.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise MonitorError(f"date out of range: {text!r} (expected {FIRST_DAY} to {LAST_DAY})")
    return day


def reports(
    store: Store, last: date, days: int, tz: tzinfo, now: float | None = None
) -> tuple[list[DayReport], list[SampleRow]]:
    """One report per day ending with `last`, and the last day's samples.

    `now` (epoch s) is when the report is made: a bout a running monitor is
    still recording is then marked ongoing. Without it, none is.
    """
    out: list[DayReport] = []
    samples: list[SampleRow] = []
    for i in range(days - 1, -1, -1):
        day = last - timedelta(days=i)
        start, end = day_bounds(day, tz)
        rows = store.rows(start, end, now)
        out.append(
            build_report(rows.samples, rows.bouts, rows.breaks, rows.alerts, day, tz, rows.ongoing)
        )
        samples = rows.samples
    return out, samples


def write_json(path: Path, reports_: Sequence[DayReport]) -> None:
    body = {"days": [r.to_json() for r in reports_]}
    write_text(path, json.dumps(body, indent=1, ensure_ascii=False) + "\n")


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_minutes(path: Path, store: Store, last: date, days: int, tz: tzinfo) -> int:
    """The per-minute timeline of the days asked for; the number of minutes."""
    rows: list[dict[str, Any]] = []
    for i in range(days - 1, -1, -1):
        day = last - timedelta(days=i)
        fetched = store.rows(*day_bounds(day, tz))
        rows += minutes(fetched.samples, fetched.bouts, day, tz)
    header = list(rows[0]) if rows else ["local_time", "utc_epoch", "monitored_s"]
    write_text(path, _csv(header, ([r[k] for k in header] for r in rows)))
    return len(rows)


def export_data(store: Store, out: Path) -> list[Path]:
    """Samples and events as CSV: `out` is a folder, or the samples file.

    A folder gets sessions.csv, samples.csv and events.csv; a FILE.csv gets
    the samples, with FILE-events.csv and FILE-sessions.csv beside it.
    """
    out = Path(out)
    if out.suffix.lower() == ".csv":
        folder = out.parent
        targets = {
            "samples": out,
            "events": out.with_name(f"{out.stem}-events.csv"),
            "sessions": out.with_name(f"{out.stem}-sessions.csv"),
        }
    else:
        folder = out
        targets = {k: out / f"{k}.csv" for k in ("samples", "events", "sessions")}
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if folder == out and os.path.exists(out):  # a file: FILE.csv was likely meant
            raise OutputError(
                f"cannot write into {out}: it is a file, not a folder "
                "(name a folder, or a file ending in .csv)"
            ) from None
        raise cannot_write(out, exc) from None
    for path in targets.values():  # all checked before any is written: no half export
        require_writable(path)
    tables = {
        "samples": store.samples_table,
        "events": store.events_table,
        "sessions": store.sessions_table,
    }
    for name, path in targets.items():
        header, rows = tables[name]()
        write_text(path, _csv(header, rows))
    return list(targets.values())
