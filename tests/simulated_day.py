"""Simulated monitoring for store and report tests: hours of sitting in milliseconds.

A schedule of (seconds, presence, posture, issues, metrics) stretches is
stepped through the real sitting and break-alert state machines, and each
step goes to a real Recorder, exactly as the live loop does. A GAP stretch
has no frames at all (the laptop slept, the monitor was off).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.core.alerts import BreakAlerts
from monitor.core.sitting import SittingTracker
from monitor.core.tracker import Step
from monitor.core.values import PostureState, Presence, TimelineSample
from monitor.settings import DEFAULTS, Settings
from monitor.storage.recorder import Recorder

SEATED, STANDING, AWAY, UNKNOWN = (
    Presence.SEATED,
    Presence.STANDING,
    Presence.AWAY,
    Presence.UNKNOWN,
)
GOOD, DRIFT, NOT_JUDGED = PostureState.GOOD, PostureState.DRIFT, PostureState.UNKNOWN
GAP = None  # no frames

Stretch = tuple  # (seconds, Presence, PostureState, issues, metrics)


def settings(**sections: dict[str, float]) -> Settings:
    """DEFAULTS with some fields replaced: settings(storage={"flush_s": 1})."""
    out = DEFAULTS
    for name, changes in sections.items():
        out = dataclasses.replace(out, **{name: dataclasses.replace(getattr(out, name), **changes)})
    return out


def stretch(
    seconds: float,
    presence: Presence | None,
    posture: PostureState = NOT_JUDGED,
    issues: tuple[str, ...] = (),
    metrics: dict[str, float] | None = None,
) -> Stretch:
    return (seconds, presence, posture, issues, metrics or {})


@dataclass
class Core:
    """The state machines of one simulated session: pass the same one to `run`
    again to go on with the session where the last schedule ended."""

    sitting: SittingTracker
    alerts: BreakAlerts

    @classmethod
    def of(cls, config: Settings) -> Core:
        s, a = config.sitting, config.alerts
        return cls(
            SittingTracker(s.ignore_shorter_s, s.min_break_s, s.max_gap_s),
            BreakAlerts(a.break_after_s, a.break_repeat_s, a.snooze_s),
        )


def run(
    recorder: Recorder,
    schedule: Sequence[Stretch],
    config: Settings,
    fps: float = 2.0,
    t0: float = 0.0,
    close: bool = True,
    core: Core | None = None,
) -> float:
    """Step the schedule through the core into `recorder`; the end time."""
    core = core or Core.of(config)
    sitting, alerts = core.sitting, core.alerts
    t, n = t0, 0
    for seconds, presence, posture, issues, metrics in schedule:
        end = t + seconds
        while t < end - 1e-9:
            if presence is not GAP:
                events = sitting.step(t, presence)
                raised = alerts.step(t, sitting.bout_start, sitting.seated and presence is SEATED)
                sample = TimelineSample(
                    t, presence, posture, issues if posture is DRIFT else (), metrics
                )
                recorder.add(Step(sample, raised, events, sitting.sitting_s(t)), hips_visible=True)
            n += 1
            t = t0 + n / fps
    if close:
        recorder.close(t, sitting.finish(t))
    return t
