"""Commands over what was recorded: `report` (the daily report) and `data` (export, forget)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.cli import options
from monitor.errors import OutputError
from monitor.storage import files


def add_parsers(sub: options.Subparsers) -> None:
    p = sub.add_parser(
        "report",
        help="the daily sitting report: terminal table, HTML, JSON, CSV",
        description="How you sat on a day (local time): monitored, sitting, standing and "
        "away time; breaks and sitting bouts; break alerts heeded; posture drift and "
        "pelvic tilt; and how good the data was.",
    )
    p.add_argument(
        "--date", default="today", help="YYYY-MM-DD, today or yesterday (default: today)"
    )
    p.add_argument(
        "--days", type=options.number(1, 366, whole=True), default=1,
        help="N days ending with --date, with a trend (default 1)",
    )  # fmt: skip
    p.add_argument("--tz", help="time zone for days, e.g. Europe/London (default: the system's)")
    options.add_db_option(p)
    for flag, what in (
        ("--json", "the figures as JSON"),
        ("--html", "a self-contained HTML report"),
        ("--csv", "the per-minute timeline as CSV"),
    ):
        p.add_argument(
            flag, type=options.output, metavar="OUT", help=f"write {what} (- for standard output)"
        )

    p = sub.add_parser(
        "data",
        help="export or delete recorded data",
        description="'data export --out DIR|FILE.csv' writes samples, events and sessions "
        "as CSV; 'data forget --before DATE' deletes everything recorded before that "
        "local date and compacts the database.",
    )
    # Each action has its own options, --out or --before required: a options.command
    # line without it is a usage error (status 2), like any other.
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser(
        "export", help="write the recorded data as CSV files",
        description="Write samples, events and sessions as CSV: into a folder, as "
        "samples.csv, events.csv and sessions.csv; or, given FILE.csv, as FILE.csv (the "
        "samples) with FILE-events.csv and FILE-sessions.csv beside it.",
    )  # fmt: skip
    options.add_db_option(a)
    a.add_argument(
        "--out", type=Path, required=True, metavar="DIR|FILE.csv",
        help="where to: a folder (made if missing), or FILE.csv for the samples, with "
        "FILE-events.csv and FILE-sessions.csv beside it",
    )  # fmt: skip
    a = actions.add_parser(
        "forget", help="delete everything recorded before a date",
        description="Delete everything recorded before a local date and compact the database.",
    )  # fmt: skip
    options.add_db_option(a)
    a.add_argument(
        "--before", required=True, metavar="DATE",
        help="delete what was recorded before this local date: YYYY-MM-DD, today or yesterday",
    )  # fmt: skip
    a.add_argument("--tz", help="time zone for --before (default: the system's)")


@options.command("report")
def report_command(args: argparse.Namespace) -> int:
    import time

    from monitor.report import export, text
    from monitor.storage.store import Store

    to_stdout = [o for o in (args.json, args.html, args.csv) if o and files.is_stdout(o)]
    if len(to_stdout) > 1:
        raise OutputError("only one of --json, --html and --csv can be - (standard output)")
    tz = export.local_zone(args.tz)
    last = export.parse_day(args.date, tz)
    with Store.open_to_read(args.db) as store:  # a mistyped --db is not created
        # Made now: a running monitor's bout under way is in it, marked ongoing.
        reports, samples = export.reports(store, last, args.days, tz, now=time.time())
        if args.csv:
            export.write_minutes(args.csv, store, last, args.days, tz)
    if not to_stdout:  # `-` asks for the file alone on standard output
        print(text.format_text(reports[-1]))
        if args.days > 1:
            print()
            print(text.format_trend(reports))
    written = [args.csv] if args.csv else []
    if args.json:
        export.write_json(args.json, reports)
        written.append(args.json)
    if args.html:
        from monitor.report import html

        files.write_text(args.html, html.render(reports, samples, tz))
        written.append(args.html)
    written = [p for p in written if not files.is_stdout(p)]
    if written:  # on stderr when standard output carries a file
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr if to_stdout else None)
    return 0


@options.command("data")
def data_command(args: argparse.Namespace) -> int:
    from datetime import datetime, time

    from monitor.report import export
    from monitor.storage import lock
    from monitor.storage.store import Store

    # --out and --before are required by the parser. Neither action creates a database.
    if args.action == "export":
        with Store.open_to_read(args.db) as store:
            written = export.export_data(store, args.out)
        print("wrote " + ", ".join(str(p) for p in written))
        return 0
    tz = export.local_zone(args.tz)
    day = export.parse_day(args.before, tz)
    before = datetime.combine(day, time(0), tzinfo=tz).timestamp()
    # Never under a recorder: its session may be deleted (a --before in the
    # future), its writes may time out waiting on the VACUUM.
    # The database's own errors first (missing, read-only, damaged); then the
    # lock before the store, let go after it (see monitor.storage.lock).
    Store.open(args.db, create=False).close()
    with (
        lock.recording(
            args.db, "data forget", "stop it first, then run `posture-monitor data forget` again"
        ),
        Store.open(args.db, create=False) as store,
    ):
        removed = store.forget(before)
    print(f"deleted {removed} records from before {day.isoformat()} and compacted {store.path}")
    return 0
