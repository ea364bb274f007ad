"""What the store reads back: one recorded second, one alert, a span's rows.

Plain values, so that the report's arithmetic needs no database to be tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.core.values import Span


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
