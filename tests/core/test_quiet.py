"""Quiet time: durations, working hours, pause with automatic resume, and settings."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest

from monitor import settings
from monitor.core import quiet
from monitor.core.quiet import OUTSIDE_HOURS, QUIET, QuietTime
from monitor.errors import SettingsError


def at(hh_mm: str) -> datetime:
    h, m = map(int, hh_mm.split(":"))
    return datetime(2025, 3, 4, h, m)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("1h", 3600), ("1h30m", 5400), ("1.5h", 5400), ("45", 2700)],
)
def test_durations(text: str, seconds: float) -> None:
    assert quiet.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "not a duration"),
        ("soon", "not a duration"),
        ("30x", "not a duration"),
        ("m30", "not a duration"),
        ("-5m", "not a duration"),
        ("0m", "more than 0"),
        ("200h", "at most 7 days"),
    ],
)
def test_bad_durations_say_what_is_accepted(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        quiet.parse_duration(text)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("", ()),
        ("09:00-17:30", ((time(9), time(17, 30)),)),
        ("9:00-12:00, 13:00-17:00", ((time(9), time(12)), (time(13), time(17)))),
        ("22:00-06:00", ((time(22), time(6)),)),
        ("00:00-24:00", ((time(0), time.max),)),
    ],
)
def test_working_hours(text: str, spans: tuple) -> None:
    assert quiet.parse_hours(text) == spans


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("9-5", "not HH:MM-HH:MM"),
        ("09:00", "not HH:MM-HH:MM"),
        ("25:00-26:00", "impossible time"),
        ("09:60-10:00", "impossible time"),
        ("09:00-09:00", "same time"),
    ],
)
def test_bad_working_hours(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        quiet.parse_hours(text)


@pytest.mark.parametrize(
    ("hours", "now", "reason"),
    [
        ("09:00-17:30", "08:59", OUTSIDE_HOURS),
        ("09:00-17:30", "09:00", None),
        ("09:00-17:30", "17:29", None),
        ("09:00-17:30", "17:30", OUTSIDE_HOURS),
        ("09:00-12:00,13:00-17:00", "12:30", OUTSIDE_HOURS),
        ("22:00-06:00", "23:00", None),
        ("22:00-06:00", "05:59", None),
        ("22:00-06:00", "12:00", OUTSIDE_HOURS),
        ("", "03:00", None),
    ],
)
def test_alerts_sound_only_in_working_hours(hours: str, now: str, reason: str | None) -> None:
    assert QuietTime.from_text(working_hours=hours).reason_muted(at(now)) == reason


def test_strictest_reason_wins_and_only_quiet_keeps_notifications() -> None:
    policy = QuietTime.from_text(quiet=True, working_hours="09:00-17:00")
    assert policy.reason_muted(at("10:00")) == QUIET
    assert policy.reason_muted(at("18:00")) == OUTSIDE_HOURS
    assert policy.keeps_notifications(None)
    assert policy.keeps_notifications(QUIET)
    assert not policy.keeps_notifications(OUTSIDE_HOURS)


def test_sound_settings_are_validated_at_load(tmp_path: Path) -> None:
    loaded = settings.load(
        tmp_path / "none.toml",
        assignments=["sound.working_hours=09:00-17:30", "sound.quiet=yes", "sound.volume=0.3"],
    )
    assert loaded.settings.sound.working_hours == "09:00-17:30"
    assert loaded.settings.sound.quiet is True
    assert loaded.settings.sound.volume == 0.3
    assert loaded.sources["sound.volume"] == "command line"
    assert settings.DEFAULTS.sound.working_hours == ""  # default: no limit


@pytest.mark.parametrize(
    ("assignment", "error"),
    [
        ("sound.working_hours=9-5", "sound.working_hours = '9-5': '9-5' is not HH:MM-HH:MM"),
        ("sound.volume=2", "sound.volume = '2' is out of range: expected a float from 0 to 1"),
        ("sound.quiet=maybe", "sound.quiet = 'maybe': expected true or false"),
        ("sound.retry_s=0", "sound.retry_s = '0' is out of range"),
    ],
)
def test_bad_sound_settings_name_key_and_value(assignment: str, error: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        settings.load(tmp_path / "none.toml", assignments=[assignment])
    assert str(info.value).startswith(error)
