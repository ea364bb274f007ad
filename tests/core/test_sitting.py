"""Sitting bouts and breaks (issue 3): the state machine on simulated time.

`SittingTracker` is stepped with (t, presence) observations, a sample every
0.5 s, so an hour of sitting takes milliseconds. The rules, with the default
settings (sitting.ignore_shorter_s=10, min_break_s=60, max_gap_s=5):

- a change shorter than 10 s is ignored (a shuffle in the chair);
- standing or away for 60 s or more is a break: the bout ends when they got
  up, and the break lasts from then until sitting resumes;
- a shorter stretch off the seat does not end the bout or reset its timer;
- a gap in the frames (no samples for more than 5 s: the laptop slept) is not
  sitting, and a long one ends the bout;
- unknown presence is never counted as sitting; arriving is not a break;
- finish() closes what is open at the end of the data.
"""

from __future__ import annotations

import pytest

from monitor.core.sitting import Activity, BoutEnded, BreakEnded, SittingTracker
from monitor.core.values import Presence, Span
from monitor.settings import DEFAULTS

SEATED, STANDING, AWAY, UNKNOWN = (
    Presence.SEATED,
    Presence.STANDING,
    Presence.AWAY,
    Presence.UNKNOWN,
)
GAP = None  # no frames at all: the laptop slept, the camera was unplugged
DT = 0.5


def run(segments, settings=DEFAULTS.sitting, dt=DT):
    """Step a tracker through (seconds, presence or GAP) segments; finish at the end."""
    tracker = SittingTracker(settings.ignore_shorter_s, settings.min_break_s, settings.max_gap_s)
    t = 0.0
    for seconds, presence in segments:
        n = round(seconds / dt)
        for i in range(n):
            if presence is not GAP:
                tracker.step(t + i * dt, presence)
        t += n * dt
    tracker.finish(t)
    return tracker


def spans(*pairs):
    return [Span(a, b) for a, b in pairs]


def approx_spans(found):
    return [(pytest.approx(s.start, abs=1e-3), pytest.approx(s.end, abs=1e-3)) for s in found]


# (segments, expected bouts, expected breaks)
CASES = {
    "an hour of sitting is one bout": ([(3600, SEATED)], [(0, 3600)], []),
    "a 5 s shuffle is ignored": (
        [(600, SEATED), (5, STANDING), (600, SEATED)],
        [(0, 1205)],
        [],
    ),
    "standing 30 s does not reset the sitting timer": (
        [(600, SEATED), (30, STANDING), (600, SEATED)],
        [(0, 1230)],
        [],
    ),
    "standing 55 s (just under min_break_s) does not reset it either": (
        [(600, SEATED), (55, STANDING), (600, SEATED)],
        [(0, 1255)],
        [],
    ),
    "standing 2 min is a break": (
        [(600, SEATED), (120, STANDING), (600, SEATED)],
        [(0, 600), (720, 1320)],
        [(600, 720)],
    ),
    "away 2 min is a break": (
        [(600, SEATED), (120, AWAY), (600, SEATED)],
        [(0, 600), (720, 1320)],
        [(600, 720)],
    ),
    "exactly min_break_s is a break": (
        [(600, SEATED), (60, STANDING), (600, SEATED)],
        [(0, 600), (660, 1260)],
        [(600, 660)],
    ),
    "stand-sit-stand flicker under 10 s each is one bout": (
        [(600, SEATED), (8, STANDING), (4, SEATED), (8, STANDING), (600, SEATED)],
        [(0, 1220)],
        [],
    ),
    "a 5 s sit in the middle of a break does not split it": (
        [(600, SEATED), (120, STANDING), (5, SEATED), (120, AWAY), (600, SEATED)],
        [(0, 600), (845, 1445)],
        [(600, 845)],
    ),
    "two breaks": (
        [(600, SEATED), (120, AWAY), (900, SEATED), (300, STANDING), (60, SEATED)],
        [(0, 600), (720, 1620), (1920, 1980)],
        [(600, 720), (1620, 1920)],
    ),
    "arriving at the desk is not a break": ([(120, AWAY), (600, SEATED)], [(120, 720)], []),
    "unknown is never sitting": ([(600, UNKNOWN)], [], []),
    "unknown before sitting down is not part of the bout": (
        [(300, UNKNOWN), (600, SEATED)],
        [(300, 900)],
        [],
    ),
    "unknown for 30 s does not end the bout": (
        [(600, SEATED), (30, UNKNOWN), (600, SEATED)],
        [(0, 1230)],
        [],
    ),
    "unknown for 2 min ends the bout at the last seated frame": (
        [(600, SEATED), (120, UNKNOWN), (600, SEATED)],
        [(0, 599.5), (720, 1320)],
        [(599.5, 720)],
    ),
    "a 3 s gap in the frames is nothing": (
        [(600, SEATED), (3, GAP), (600, SEATED)],
        [(0, 1203)],
        [],
    ),
    "a 30 s gap does not end the bout": (
        [(600, SEATED), (30, GAP), (600, SEATED)],
        [(0, 1230)],
        [],
    ),
    "an hour's suspend ends the bout at the last frame seen, and is no break": (
        [(600, SEATED), (3600, GAP), (600, SEATED)],
        [(0, 599.5), (4200, 4800)],
        [],
    ),
    "seen getting up, then a suspend: the break began when they got up": (
        [(600, SEATED), (120, STANDING), (3600, GAP), (600, SEATED)],
        [(0, 600), (4320, 4920)],
        [(600, 4320)],
    ),
    "a stand not yet confirmed, then a suspend: the break began when they got up": (
        [(600, SEATED), (5, STANDING), (3600, GAP), (600, SEATED)],
        [(0, 600), (4205, 4805)],
        [(600, 4205)],
    ),
    "a gap too short to confirm a stand leaves a later stand a break": (
        [(600, SEATED), (7, GAP), (600, SEATED), (120, STANDING), (600, SEATED)],
        [(0, 1207), (1327, 1927)],
        [(1207, 1327)],
    ),
    "finish while on a break closes the bout and the break": (
        [(600, SEATED), (120, STANDING)],
        [(0, 600)],
        [(600, 720)],
    ),
    "finish during a short stand ends the bout when they got up": (
        [(600, SEATED), (30, STANDING)],
        [(0, 600)],
        [],
    ),
    "finish during a shuffle under 10 s: still sitting": (
        [(600, SEATED), (5, STANDING)],
        [(0, 605)],
        [],
    ),
}


@pytest.mark.parametrize(("segments", "bouts", "breaks"), CASES.values(), ids=CASES.keys())
def test_bouts_and_breaks(segments, bouts, breaks):
    tracker = run(segments)
    assert approx_spans(tracker.bouts) == [tuple(b) for b in bouts]
    assert approx_spans(tracker.breaks) == [tuple(b) for b in breaks]


@pytest.mark.parametrize(
    "stand_s", [11, 20, 30, 40, 45, 49.5, 50, 52, 55, 58, 59.5], ids=lambda s: f"{s}s"
)
def test_no_stand_shorter_than_min_break_ends_the_bout(stand_s):
    """Every stand from ignore_shorter_s up to just under min_break_s keeps one bout."""
    tracker = run([(600, SEATED), (stand_s, STANDING), (600, SEATED)])
    assert approx_spans(tracker.bouts) == [(0, pytest.approx(1200 + stand_s))]
    assert tracker.breaks == []


@pytest.mark.parametrize(
    ("segments", "unseen"),
    [
        ([(600, SEATED), (3600, GAP), (600, SEATED)], [True, False]),
        ([(600, SEATED), (120, STANDING), (3600, GAP), (600, SEATED)], [False, False]),
        ([(600, SEATED), (5, STANDING), (3600, GAP), (600, SEATED)], [False, False]),
        ([(600, SEATED), (7, GAP), (600, SEATED), (120, STANDING), (600, SEATED)], [False, False]),
        ([(3600, GAP), (600, SEATED), (3600, GAP), (600, SEATED)], [True, False]),
        # Unclear frames make a gap every max_gap_s: the stand the first one began
        # is confirmed in the second, and counts as seen (a break, as in CASES).
        ([(600, SEATED), (120, UNKNOWN), (600, SEATED)], [False, False]),
    ],
    ids=[
        "suspend",
        "seen up, suspend",
        "pending stand, suspend",
        "short gap, break",
        "two gaps",
        "unclear frames",
    ],
)
def test_a_bout_ends_unseen_only_when_a_gap_began_the_stretch_off_the_seat(segments, unseen):
    """`BoutEnded.unseen`: nobody saw the user get up, so no break alert was heeded."""
    tracker = SittingTracker(10, 60, 5)
    events, t = [], 0.0
    for seconds, presence in segments:
        for i in range(round(seconds / DT)):
            if presence is not GAP:
                events += tracker.step(t + i * DT, presence)
        t += seconds
    events += tracker.finish(t)
    assert [e.unseen for e in events if isinstance(e, BoutEnded)] == unseen


def test_hour_of_sitting_in_milliseconds():
    tracker = SittingTracker(10, 60, 5)
    for i in range(7200):
        assert tracker.step(i * DT, SEATED) == []
    assert tracker.sitting_s(3600) == 3600
    assert tracker.state is Activity.SITTING and not tracker.on_break
    assert tracker.finish(3600) == [BoutEnded(Span(0, 3600))]
    assert tracker.bouts == [Span(0, 3600)]


def test_state_after_every_step():
    """A short day with small settings, checked step by step.

    ignore_shorter_s=2, min_break_s=5, max_gap_s=3, a sample a second.
    """
    tracker = SittingTracker(ignore_shorter_s=2, min_break_s=5, max_gap_s=3)
    SIT, NOT = Activity.SITTING, Activity.NOT_SITTING
    eps = 1e-6
    # t, presence, state, bout_start, sitting_s, on_break, events
    steps = [
        (0, SEATED, SIT, 0, 0, False, []),
        (1, SEATED, SIT, 0, 1, False, []),
        (2, STANDING, SIT, 0, 2, False, []),  # pending: may be a shuffle
        (3, STANDING, SIT, 0, 3, False, []),
        (4, STANDING, NOT, 0, 4, False, []),  # 2 s up: off the seat since t=2
        (5, AWAY, NOT, 0, 5, False, []),
        (6, STANDING, NOT, 0, 6, False, []),
        (7, STANDING, NOT, None, 0, True, [BoutEnded(Span(0, 2))]),  # 5 s up: a break
        (8, SEATED, NOT, None, 0, True, []),
        (9, SEATED, NOT, None, 0, True, []),
        (10, SEATED, SIT, 8, 2, False, [BreakEnded(Span(2, 8))]),  # sat down at t=8
        (11, UNKNOWN, SIT, 8, 3, False, []),  # says nothing
        # no frames from 11 to 16: a 6 s gap (> max_gap_s) counts as up since the
        # last frame (t=10), long enough to end the bout; nobody saw a break
        (16, SEATED, NOT, None, 0, True, [BoutEnded(Span(8, 10 + eps), unseen=True)]),
        (17, SEATED, NOT, None, 0, True, []),
        (18, SEATED, SIT, 16, 2, False, []),
    ]
    for t, presence, state, bout_start, sitting_s, on_break, events in steps:
        got = tracker.step(t, presence)
        assert (tracker.state, tracker.bout_start, tracker.on_break) == (
            state,
            bout_start,
            on_break,
        ), f"t={t}"
        assert tracker.sitting_s(t) == pytest.approx(sitting_s), f"t={t}"
        assert [type(e) for e in got] == [type(e) for e in events], f"t={t}"
        for e, want in zip(got, events, strict=True):
            span, expected = (e.bout, want.bout) if isinstance(e, BoutEnded) else (e.brk, want.brk)
            assert getattr(e, "unseen", None) == getattr(want, "unseen", None), f"t={t}"
            assert (span.start, span.end) == (
                pytest.approx(expected.start),
                pytest.approx(expected.end),
            ), f"t={t}"
    assert tracker.finish(20) == [BoutEnded(Span(16, 20))]
    assert tracker.bout_start is None


def test_unknown_alone_never_starts_a_bout():
    tracker = SittingTracker(10, 60, 5)
    for i in range(200):
        tracker.step(i * DT, UNKNOWN)
        assert tracker.bout_start is None and tracker.sitting_s(i * DT) == 0
    assert tracker.finish(100) == []
    assert tracker.bouts == [] and tracker.breaks == []
