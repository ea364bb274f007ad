"""A report taken while a monitor runs: the bout under way is in it, once.

The monitor records through the real Recorder into a real database, driven by
the sitting and alert state machines over a simulated schedule; the report
reads the same file through its own connection, as `posture-monitor report`
does from another process.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import cli_env, run_cli
from simulated_day import AWAY, GOOD, SEATED, STANDING, Core, run, settings, stretch

from monitor.core.values import Span
from monitor.report import export
from monitor.report.figures import DayReport, build_report
from monitor.report.html import render
from monitor.report.text import format_text, format_trend
from monitor.storage.recorder import Recorder
from monitor.storage.store import Store

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 6, 1)
NINE = datetime.fromisoformat("2026-06-01T09:00:00+01:00").timestamp()
CONFIG = settings()
# The report sees what was written: up to one flush behind the monitor.
BEHIND_S = CONFIG.storage.flush_s + 1


def report(path: Path, now: float) -> DayReport:
    with Store.open(path) as reader:
        reports, _ = export.reports(reader, DAY, 1, LONDON, now=now)
    return reports[-1]


def recorder(store: Store, started_at: float = NINE) -> Recorder:
    return Recorder(store, source="sim", model="full", settings=CONFIG, started_at=started_at)


def test_a_report_while_sitting_has_the_bout_under_way_and_counts_it_once(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store.open(path) as store:
        rec, core = recorder(store), Core.of(CONFIG)
        # 09:00 sit 25 min, a 5-minute break, then sit on: 70 minutes without a break.
        t = run(
            rec,
            [stretch(1500, SEATED, GOOD), stretch(300, STANDING), stretch(4200, SEATED, GOOD)],
            CONFIG,
            close=False,
            core=core,
        )
        live = report(path, now=rec.wall(t))

        assert live.seated_s == pytest.approx(5700, abs=BEHIND_S)
        assert live.bouts == 2
        assert live.bout_lengths_s == pytest.approx([1500, 4200], abs=BEHIND_S)
        assert live.bout_longest_s == live.bout_ongoing_s == pytest.approx(4200, abs=BEHIND_S)
        assert live.bout_longest_ongoing and live.bout_ongoing_since == "09:30"
        assert (live.bouts_30, live.bouts_60) == (1, 1)
        assert sum(h["sitting_in_bouts_s"] for h in live.hourly) == pytest.approx(
            live.seated_s, abs=BEHIND_S
        )
        text = format_text(live)
        assert "2, one ongoing since 09:30; mean 47 min, longest 1 h 10 min (ongoing)" in text
        assert "bouts ≥ 60 min  1 (1 h 10 min, ongoing)" in text
        figures = live.to_json()
        assert figures["bout_ongoing_s"] == live.bout_ongoing_s
        assert figures["bout_longest_s"] == live.bout_longest_s  # the old fields stay

        # Up, a break, sit 10 min, stop: the bout is stored as ended, and only once.
        t = run(rec, [stretch(300, STANDING), stretch(600, SEATED)], CONFIG, t0=t, core=core)
        rows = store.conn.execute("SELECT count(*) FROM bouts").fetchone()[0]
    done = report(path, now=rec.wall(t))
    assert rows == 3
    assert done.bout_lengths_s == pytest.approx([1500, 4200, 600])
    assert done.bout_ongoing_s is None and not done.bout_longest_ongoing
    assert (done.bouts_30, done.bouts_60) == (1, 1)
    assert "ongoing" not in format_text(done)


def test_an_ongoing_bout_that_is_not_the_longest(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store.open(path) as store:
        rec = recorder(store)
        schedule = [stretch(2400, SEATED), stretch(300, AWAY), stretch(720, SEATED)]
        t = run(rec, schedule, CONFIG, close=False)
        live = report(path, now=rec.wall(t))
    assert live.bout_ongoing_s == pytest.approx(720, abs=BEHIND_S)
    assert live.bout_longest_s == pytest.approx(2400) and not live.bout_longest_ongoing
    text = format_text(live)
    assert "2, one ongoing since 09:45 (12 min so far);" in text
    assert "longest 40 min\n" in text
    assert "bouts ≥ 30 min  1 (40 min)\n" in text


def test_a_session_that_never_closed_keeps_its_bout(tmp_path: Path) -> None:
    """The monitor died mid-bout: the bout ends at the last write, and is no
    longer ongoing once nothing has been written for longer than a break."""
    path = tmp_path / "m.db"
    with Store.open(path) as store:
        rec = recorder(store)
        t = run(
            rec,
            [stretch(1200, SEATED), stretch(300, AWAY), stretch(2400, SEATED)],
            CONFIG,
            close=False,
        )
        died = rec.wall(t)
        # No rec.close(): the process is gone, with what it had not yet written.
    assert report(path, now=died).bout_ongoing_s == pytest.approx(2400, abs=BEHIND_S)
    later = report(path, now=died + 600)
    assert later.bouts == 2 and later.bout_ongoing_s is None
    assert later.bout_longest_s == pytest.approx(2400, abs=BEHIND_S)
    assert "ongoing" not in format_text(later)
    with Store.open(path) as store:
        export.export_data(store, tmp_path / "out")
    events = (tmp_path / "out" / "events.csv").read_text().splitlines()
    assert events[0].endswith(",heeded,open")
    assert [e.split(",")[-1] for e in events if ",bout," in e] == ["0", "1"]

    # The next session records beside it; the crashed bout is still there, once.
    with Store.open(path) as store:
        rec = recorder(store, started_at=died + 1800)
        t = run(rec, [stretch(900, SEATED)], CONFIG)
    after = report(path, now=rec.wall(t))
    assert after.bout_lengths_s == pytest.approx([1200, 2400, 900], abs=BEHIND_S)
    assert after.bout_ongoing_s is None


@pytest.mark.parametrize(
    ("day", "length_s", "ongoing_s", "since"),
    [
        (date(2026, 6, 1), 1800, None, None),  # the evening part: it went on after midnight
        (date(2026, 6, 2), 1200, 1200, "Mon 23:30"),  # the part under way, since the day before
    ],
)
def test_an_ongoing_bout_across_midnight_is_ongoing_on_the_day_it_reaches(
    day: date, length_s: float, ongoing_s: float | None, since: str | None
) -> None:
    bout = Span(
        datetime.fromisoformat("2026-06-01T23:30:00+01:00").timestamp(),
        datetime.fromisoformat("2026-06-02T00:20:00+01:00").timestamp(),
    )
    r = build_report([], [bout], [], [], day, LONDON, ongoing=[bout])
    assert r.bout_lengths_s == [length_s]
    assert (r.bout_ongoing_s, r.bout_ongoing_since) == (ongoing_s, since)
    assert r.bout_longest_ongoing is (ongoing_s is not None)
    assert r.bout_ongoing_began_before is (ongoing_s is not None)  # at 23:30 the day before
    assert "bout_ongoing_began_before" not in r.to_json()  # the JSON's fields are as they were
    if since is not None:  # the whole bout began the day before: today's part is said so
        assert "one ongoing since Mon 23:30 (20 min of it today)" in format_text(r)


def test_the_report_command_marks_the_bout_of_a_running_monitor(tmp_path: Path) -> None:
    """`posture-monitor report --json` in another process, the monitor recording now."""
    db = tmp_path / "m.db"
    now = time.time()
    with Store.open(db) as store:
        rec = recorder(store, started_at=now - 4200)
        run(rec, [stretch(4200, SEATED)], CONFIG, close=False)  # up to now, still running
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        out = tmp_path / "r.json"
        result = run_cli(
            "report", "--db", db, "--tz", "UTC", "--date", today, "--json", out,
            env=cli_env(tmp_path),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(ongoing)" in result.stdout
    (figures,) = json.loads(out.read_text())["days"]
    assert figures["bouts"] == 1 and figures["bout_longest_ongoing"] is True
    assert figures["bout_ongoing_s"] == figures["bout_longest_s"] > 0


def at(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def test_the_trend_marks_the_ongoing_bout_as_the_day_report_does() -> None:
    """Over three days: a finished bout, a bout that runs on past midnight into
    today, where it is under way and the longest. Only today's row says ongoing."""
    finished = Span(at("2026-05-31T09:00:00+01:00"), at("2026-05-31T09:50:00+01:00"))
    live = Span(at("2026-06-01T23:30:00+01:00"), at("2026-06-02T00:45:00+01:00"))
    days = [date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 2)]
    reports = [build_report([], [finished, live], [], [], d, LONDON, ongoing=[live]) for d in days]
    assert "longest 45 min (ongoing)" in format_text(reports[-1])

    rows = format_trend(reports).splitlines()[2:]
    assert [row.split()[0] for row in rows] == [d.isoformat() for d in days]
    assert " 50 min " in rows[0] and " 30 min " in rows[1]
    assert "ongoing" not in rows[0] + rows[1]  # yesterday's part of it is over
    assert " 45 min (ongoing) " in rows[2]

    page = render(reports, [], LONDON)
    trend_table = page[page.index("<h2>Trend</h2>") :]
    assert "<td>45 min (ongoing)</td>" in trend_table
    assert "<td>30 min</td>" in trend_table and "<td>50 min</td>" in trend_table


def test_the_trend_does_not_mark_a_longest_bout_that_is_over() -> None:
    """Today's bout under way is shorter than the morning's: the longest is not ongoing."""
    morning = Span(at("2026-06-01T09:00:00+01:00"), at("2026-06-01T10:00:00+01:00"))
    now = Span(at("2026-06-01T11:00:00+01:00"), at("2026-06-01T11:20:00+01:00"))
    r = build_report([], [morning, now], [], [], DAY, LONDON, ongoing=[now])
    assert "(20 min so far)" in format_text(r)
    assert "ongoing" not in format_trend([r])
