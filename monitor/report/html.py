"""The daily report as one self-contained HTML file, charts drawn by matplotlib.

Charts are inline base64 PNGs and the style sheet is inline, so the file can
be mailed or opened offline. Matplotlib runs on the Agg backend (no screen).
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from datetime import datetime, tzinfo

from monitor.paths import library_cache

# Before matplotlib makes folders of the umask's mode (see paths).
os.environ.setdefault("MPLCONFIGDIR", library_cache("matplotlib"))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from monitor.report.figures import DayReport, duration
from monitor.report.text import lines, longest_bout, title
from monitor.storage.rows import SampleRow

COLOURS = {
    "seated": "#3b6fb6",
    "standing": "#4caf50",
    "away": "#d0d0d0",
    "unknown": "#9e9e9e",
    "good": "#a5d6a7",
    "drift": "#ef6c00",
}
CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse}td{padding:.25em .8em;border-bottom:1px solid #eee}
td:first-child{color:#555;white-space:nowrap}.note{color:#8a5a00}img{max-width:100%}
"""
# Chart text in points at DPI: readable once the page scales the picture down.
TICK_PT = 9
LEGEND_PT = 9
TITLE_PT = 11
DPI = 100


def _unit(largest_s: float) -> tuple[float, str]:
    """One unit for a whole chart: seconds on a day too short for whole minutes."""
    return (1.0, "seconds") if largest_s < 60 else (60.0, "minutes")


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _hour_axis(ax: plt.Axes, r: DayReport, tz: tzinfo, lo: float, hi: float) -> None:
    # x is hours since local midnight in real time; labels are local clock times,
    # so a 25-hour day shows its repeated hour.
    ax.set_xlim(lo, hi)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks)
    fmt = "%H:%M:%S" if hi - lo < 0.2 else "%H:%M"
    ax.set_xticklabels(
        [datetime.fromtimestamp(r.start + x * 3600, tz).strftime(fmt) for x in ticks]
    )
    ax.set_xlim(lo, hi)


def _runs(samples: Sequence[SampleRow], key: str, start: float) -> dict[str, list]:
    """Consecutive seconds in the same state, as (x, width) bars in hours."""
    out: dict[str, list[tuple[float, float]]] = {}
    run_state, run_a, run_b = None, 0.0, 0.0
    for s in samples:
        state = getattr(s, key)
        a, b = s.t, s.t + max(s.dur_s, 1.0)
        if state == run_state and a - run_b < 1.5:
            run_b = b
            continue
        if run_state is not None:
            out.setdefault(run_state, []).append(((run_a - start) / 3600, (run_b - run_a) / 3600))
        run_state, run_a, run_b = state, a, b
    if run_state is not None:
        out.setdefault(run_state, []).append(((run_a - start) / 3600, (run_b - run_a) / 3600))
    return out


def ribbon(r: DayReport, samples: Sequence[SampleRow], tz: tzinfo) -> str:
    fig, ax = plt.subplots(figsize=(11, 1.9))
    seen = []  # the legend names only the states the day had
    for state, bars in _runs(samples, "presence", r.start).items():
        ax.broken_barh(bars, (0, 0.8), color=COLOURS.get(state, "#999"))
        seen.append(state)
    for state, bars in _runs(samples, "posture", r.start).items():
        if state in ("good", "drift"):
            ax.broken_barh(bars, (1, 0.5), color=COLOURS[state])
            seen.append(state)
    ax.set_yticks([0.4, 1.25], ["presence", "posture"])
    ax.tick_params(labelsize=TICK_PT)
    ax.set_ylim(-0.1, 1.6)
    if samples:
        lo = (samples[0].t - r.start) / 3600
        hi = (samples[-1].t + samples[-1].dur_s - r.start) / 3600
        pad = max((hi - lo) * 0.02, 1 / 3600)
        _hour_axis(ax, r, tz, lo - pad, hi + pad)
    if seen:
        ax.legend(
            handles=[Patch(color=COLOURS[k], label=k) for k in COLOURS if k in seen],
            ncol=6,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.35),
            frameon=False,
            fontsize=LEGEND_PT,
        )
    ax.set_title("The day: seated, standing, away; posture drift on top", fontsize=TITLE_PT)
    return _png(fig)


def hourly_grid(r: DayReport) -> str:
    rows = [
        ("sitting", "seated_s"),
        ("standing", "standing_s"),
        ("away", "away_s"),
        ("drift", "drift_s"),
        ("on break", "break_s"),
    ]
    seconds = [[float(h[key]) for h in r.hourly] for _, key in rows]
    # One unit for every cell: minutes, or seconds on a day without a whole minute.
    per, unit = _unit(max((max(line, default=0.0) for line in seconds), default=0.0))
    grid = [[v / per for v in line] for line in seconds]
    full = 3600 / per
    fig, ax = plt.subplots(figsize=(11, 2.8))
    ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=full)
    for y, line in enumerate(grid):
        for x, value in enumerate(line):
            if value * per >= 1:
                ax.text(
                    x, y, f"{value:.0f}" if value >= 0.5 else "<1", ha="center", va="center",
                    fontsize=TICK_PT, color="white" if value > 0.6 * full else "black",
                )  # fmt: skip
    ax.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize=TICK_PT)
    ax.set_xticks(range(len(r.hourly)), [h["hour"] for h in r.hourly], fontsize=TICK_PT)
    if len(r.hourly) != 24:  # a clock-change day: "01 BST", "01 GMT"
        ax.tick_params(axis="x", labelrotation=90)
    ax.set_title(f"{unit.capitalize()} per hour", fontsize=TITLE_PT)
    return _png(fig)


def bout_histogram(r: DayReport) -> str:
    fig, ax = plt.subplots(figsize=(5.4, 3))
    lengths = r.bout_lengths_s
    in_minutes = bool(lengths) and max(lengths) >= 120
    values = [v / 60 for v in lengths] if in_minutes else lengths
    if values:
        ax.hist(values, bins=min(20, max(5, len(values))), color=COLOURS["seated"])
    else:
        ax.text(0.5, 0.5, "no sitting bouts", ha="center", transform=ax.transAxes)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # bouts are counted whole
    ax.tick_params(labelsize=TICK_PT)
    ax.set_xlabel("bout length (" + ("min" if in_minutes else "s") + ")", fontsize=TICK_PT)
    ax.set_ylabel("bouts", fontsize=TICK_PT)
    ax.set_title("Sitting bouts by length", fontsize=TITLE_PT)
    return _png(fig)


def posture_by_hour(r: DayReport) -> str:
    fig, ax = plt.subplots(figsize=(5.4, 3))
    x = range(len(r.hourly))
    per, unit = _unit(max((h["seated_s"] for h in r.hourly), default=0.0))
    good = [h["good_s"] / per for h in r.hourly]
    drift = [h["drift_s"] / per for h in r.hourly]
    seated = [h["seated_s"] / per for h in r.hourly]
    other = [max(0.0, s - g - d) for s, g, d in zip(seated, good, drift, strict=True)]
    ax.bar(x, good, color=COLOURS["good"], label="good")
    ax.bar(x, drift, bottom=good, color=COLOURS["drift"], label="drift")
    ax.bar(
        x,
        other,
        bottom=[g + d for g, d in zip(good, drift, strict=True)],
        color="#e0e0e0",
        label="not judged",
    )
    ax.set_xticks(list(x)[::3], [h["hour"] for h in r.hourly][::3], fontsize=TICK_PT)
    ax.tick_params(axis="y", labelsize=TICK_PT)
    ax.set_ylabel(f"seated {unit}", fontsize=TICK_PT)
    shown = [
        name for name, values in (("good", good), ("drift", drift), ("not judged", other))
        if any(v > 0 for v in values)
    ]  # fmt: skip
    handles, labels = ax.get_legend_handles_labels()
    if shown:
        ax.legend(
            [h for h, n in zip(handles, labels, strict=True) if n in shown],
            [n for n in labels if n in shown], fontsize=LEGEND_PT,
        )  # fmt: skip
    ax.set_title("Posture by hour", fontsize=TITLE_PT)
    return _png(fig)


def trend(reports: Sequence[DayReport]) -> str:
    fig, ax = plt.subplots(figsize=(11, 3))
    days = [r.day[5:] for r in reports]
    ax.bar(days, [r.seated_s / 3600 for r in reports], color=COLOURS["seated"], label="sitting")
    ax.bar(
        days,
        [r.drift_s / 3600 for r in reports],
        color=COLOURS["drift"],
        width=0.4,
        label="posture drift",
    )
    ax.set_ylabel("hours", fontsize=TICK_PT)
    ax.tick_params(labelsize=TICK_PT)
    ax2 = ax.twinx()
    rates = [r.breaks_per_sitting_hour or 0.0 for r in reports]
    ax2.plot(days, rates, color="black", marker="o", label="breaks per sitting hour")
    ax2.set_ylabel("breaks per sitting hour", fontsize=TICK_PT)
    ax2.set_ylim(bottom=0)
    ax2.tick_params(labelsize=TICK_PT)
    ax.legend(loc="upper left", fontsize=LEGEND_PT)
    ax2.legend(loc="upper right", fontsize=LEGEND_PT)
    ax.set_title("Across days", fontsize=TITLE_PT)
    return _png(fig)


def _img(data: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def render(reports: Sequence[DayReport], samples: Sequence[SampleRow], tz: tzinfo) -> str:
    """The HTML page: figures for the last day, and a trend when there are several."""
    r = reports[-1]
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{html.escape(text)}</td></tr>"
        for label, text in lines(r)
    )
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in r.notes)
    heading = html.escape(title(r))
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{heading}</title>"
        f"<style>{CSS}</style></head><body><h1>{heading}</h1>",
        f"<table>{rows}</table>{notes}",
        '<div id="charts">',
        "<h2>Timeline</h2>" + _img(ribbon(r, samples, tz), "timeline of the day"),
        "<h2>Hour by hour</h2>" + _img(hourly_grid(r), "minutes per hour"),
        "<h2>Bouts and posture</h2>"
        + _img(bout_histogram(r), "bout lengths")
        + _img(posture_by_hour(r), "posture by hour"),
    ]
    if len(reports) > 1:
        parts.append("<h2>Trend</h2>" + _img(trend(reports), "trend across days"))
        trend_rows = "".join(
            f"<tr><td>{x.day}</td><td>{duration(x.monitored_s)}</td>"
            f"<td>{duration(x.seated_s)}</td><td>{x.breaks}</td>"
            f"<td>{html.escape(longest_bout(x))}</td><td>{x.stand_hours}</td></tr>"
            for x in reports
        )
        parts.append(
            "<table><tr><td>day</td><td>monitored</td><td>sitting</td><td>breaks</td>"
            f"<td>longest bout</td><td>stand hours</td></tr>{trend_rows}</table>"
        )
    parts.append(
        "</div><p style='color:#888;font-size:.8em'>posture-monitor report; "
        "times are local (" + html.escape(r.tz) + ").</p></body></html>\n"
    )
    return "\n".join(parts)
