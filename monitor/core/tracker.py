"""The core pipeline: pose samples in, timeline samples and alerts out.

`Tracker.step(sample)` runs presence, sitting, posture and alert logic on one
analysed frame. It holds no camera, clock, sound or disk: the replay and the
live loop feed it and decide what to do with what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.core.alerts import BreakAlerts
from monitor.core.metrics import View
from monitor.core.posture import PostureMonitor, Rule
from monitor.core.presence import PresenceClassifier, SeatedReference
from monitor.core.profile import Profile
from monitor.core.sample import PoseSample
from monitor.core.sitting import SittingEvent, SittingTracker
from monitor.core.values import Alert, Presence, Span, TimelineSample
from monitor.settings import Settings


@dataclass(frozen=True)
class Step:
    sample: TimelineSample
    alerts: list[Alert] = field(default_factory=list)
    events: list[SittingEvent] = field(default_factory=list)
    sitting_s: float = 0.0
    break_due_in_s: float | None = None
    notes: tuple[str, ...] = ()


class Tracker:
    def __init__(
        self,
        settings: Settings,
        profile: Profile | None = None,
        rules: dict[View, tuple[Rule, ...]] | None = None,
    ) -> None:
        """`rules`: the posture rules (default posture.RULES; the tuning tries others)."""
        self.settings = settings
        reference = None
        if profile is not None and profile.seated is not None:
            reference = SeatedReference(*profile.seated)
        self.presence = PresenceClassifier(
            settings.presence.smooth_s, reference, settings.presence.min_visibility
        )
        s = settings.sitting
        self.sitting = SittingTracker(s.ignore_shorter_s, s.min_break_s, s.max_gap_s)
        a = settings.alerts
        self.break_alerts = BreakAlerts(a.break_after_s, a.break_repeat_s, a.snooze_s)
        self.posture = PostureMonitor(settings.posture, profile, rules)

    def step(self, sample: PoseSample) -> Step:
        t = sample.t_s
        presence = self.presence.step(sample)
        events = self.sitting.step(t, presence)
        # Only a frame that shows the user seated can say they are still sitting.
        seen_seated = self.sitting.seated and presence is Presence.SEATED
        alerts = self.break_alerts.step(t, self.sitting.bout_start, seen_seated)
        posture = self.posture.step(sample, seated=presence is Presence.SEATED)
        alerts += posture.alerts
        due = self.break_alerts.due_at()
        return Step(
            TimelineSample(t, presence, posture.state, posture.issues, posture.metrics),
            alerts,
            events,
            self.sitting.sitting_s(t),
            None if due is None else max(0.0, due - t),
            posture.notes,
        )

    def use_profile(self, profile: Profile) -> None:
        """A new calibration, from now on: posture judged against it, presence
        against its seated height; the sitting bout and the alerts go on."""
        self.posture = PostureMonitor(self.settings.posture, profile)
        if profile.seated is not None:
            self.presence.calibrated = SeatedReference(*profile.seated)

    def pending(self) -> bool:
        """A change of presence is under way but not yet confirmed."""
        return self.sitting.pending or self.presence.raw is not self.presence.smoothed()

    def finish(self, t: float) -> list[SittingEvent]:
        return self.sitting.finish(t)

    @property
    def bouts(self) -> list[Span]:
        return self.sitting.bouts

    @property
    def breaks(self) -> list[Span]:
        return self.sitting.breaks
