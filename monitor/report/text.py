"""The daily report in words: the terminal table, its rows and the trend.

The rows (`lines`) are shared with the HTML page (`monitor.report.html`);
the figures come from `monitor.report.figures`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.report.figures import DayReport, duration


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _deg(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}°"


def longest_bout(r: DayReport) -> str:
    """The day's longest bout, marked when it is the one still under way."""
    return duration(r.bout_longest_s) + (" (ongoing)" if r.bout_longest_ongoing else "")


def lines(r: DayReport) -> list[tuple[str, str]]:
    """The report as (label, figures) rows: the terminal and HTML both use these."""
    when = f" ({r.first}–{r.last}" if r.first else ""
    if when:
        gap = f"; {duration(r.unmonitored_s)} not monitored" if r.unmonitored_s >= 60 else ""
        when += gap + ")"
    per_hour = (
        ""
        if r.breaks_per_sitting_hour is None
        else f" ({r.breaks_per_sitting_hour:.1f} per sitting hour)"
    )
    kinds = ", ".join(
        f"{k.replace('_', ' ')} {duration(v)}" for k, v in sorted(r.drift_by_kind.items())
    )
    if len(r.drift_by_kind) > 1:  # a second can have several issues: more than the total
        kinds = f"by issue, overlapping: {kinds}"
    heed = "" if r.heed_median_s is None else f"; median {duration(r.heed_median_s)} to a break"
    open_ = f", {r.alerts_open} undecided" if r.alerts_open else ""
    bouts, longest = f"{r.bouts}", longest_bout(r)
    long_ = {30: "", 60: ""}
    if r.bout_ongoing_s is not None:
        bouts += f", one ongoing since {r.bout_ongoing_since}"
        if r.bout_ongoing_began_before:
            bouts += f" ({duration(r.bout_ongoing_s)} of it today)"
        elif not r.bout_longest_ongoing:  # else `longest` says it
            bouts += f" ({duration(r.bout_ongoing_s)} so far)"
        for minutes in long_:
            if r.bout_ongoing_s >= 60 * minutes:
                long_[minutes] = ", ongoing"
    return [
        ("monitored", f"{duration(r.monitored_s)}{when}"),
        ("sitting", f"{duration(r.seated_s)} ({_pct(r.sitting_share)} of monitored time)"),
        ("standing", duration(r.standing_s)),
        ("away", duration(r.away_s)),
        ("pose unclear", duration(r.unclear_s)),
        ("breaks", f"{r.breaks}{per_hour}"),
        ("sitting bouts", f"{bouts}; mean {duration(r.bout_mean_s)}, longest {longest}"),
        ("bouts ≥ 30 min", f"{r.bouts_30} ({duration(r.bouts_30_s)}{long_[30]})"),
        ("bouts ≥ 60 min", f"{r.bouts_60} ({duration(r.bouts_60_s)}{long_[60]})"),
        ("stand hours", f"{r.stand_hours} of {r.monitored_hours} monitored hours had a break"),
        (
            "break alerts",
            f"{r.alerts_raised} raised, {r.alerts_heeded} heeded, "
            f"{r.alerts_ignored} ignored{open_}{heed}",
        ),
        (
            "posture",
            f"good {duration(r.good_s)}, drift {duration(r.drift_s)}"
            + (f" ({kinds})" if kinds else "")
            + f", not judged {duration(r.unjudged_s)}; {r.posture_alerts} posture alerts",
        ),
        (
            "pelvic tilt",
            f"median {_deg(r.pelvic_tilt_median_deg)}, worst sustained "
            f"{_deg(r.pelvic_tilt_worst_deg)} (vs baseline; + rolled back)",
        ),
        (
            "data quality",
            f"usable pose {_pct(r.usable_pose_share)} of monitored time; hips visible "
            f"{_pct(r.hips_visible_share)} of time present",
        ),
    ]


def title(r: DayReport) -> str:
    """The heading: "Sitting report for Monday 01 June 2026 (Europe/London)"."""
    day = datetime.fromisoformat(r.day).strftime("%A %d %B %Y")
    return f"Sitting report for {day} ({r.tz})"


def format_text(r: DayReport) -> str:
    out = [title(r)]
    out += [f"  {label:15} {text}" for label, text in lines(r)]
    out += [f"  note: {n}" for n in r.notes]
    return "\n".join(out)


def format_trend(reports: Sequence[DayReport]) -> str:
    # "longest" is marked ongoing as in the day's own report: 21 = "10 h 05 min (ongoing)".
    head = f"  {'day':10} {'monitored':>11} {'sitting':>11} {'breaks':>6} {'longest':>21} "
    head += f"{'stand h':>7} {'drift':>9}"
    out = ["Trend", head]
    for r in reports:
        out.append(
            f"  {r.day:10} {duration(r.monitored_s):>11} {duration(r.seated_s):>11} "
            f"{r.breaks:>6} {longest_bout(r):>21} {r.stand_hours:>7} "
            f"{duration(r.drift_s):>9}"
        )
    return "\n".join(out)
