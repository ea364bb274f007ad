"""Sitting bouts and breaks, counted as a sedentary-behaviour researcher would.

A pure state machine over (t, presence) observations:
- a change of class shorter than `ignore_shorter_s` is ignored (activPAL's
  10 s rule), so a shuffle in the chair does not end a bout;
- standing or away for at least `min_break_s` is a break and ends the bout;
  a shorter stretch does not reset the sitting timer;
- a gap in the frames longer than `max_gap_s` (the laptop slept, the camera
  was lost) is not sitting: a long one ends the bout, but is no break, since
  nobody saw the user get up. Unclear frames make a gap every `max_gap_s`:
  where `ignore_shorter_s` is the longer (as by default), a second gap comes
  before the first is confirmed, so a long run of them was watched all along
  and is a break like standing or away.
`step` returns what changed, as events; nothing here acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from monitor.core.values import Presence, Span


class Activity(Enum):
    SITTING = "sitting"
    NOT_SITTING = "not_sitting"


@dataclass(frozen=True)
class BoutEnded:
    bout: Span
    unseen: bool = False  # ended by a gap: nobody saw the user get up


@dataclass(frozen=True)
class BreakEnded:
    brk: Span


SittingEvent = BoutEnded | BreakEnded


def activity_of(presence: Presence) -> Activity | None:
    """Seated is sitting; standing and away are not; unknown says nothing."""
    if presence is Presence.SEATED:
        return Activity.SITTING
    if presence in (Presence.STANDING, Presence.AWAY):
        return Activity.NOT_SITTING
    return None


class SittingTracker:
    def __init__(self, ignore_shorter_s: float, min_break_s: float, max_gap_s: float) -> None:
        self.ignore_shorter_s = ignore_shorter_s
        self.min_break_s = min_break_s
        self.max_gap_s = max_gap_s
        self.state: Activity | None = None  # the debounced activity
        self._candidate: Activity | None = None
        self._candidate_since = 0.0
        self._candidate_unseen = False  # the candidate began with a gap
        self.bout_start: float | None = None  # the open bout, sitting or briefly up
        self._left_seat_at: float | None = None  # start of the current non-sitting stretch
        self._left_unseen = False  # that stretch began with a gap: nobody saw the user get up
        self.last_t: float | None = None
        self.bouts: list[Span] = []
        self.breaks: list[Span] = []

    def sitting_s(self, t: float) -> float:
        """Continuous sitting time at `t`: the open bout's length, else 0."""
        return max(0.0, t - self.bout_start) if self.bout_start is not None else 0.0

    @property
    def seated(self) -> bool:
        """Sitting, and not seen getting up (even if that is not yet confirmed)."""
        return self.state is Activity.SITTING and self._candidate is None

    @property
    def pending(self) -> bool:
        """A different activity has been seen but not for long enough to count."""
        return self._candidate is not None

    @property
    def on_break(self) -> bool:
        return self.bout_start is None and self.state is Activity.NOT_SITTING

    def step(self, t: float, presence: Presence) -> list[SittingEvent]:
        events: list[SittingEvent] = []
        activity = activity_of(presence)
        if activity is None:
            # Unknown says nothing now; if it lasts, the gap rule below
            # makes it "not sitting".
            if self.last_t is not None and t - self.last_t > self.max_gap_s:
                events += self._gap(self.last_t, t)
                self.last_t = t
            return events
        if self.last_t is not None and t - self.last_t > self.max_gap_s:
            events += self._gap(self.last_t, t)
        self.last_t = t
        events += self._observe(t, activity)
        return events

    def _gap(self, since: float, until: float) -> list[SittingEvent]:
        # The gap counts as not sitting from the last frame seen, so a long
        # one ends the bout; a stretch off the seat that it began is no break.
        # One pending from before it counts as seen: a stand not yet confirmed,
        # or an earlier gap of a run (unclear frames make one every max_gap_s).
        if self._candidate is Activity.NOT_SITTING:
            self._candidate_unseen = False
        events = self._observe(since + 1e-6, Activity.NOT_SITTING, unseen=True)
        events += self._observe(until, Activity.NOT_SITTING, unseen=True)
        return events

    def _seen_leaving(self) -> bool:
        return self._left_seat_at is not None and not self._left_unseen

    def _observe(self, t: float, activity: Activity, unseen: bool = False) -> list[SittingEvent]:
        events: list[SittingEvent] = []
        if self.state is None:
            self.state = activity
            self._change(t, activity, events, unseen)
        elif activity is self.state:
            self._candidate = None
        else:
            if self._candidate is not activity:
                self._candidate, self._candidate_since = activity, t
                self._candidate_unseen = unseen
            if t - self._candidate_since >= self.ignore_shorter_s:
                self.state = activity
                self._candidate = None
                self._change(self._candidate_since, activity, events, self._candidate_unseen)
        # A stretch off the seat becomes a break once it is long enough. If
        # the user is already back on the seat (not yet confirmed), the
        # stretch ended when they sat down, not now.
        back_at = self._candidate_since if self._candidate is Activity.SITTING else t
        if (
            self.state is Activity.NOT_SITTING
            and self.bout_start is not None
            and self._left_seat_at is not None
            and back_at - self._left_seat_at >= self.min_break_s
        ):
            bout = Span(self.bout_start, self._left_seat_at)
            self.bouts.append(bout)
            events.append(BoutEnded(bout, unseen=not self._seen_leaving()))
            self.bout_start = None
        return events

    def _change(
        self, since: float, activity: Activity, events: list[SittingEvent], unseen: bool
    ) -> None:
        if activity is Activity.SITTING:
            left = self._left_seat_at
            if left is not None and self._seen_leaving() and self._ended_bout():
                brk = Span(left, since)
                if brk.duration_s >= self.min_break_s:
                    self.breaks.append(brk)
                    events.append(BreakEnded(brk))
            if self.bout_start is None:
                self.bout_start = since
            self._left_seat_at, self._left_unseen = None, False
        else:
            self._left_seat_at, self._left_unseen = since, unseen

    def _ended_bout(self) -> bool:
        # Only time off the seat after a bout is a break; arriving is not.
        return (
            self.bout_start is None
            and bool(self.bouts)
            and self.bouts[-1].end == self._left_seat_at
        )

    def finish(self, t: float) -> list[SittingEvent]:
        """Close what is open at the end of the data."""
        events: list[SittingEvent] = []
        left = self._left_seat_at
        if self.bout_start is not None:
            bout = Span(self.bout_start, left if left is not None else t)
            self.bouts.append(bout)
            events.append(BoutEnded(bout))
            self.bout_start = None
        elif (
            left is not None
            and self._seen_leaving()
            and self._ended_bout()
            and t - left >= self.min_break_s
        ):
            brk = Span(left, t)
            self.breaks.append(brk)
            events.append(BreakEnded(brk))
        self._left_seat_at, self._left_unseen = None, False
        return events
