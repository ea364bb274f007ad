"""The HTML charts on a short day: whole bout counts, one unit per chart,
readable ticks, and a legend naming only the states the day had.

The charts are matplotlib figures; `_png` is wrapped to look at each figure
before it becomes a picture.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from matplotlib.figure import Figure

from monitor.report import html
from monitor.report.figures import build_report
from monitor.storage.rows import SampleRow

TZ = ZoneInfo("Europe/London")
T0 = datetime.fromisoformat("2026-06-01T09:00:00+01:00").timestamp()


def rows(t: float, seconds: int, presence: str, posture: str) -> list[SampleRow]:
    seated = presence == "seated"
    good, drift = int(posture == "good"), int(posture == "drift")
    return [
        SampleRow(t + i, 1.0, presence, posture, int(seated), int(not seated), 0, 0,
                  good, drift, {"lean_in": 1.0} if drift else {}, 1.0, {})
        for i in range(seconds)
    ]  # fmt: skip


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    seen: list[Figure] = []
    real = html._png

    def keep(fig: Figure) -> str:
        fig.canvas.draw()  # tick labels are made at draw time
        seen.append(fig)
        return real(fig)

    monkeypatch.setattr(html, "_png", keep)
    return seen


def short_day() -> tuple:
    """23 s seated, 12 of them in drift: the day of a first try."""
    samples = rows(T0, 11, "seated", "good") + rows(T0 + 11, 12, "seated", "drift")
    return build_report(samples, [], [], [], date(2026, 6, 1), TZ), samples


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_the_bout_histogram_counts_whole_bouts(figures: list[Figure]) -> None:
    report, _ = short_day()
    html.bout_histogram(report)
    (ax,) = figures[0].axes
    counts = [tick for tick in ax.get_yticks() if ax.get_ylim()[0] <= tick <= ax.get_ylim()[1]]
    assert counts and all(float(c).is_integer() for c in counts), counts


def test_a_heat_map_uses_one_unit(figures: list[Figure]) -> None:
    report, _ = short_day()
    html.hourly_grid(report)
    ax = figures[0].axes[0]
    assert ax.get_title() == "Seconds per hour"
    assert sorted(texts(figures[0])) == ["12", "23"]  # no "23s" beside bare minutes
    # A longer day is in minutes throughout; a cell under half a minute says "<1", not "20s".
    longer = rows(T0, 90 * 60, "seated", "good") + rows(T0 + 90 * 60, 20, "standing", "unknown")
    html.hourly_grid(build_report(longer, [], [], [], date(2026, 6, 1), TZ))
    assert figures[1].axes[0].get_title() == "Minutes per hour"
    labels = texts(figures[1])
    assert "<1" in labels and not any(label.endswith("s") for label in labels)


def test_tick_labels_are_readable(figures: list[Figure]) -> None:
    report, samples = short_day()
    html.render([report, report], samples, TZ)
    assert len(figures) == 5
    for fig in figures:
        for ax in fig.axes:
            for label in ax.get_xticklabels() + ax.get_yticklabels():
                assert label.get_fontsize() >= 9, (ax.get_title(), label.get_text())


def test_legends_name_only_states_that_occurred(figures: list[Figure]) -> None:
    report, samples = short_day()
    html.ribbon(report, samples, TZ)
    html.posture_by_hour(report)
    ribbon, posture = (f.axes[0].get_legend() for f in figures)
    assert [t.get_text() for t in ribbon.get_texts()] == ["seated", "good", "drift"]
    assert [t.get_text() for t in posture.get_texts()] == ["good", "drift"]
