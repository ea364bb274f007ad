"""The figures of one local day: pure arithmetic over rows the store fetched.

Rows carry UTC epoch seconds; days are local days in an injected time zone,
so a day may have 23 or 25 hours when the clocks change. Bouts and breaks
crossing midnight are split at it. Nothing here reads the clock or a file;
`monitor.report.text` and `monitor.report.html` put the figures into words and
charts.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as dtime
from typing import Any

from monitor.core.values import Span
from monitor.storage.rows import AlertRow, SampleRow

LONG_BOUTS_S = (1800.0, 3600.0)
SUSTAIN_S = 60.0  # "sustained" pelvic tilt: the median over a clock minute...
SUSTAIN_MIN_S = 30.0  # ...with at least this much of it observed
PRESENCE = ("seated", "standing", "away", "unknown")
# Issue names a database may hold from before they were renamed (as
# posture.OLD_NAMES; spelled here so the report needs no posture import).
OLD_ISSUE_NAMES = {"slouch": "slump"}


@dataclass
class DayReport:
    day: str
    tz: str
    start: float
    end: float
    monitored_s: float = 0.0
    first: str | None = None  # local HH:MM of the first and last recorded second
    last: str | None = None
    unmonitored_s: float = 0.0  # gaps between first and last
    seated_s: float = 0.0
    sitting_share: float | None = None
    standing_s: float = 0.0
    away_s: float = 0.0
    unclear_s: float = 0.0
    breaks: int = 0
    breaks_per_sitting_hour: float | None = None
    bouts: int = 0
    bout_mean_s: float | None = None
    bout_longest_s: float | None = None
    bouts_30: int = 0
    bouts_30_s: float = 0.0
    bouts_60: int = 0
    bouts_60_s: float = 0.0
    # The bout still going on when the report was made (its part on this day),
    # counted in the bout figures above up to the last recorded second.
    bout_ongoing_s: float | None = None
    bout_ongoing_since: str | None = None  # local HH:MM, or "Mon HH:MM" if begun another day
    bout_ongoing_began_before: bool = False  # on an earlier day (not in the JSON: see to_json)
    bout_longest_ongoing: bool = False
    stand_hours: int = 0
    monitored_hours: int = 0
    alerts_raised: int = 0
    alerts_heeded: int = 0
    alerts_ignored: int = 0
    alerts_open: int = 0
    heed_median_s: float | None = None
    posture_alerts: int = 0
    good_s: float = 0.0
    drift_s: float = 0.0
    drift_by_kind: dict[str, float] = field(default_factory=dict)
    unjudged_s: float = 0.0  # seated but posture not judged
    pelvic_tilt_median_deg: float | None = None
    pelvic_tilt_worst_deg: float | None = None
    usable_pose_share: float | None = None
    hips_visible_share: float | None = None
    bout_lengths_s: list[float] = field(default_factory=list)
    hourly: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        # The JSON's fields stay as published: there `bout_ongoing_since` says it ("Mon 23:30").
        del out["bout_ongoing_began_before"]
        return out


def day_bounds(day: date, tz: tzinfo) -> tuple[float, float]:
    """The UTC epoch span of a local day (23, 24 or 25 hours long)."""
    start = datetime.combine(day, dtime(0), tzinfo=tz).timestamp()
    end = datetime.combine(day + timedelta(days=1), dtime(0), tzinfo=tz).timestamp()
    return start, end


def _clip(spans: Sequence[Span], start: float, end: float) -> list[Span]:
    out = [Span(max(s.start, start), min(s.end, end)) for s in spans]
    return [s for s in out if s.end > s.start]


def _hours(start: float, end: float) -> list[float]:
    # Steps of real hours from local midnight: on a change-over day the
    # repeated or skipped local hour comes out right (whole-hour zones).
    out, t = [], start
    while t < end - 1e-9:
        out.append(t)
        t += 3600.0
    return out


def _local(t: float, tz: tzinfo, fmt: str = "%H:%M") -> str:
    return datetime.fromtimestamp(t, tz).strftime(fmt)


def _overlap(spans: Sequence[Span], a: float, b: float) -> float:
    return sum(max(0.0, min(s.end, b) - max(s.start, a)) for s in spans)


def _on_break(
    samples: Sequence[SampleRow], breaks: Sequence[Span]
) -> tuple[list[float], list[float]]:
    """Monitored seconds on a break: in each sample, and in each break.

    A gap (the laptop slept, the monitor was off) has no samples, so it is no
    break time; nor are the seconds the last frame before it stands for while
    seated: only time off the seat counts. `samples` are in time order.
    """
    per_sample, per_break = [0.0] * len(samples), [0.0] * len(breaks)
    starts = [s.t for s in samples]
    longest = max((s.dur_s for s in samples), default=0.0)
    for j, b in enumerate(breaks):
        for i in range(bisect_left(starts, b.start - longest), bisect_left(starts, b.end)):
            s = samples[i]
            off_seat = s.dur_s - s.seated_s
            if off_seat > 0:
                seen = min(off_seat, _overlap((b,), s.t, s.t + s.dur_s))
                per_sample[i] += seen
                per_break[j] += seen
    return per_sample, per_break


def _tilt(samples: Sequence[SampleRow]) -> tuple[float | None, float | None]:
    """Median pelvic tilt while seated, and the worst clock-minute median."""
    seen = [
        (s.t, s.metrics["pelvic_tilt_deg"])
        for s in samples
        if "pelvic_tilt_deg" in s.metrics and s.seated_s > 0
    ]
    if not seen:
        return None, None
    median = statistics.median(v for _, v in seen)
    minutes: dict[int, list[float]] = {}
    for t, v in seen:
        minutes.setdefault(int(t // SUSTAIN_S), []).append(v)
    sustained = [statistics.median(v) for v in minutes.values() if len(v) >= SUSTAIN_MIN_S]
    worst = max(sustained, key=abs) if sustained else None
    return median, worst


def build_report(
    samples: Sequence[SampleRow],
    bouts: Sequence[Span],
    breaks: Sequence[Span],
    alerts: Sequence[AlertRow],
    day: date,
    tz: tzinfo,
    ongoing: Sequence[Span] = (),
) -> DayReport:
    """Every figure of one local day from the rows that touch it.

    `ongoing`: those of `bouts` still going on (they run to the last recorded
    second); one is ongoing on the day it has reached, not on the days before.
    """
    start, end = day_bounds(day, tz)
    r = DayReport(day.isoformat(), str(tz), start, end)
    samples = [s for s in samples if start <= s.t < end]
    if not samples:
        r.notes.append("no monitoring recorded on this day")
    else:
        last = samples[-1].t + samples[-1].dur_s
        fmt = "%H:%M:%S" if last - samples[0].t < 600 else "%H:%M"
        r.first, r.last = _local(samples[0].t, tz, fmt), _local(last, tz, fmt)
        r.monitored_s = sum(s.dur_s for s in samples)
        r.unmonitored_s = max(0.0, last - samples[0].t - r.monitored_s)
    r.seated_s = sum(s.seated_s for s in samples)
    r.standing_s = sum(s.standing_s for s in samples)
    r.away_s = sum(s.away_s for s in samples)
    r.unclear_s = sum(s.unknown_s for s in samples)
    if r.monitored_s > 0:
        r.sitting_share = r.seated_s / r.monitored_s
        r.usable_pose_share = 1.0 - r.unclear_s / r.monitored_s
    present = r.seated_s + r.standing_s
    if present > 0:
        r.hips_visible_share = min(1.0, sum(s.hips_s for s in samples) / present)

    day_bouts = _clip(bouts, start, end)
    r.bouts = len(day_bouts)
    r.bout_lengths_s = [b.duration_s for b in day_bouts]
    if day_bouts:
        r.bout_mean_s = statistics.fmean(r.bout_lengths_s)
        r.bout_longest_s = max(r.bout_lengths_s)
    long_30 = [d for d in r.bout_lengths_s if d >= LONG_BOUTS_S[0]]
    long_60 = [d for d in r.bout_lengths_s if d >= LONG_BOUTS_S[1]]
    r.bouts_30, r.bouts_30_s = len(long_30), sum(long_30)
    r.bouts_60, r.bouts_60_s = len(long_60), sum(long_60)
    reached = [b for b in ongoing if start < b.end <= end]
    if reached:
        whole = max(reached, key=lambda b: b.end)
        live = _clip([whole], start, end)[0]
        r.bout_ongoing_s = live.duration_s  # its part on this day
        # Since when the user has sat, from the day before if it began then.
        r.bout_ongoing_began_before = whole.start < start
        fmt = "%a %H:%M" if r.bout_ongoing_began_before else "%H:%M"
        r.bout_ongoing_since = _local(whole.start, tz, fmt)
        r.bout_longest_ongoing = live.duration_s == r.bout_longest_s
    # A break counts on the day it began if any of it was monitored; its
    # time counts where it falls, as far as it was monitored.
    on_break, seen = _on_break(samples, breaks)
    r.breaks = sum(
        1 for b, secs in zip(breaks, seen, strict=True) if secs > 0 and start <= b.start < end
    )
    if r.seated_s > 0:
        r.breaks_per_sitting_hour = r.breaks / (r.seated_s / 3600)

    for a in alerts:
        if not start <= a.t < end:
            continue
        if a.kind == "posture":
            r.posture_alerts += 1
        elif a.kind == "break":
            r.alerts_raised += 1
            if a.heeded == 1:
                r.alerts_heeded += 1
            elif a.heeded == 0:
                r.alerts_ignored += 1
            else:
                r.alerts_open += 1
    heed_times = [
        a.break_after_s
        for a in alerts
        if start <= a.t < end
        and a.kind == "break"
        and a.heeded == 1
        and a.break_after_s is not None
    ]
    if heed_times:
        r.heed_median_s = statistics.median(heed_times)

    r.good_s = sum(s.good_s for s in samples)
    r.drift_s = sum(s.drift_s for s in samples)
    for s in samples:
        for kind, secs in s.issues.items():
            kind = OLD_ISSUE_NAMES.get(kind, kind)  # recorded before the rename
            r.drift_by_kind[kind] = r.drift_by_kind.get(kind, 0.0) + secs
    r.unjudged_s = max(0.0, r.seated_s - r.good_s - r.drift_s)
    r.pelvic_tilt_median_deg, r.pelvic_tilt_worst_deg = _tilt(samples)
    if samples and r.seated_s > 0 and r.good_s + r.drift_s == 0:
        # Nothing judged at all: the cause is the calibration (none, or the camera
        # moved since), not the hips.
        r.notes.append(NOT_JUDGED)
    elif samples and r.pelvic_tilt_median_deg is None:
        r.notes.append("pelvic tilt not observed (needs a calibration with the hips in view)")

    r.hourly = _hourly(samples, on_break, day_bouts, start, end, tz)
    r.monitored_hours = sum(1 for h in r.hourly if h["monitored_s"] > 0)
    r.stand_hours = sum(1 for h in r.hourly if h["monitored_s"] > 0 and h["break_s"] > 0)
    if r.unmonitored_s >= 60:
        r.notes.append(
            f"{duration(r.unmonitored_s)} between {r.first} and {r.last} were not monitored"
        )
    return r


def _hourly(
    samples: Sequence[SampleRow],
    on_break: Sequence[float],
    bouts: Sequence[Span],
    start: float,
    end: float,
    tz: tzinfo,
) -> list[dict[str, Any]]:
    hours = _hours(start, end)
    labels = [_local(h, tz, "%H") for h in hours]
    repeated = len(set(labels)) < len(labels)
    table = []
    for h, label in zip(hours, labels, strict=True):
        if repeated and labels.count(label) > 1:
            label = f"{label} {_local(h, tz, '%Z')}"
        table.append(
            {
                "hour": label,
                "start": h,
                "monitored_s": 0.0,
                "seated_s": 0.0,
                "standing_s": 0.0,
                "away_s": 0.0,
                "good_s": 0.0,
                "drift_s": 0.0,
                "sitting_in_bouts_s": _overlap(bouts, h, h + 3600),
                "break_s": 0.0,
            }
        )
    for s, break_s in zip(samples, on_break, strict=True):
        i = min(len(table) - 1, int((s.t - start) // 3600))
        row = table[i]
        row["monitored_s"] += s.dur_s
        row["break_s"] += break_s
        for key in ("seated_s", "standing_s", "away_s", "good_s", "drift_s"):
            row[key] += getattr(s, key)
    return table


def minutes(
    samples: Sequence[SampleRow], bouts: Sequence[Span], day: date, tz: tzinfo
) -> list[dict[str, Any]]:
    """The per-minute timeline of a day (minutes with no data are left out)."""
    start, end = day_bounds(day, tz)
    rows: dict[int, dict[str, Any]] = {}
    for s in samples:
        if not start <= s.t < end:
            continue
        m = int((s.t - start) // 60)
        row = rows.get(m)
        if row is None:
            t = start + 60 * m
            row = rows[m] = {
                "local_time": datetime.fromtimestamp(t, tz).isoformat(timespec="minutes"),
                "utc_epoch": t,
                "monitored_s": 0.0,
                **{f"{p}_s": 0.0 for p in PRESENCE},
                "good_s": 0.0,
                "drift_s": 0.0,
                "issues": {},
                "in_bout_s": round(_overlap(bouts, t, t + 60), 3),
            }
        row["monitored_s"] += s.dur_s
        for p in PRESENCE:
            row[f"{p}_s"] += getattr(s, f"{p}_s")
        row["good_s"] += s.good_s
        row["drift_s"] += s.drift_s
        for kind, secs in s.issues.items():
            row["issues"][kind] = row["issues"].get(kind, 0.0) + secs
    out = []
    for m in sorted(rows):
        row = rows[m]
        row["issues"] = " ".join(f"{k}:{v:.0f}" for k, v in sorted(row["issues"].items()))
        out.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    return out


NOT_JUDGED = (
    "posture not judged: no calibration, or the camera moved since it ('posture-monitor calibrate')"
)


def duration(seconds: float | None) -> str:
    """A duration for people: "42 s", "1 min 30 s", "12 min", "3 h 05 min".

    The day's notes are worded with it, and so are the text and HTML reports.
    """
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 600:  # short spans keep their seconds: "1 min 30 s"
        whole = round(seconds)
        return f"{whole // 60} min" + (f" {whole % 60:02d} s" if whole % 60 else "")
    minutes_ = round(seconds / 60)
    if minutes_ < 60:
        return f"{minutes_} min"
    return f"{minutes_ // 60} h {minutes_ % 60:02d} min"
