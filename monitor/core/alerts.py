"""When to speak up about sitting: the break alert policy, a pure state machine.

It reads the sitting state it is given and returns the alerts due now;
playing, storing or printing them is the caller's job. Posture alerts are
`monitor.core.posture.PostureMonitor`'s, on the same terms.
"""

from __future__ import annotations

from monitor.core.values import Alert

BREAK_SUGGESTIONS = (
    "Stand up and walk around for a few minutes: fetch water, take the stairs.",
    "Stand up for a held warrior I: step one foot back, sink into the front knee, "
    "hold 30 s each side to stretch the hip flexors.",
    "Stand up and move, then lie down for a supported bridge: feet flat, lift the hips "
    "onto a block or cushion and rest there for a minute.",
    "Stand up, walk a little, then try boat pose: sit tall, lean back slightly and lift "
    "the feet, holding 20 s to wake the hip flexors and core.",
)


def format_minutes(seconds: float) -> str:
    if seconds < 59.5:  # under a minute: seconds (39 s is not "1 min")
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class BreakAlerts:
    """A break alert when a bout reaches `after_s`, repeated every `repeat_s`."""

    def __init__(self, after_s: float, repeat_s: float, snooze_s: float) -> None:
        self.after_s = after_s
        self.repeat_s = repeat_s
        self.snooze_s = snooze_s
        self._bout_start: float | None = None
        self._next_due: float | None = None
        self._count = 0

    def due_at(self) -> float | None:
        """When the next break alert is due, in the caller's time; None if not sitting."""
        return self._next_due

    def snooze(self, t: float, for_s: float | None = None) -> None:
        if self._next_due is not None:
            self._next_due = max(self._next_due, t + (self.snooze_s if for_s is None else for_s))

    def step(self, t: float, bout_start: float | None, seated: bool = True) -> list[Alert]:
        """Alerts due at `t` for the open bout; none while the user is up.

        Being up (not yet long enough for a break) keeps the schedule: if they
        sit down again the bout, and its alert, carry on.
        """
        if bout_start != self._bout_start:
            # A new bout (or none): the schedule starts again.
            self._bout_start = bout_start
            self._next_due = None if bout_start is None else bout_start + self.after_s
            self._count = 0
        if not seated or self._next_due is None or t < self._next_due:
            return []
        assert bout_start is not None
        suggestion = BREAK_SUGGESTIONS[self._count % len(BREAK_SUGGESTIONS)]
        self._count += 1
        self._next_due = t + self.repeat_s
        sat = format_minutes(t - bout_start)
        return [Alert(t, "break", f"You have been sitting for {sat}. {suggestion}")]
