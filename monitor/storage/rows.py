"""What the store reads back: one recorded second, one alert, a span's rows.

Plain values, so that the report's arithmetic needs no database to be tested.
`DayRows.distinct` counts every second once, whatever the database holds:
two sessions that recorded the same minutes (the clock set back, a database
written by an older version) are read as one.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

from monitor.core.values import Span

_SECONDS = ("seated_s", "standing_s", "away_s", "unknown_s", "good_s", "drift_s", "hips_s")


@dataclass(frozen=True)
class SampleRow:
    """One recorded second: seconds spent in each state during it."""

    t: float
    dur_s: float
    presence: str
    posture: str
    seated_s: float
    standing_s: float
    away_s: float
    unknown_s: float
    good_s: float
    drift_s: float
    issues: dict[str, float] = field(default_factory=dict)
    hips_s: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    session: int | None = None  # the session that recorded it (None: not known)

    def scaled(self, start: float, share: float) -> SampleRow:
        """The row from `start` on, holding `share` of each of its seconds."""
        values = {k: getattr(self, k) * share for k in _SECONDS}
        issues = {k: v * share for k, v in self.issues.items()}
        return replace(self, t=start, dur_s=self.dur_s * share, issues=issues, **values)


@dataclass(frozen=True)
class AlertRow:
    t: float
    kind: str
    detail: str
    break_after_s: float | None = None
    heeded: int | None = None  # 1 heeded, 0 ignored, None: monitoring stopped first


@dataclass
class DayRows:
    """What the report needs for one span of wall-clock time.

    `bouts` holds every bout, ended or open; `ongoing` those of them still
    going on at the time the rows were read for.
    """

    samples: list[SampleRow]
    bouts: list[Span]
    breaks: list[Span]
    alerts: list[AlertRow]
    ongoing: list[Span] = field(default_factory=list)

    def distinct(self) -> DayRows:
        """The rows with every second counted once.

        Samples of a session that overlap what an earlier session (a lower
        id) recorded keep only their part outside it; bouts that overlap
        become one (ongoing if any of them was), and so do breaks. Rows of
        one session never overlap another's in a database recorded as it
        should be, and are then returned as they are.
        """
        samples = _distinct_samples(self.samples)
        bouts, ongoing = merge(self.bouts, self.ongoing)
        breaks, _ = merge(self.breaks, [])
        return DayRows(samples, bouts, breaks, self.alerts, ongoing)


def _distinct_samples(samples: list[SampleRow]) -> list[SampleRow]:
    sessions = sorted({s.session for s in samples}, key=lambda s: -1 if s is None else s)
    if len(sessions) < 2:
        return samples
    covered: list[Span] = []  # merged, in time order: what earlier sessions hold
    kept: list[SampleRow] = []
    for session in sessions:
        mine = [s for s in samples if s.session == session]
        for s in mine:
            kept.extend(_outside(s, covered))
        covered, _ = merge(covered + [Span(s.t, s.t + s.dur_s) for s in mine if s.dur_s > 0], [])
    return sorted(kept, key=lambda s: s.t)


def _outside(row: SampleRow, covered: list[Span]) -> list[SampleRow]:
    """The parts of `row` that `covered` (merged, in order) does not hold."""
    if row.dur_s <= 0:
        return [row]
    start, end = row.t, row.t + row.dur_s
    out, t = [], start
    i = max(0, bisect.bisect_right([c.start for c in covered], start) - 1)
    for c in covered[i:]:
        if c.start >= end:
            break
        if c.end <= t:
            continue
        if c.start > t:
            out.append(row.scaled(t, (c.start - t) / row.dur_s))
        t = max(t, c.end)
    if t < end:
        out.append(row if t == start else row.scaled(t, (end - t) / row.dur_s))
    return out


def merge(spans: list[Span], ongoing: list[Span]) -> tuple[list[Span], list[Span]]:
    """Overlapping spans merged (ones that only touch stay apart), in order; and
    which of the merged ones hold an `ongoing` span."""
    merged: list[tuple[Span, bool]] = []
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        live = s in ongoing
        if merged and s.start < merged[-1][0].end:
            last, was = merged[-1]
            merged[-1] = (Span(last.start, max(last.end, s.end)), was or live)
        else:
            merged.append((s, live))
    if len(merged) == len(spans):  # nothing overlapped: the same spans
        return sorted(spans, key=lambda s: (s.start, s.end)), list(ongoing)
    return [s for s, _ in merged], [s for s, live in merged if live]


def outside(span: Span, held: list[Span]) -> Span | None:
    """The longest part of `span` that `held` (merged, in order) does not
    overlap, or None if it holds all of it."""
    pieces, t = [], span.start
    for h in held:
        if h.end <= t or h.start >= span.end:
            continue
        if h.start > t:
            pieces.append(Span(t, h.start))
        t = max(t, h.end)
    if t < span.end or (t == span.start == span.end):
        pieces.append(Span(t, span.end))
    return max(pieces, key=lambda p: p.duration_s, default=None)
