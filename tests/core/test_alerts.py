"""Break alerts (issue 3): when the monitor tells you to get up.

Defaults: the first alert when a sitting bout reaches alerts.break_after_s
(3000 s, 50 min), then every break_repeat_s (600 s) while you stay seated; a
break (60 s or more up) starts the schedule again; a snooze postpones it.
Each alert's text says how long you have sat and suggests something to do.
The policy is stepped with the sitting tracker on simulated time.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings, target
from hypothesis import strategies as st
from poses import front_figure

from monitor.core.alerts import BREAK_SUGGESTIONS, BreakAlerts, format_minutes
from monitor.core.sitting import SittingTracker
from monitor.core.tracker import Tracker
from monitor.core.values import Presence
from monitor.settings import DEFAULTS

SEATED, STANDING, AWAY, UNKNOWN = (
    Presence.SEATED,
    Presence.STANDING,
    Presence.AWAY,
    Presence.UNKNOWN,
)
GAP = None
AFTER_S, REPEAT_S = DEFAULTS.alerts.break_after_s, DEFAULTS.alerts.break_repeat_s


def simulate(segments, dt=0.5, snooze_at=(), snooze_for=None):
    """Sitting tracker + break alerts over (seconds, presence or GAP) segments.

    Returns (alerts, tracker, log) where log holds (t, sitting_s) at each alert,
    as the tracker saw it when the alert was raised.
    """
    s, a = DEFAULTS.sitting, DEFAULTS.alerts
    tracker = SittingTracker(s.ignore_shorter_s, s.min_break_s, s.max_gap_s)
    policy = BreakAlerts(a.break_after_s, a.break_repeat_s, a.snooze_s)
    alerts, log = [], []
    snoozes = sorted(snooze_at)
    t = 0.0
    for seconds, presence in segments:
        n = round(seconds / dt)
        for i in range(n):
            now = t + i * dt
            if presence is GAP:
                continue
            tracker.step(now, presence)
            seen_seated = tracker.seated and presence is SEATED  # as Tracker.step does
            for alert in policy.step(now, tracker.bout_start, seen_seated):
                alerts.append(alert)
                log.append((now, tracker.sitting_s(now), tracker.state))
            while snoozes and snoozes[0] <= now:  # the user presses snooze
                snoozes.pop(0)
                policy.snooze(now, snooze_for)
        t += n * dt
    tracker.finish(t)
    return alerts, tracker, log


# (segments, alert times)
SCHEDULES = {
    "49 min of sitting: no alert": ([(2940, SEATED)], []),
    "an hour and a half: at 50, 60, 70 and 80 min": (
        [(5400, SEATED)],
        [3000, 3600, 4200, 4800],
    ),
    "a 30 s stand does not reset the timer": (
        [(2000, SEATED), (30, STANDING), (1100, SEATED)],
        [3000],
    ),
    "a 2 min break resets it": (
        [(2000, SEATED), (120, STANDING), (3100, SEATED)],
        [2120 + 3000],
    ),
    "away counts as a break too": (
        [(2900, SEATED), (300, AWAY), (3100, SEATED)],
        [3200 + 3000],
    ),
    "an hour's suspend resets it": (
        [(2900, SEATED), (3600, GAP), (3100, SEATED)],
        [6500 + 3000],
    ),
    "unknown presence does not start the clock": (
        [(600, UNKNOWN), (3100, SEATED)],
        [600 + 3000],
    ),
    "once up for what becomes a break, no alert (the bout never reached 50 min)": (
        [(2970, SEATED), (120, STANDING), (600, SEATED)],
        [],
    ),
}


@pytest.mark.parametrize(("segments", "times"), SCHEDULES.values(), ids=SCHEDULES.keys())
def test_break_alert_schedule(segments, times):
    alerts, _, _ = simulate(segments)
    assert [a.t for a in alerts] == times
    assert all(a.kind == "break" for a in alerts)


def test_alerts_suggest_walk_warrior_bridge_boat_in_turn():
    alerts, _, _ = simulate([(3000 + 5 * 600 + 1, SEATED)])
    assert len(alerts) == 6
    for alert, word in zip(
        alerts, ["walk", "warrior", "bridge", "boat", "walk", "warrior"], strict=True
    ):
        assert word in alert.detail.lower()
    assert alerts[0].detail.startswith("You have been sitting for 50 min.")
    assert alerts[2].detail.startswith("You have been sitting for 1 h 10 min.")
    assert {a.detail.split(". ", 1)[1] for a in alerts[:4]} == set(BREAK_SUGGESTIONS)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30, "30 s"), (39, "39 s"), (59.4, "59 s"), (59.6, "1 min"), (89, "1 min"),
        (3000, "50 min"), (3600, "1 h 00 min"), (5430, "1 h 30 min"),
    ],
)
def test_format_minutes(seconds, text):
    assert format_minutes(seconds) == text


@pytest.mark.parametrize(
    ("snooze_at", "snooze_for", "times"),
    [
        # snoozed at the first alert: the next comes 15 min later, not 10
        ([3000], None, [3000, 3900, 4500]),
        # snoozed before the first: postponed to 15 min after the snooze
        ([2500], None, [3400, 4000, 4600]),
        # a snooze shorter than the repeat changes nothing
        ([3000], 120.0, [3000, 3600, 4200]),
        # a custom longer snooze
        ([3100], 1200.0, [3000, 4300]),
    ],
)
def test_snooze_postpones(snooze_at, snooze_for, times):
    alerts, _, _ = simulate([(4800, SEATED)], snooze_at=snooze_at, snooze_for=snooze_for)
    assert [a.t for a in alerts] == times


def test_snooze_without_a_bout_does_nothing():
    policy = BreakAlerts(3000, 600, 900)
    policy.snooze(100)
    assert policy.due_at() is None
    assert policy.step(100, 100.0) == []
    assert policy.due_at() == 3100


def test_tracker_raises_break_alerts_for_a_seated_desk_user():
    """The whole core pipeline, from synthetic desk-webcam samples."""
    tracker = Tracker(DEFAULTS)
    alerts = []
    due = {}
    for i in range(0, 3700, 2):
        step = tracker.step(front_figure(float(i)))
        assert step.sample.presence is Presence.SEATED
        alerts += step.alerts
        due[i] = step.break_due_in_s
        assert step.sitting_s == pytest.approx(i)
    assert [(a.t, a.kind) for a in alerts] == [(3000.0, "break"), (3600.0, "break")]
    assert due[0] == pytest.approx(3000) and due[2998] == pytest.approx(2)
    assert due[3000] == pytest.approx(600)


def test_tracker_break_settings_are_used():
    quick = dataclasses.replace(
        DEFAULTS, alerts=dataclasses.replace(DEFAULTS.alerts, break_after_s=60, break_repeat_s=30)
    )
    tracker = Tracker(quick)
    times = [a.t for i in range(0, 130) for a in tracker.step(front_figure(float(i))).alerts]
    assert times == [60.0, 90.0, 120.0]


# -- properties ----------------------------------------------------------------------

# Lengths near the rules' edges, and long seated stretches, come up often.
seconds = st.one_of(
    st.sampled_from([5, 9, 11, 30, 55, 59, 60, 61, 120, 600, 2950, 2990, 3000, 3600]),
    st.integers(min_value=1, max_value=4000),
)
segment = st.tuples(
    seconds,
    st.sampled_from([SEATED, SEATED, STANDING, AWAY, UNKNOWN, GAP]),
)
days = st.lists(segment, min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(days)
def test_alerts_respect_cooldown_and_sitting_time(segments):
    """No two break alerts closer than break_repeat_s; none before break_after_s of sitting."""
    alerts, _, log = simulate(segments, dt=2.0)
    target(float(len(alerts)))
    times = [a.t for a in alerts]
    assert all(b - a >= REPEAT_S for a, b in itertools.pairwise(times))
    assert all(sitting_s >= AFTER_S for _, sitting_s, _ in log)


@settings(max_examples=60, deadline=None)
@given(days)
def test_every_alert_falls_in_a_bout_at_least_break_after_s_long(segments):
    """Judged on the final record: an alert lies inside a bout, 50 min or more into it."""
    alerts, tracker, _ = simulate(segments, dt=2.0)
    target(float(len(alerts)))
    for alert in alerts:
        assert any(b.start + AFTER_S <= alert.t <= b.end for b in tracker.bouts), (
            f"alert at {alert.t} outside every long-enough bout {tracker.bouts}"
        )
