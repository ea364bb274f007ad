"""Quiet time: when an alert may make a sound, as a pure policy over wall-clock time.

Two things mute a chime: working hours outside which alerts stay silent, and
the quiet flag (`--quiet`). Muted alerts are still recorded by the caller;
only the quiet flag keeps the desktop notification, because the evening means
"leave me alone", while quiet means "no noise". A pause (`pause 30m`) needs
no policy here: the live monitor releases the camera and raises no alerts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

OUTSIDE_HOURS = "outside working hours"
QUIET = "quiet"

_UNITS = {"s": 1, "m": 60, "h": 3600}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smh])")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Span = tuple[time, time]


def parse_duration(text: str) -> float:
    """Seconds in "90s", "30m", "1h", "1h30m" (a bare number is minutes)."""
    compact = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", compact):
        seconds = float(compact) * 60
    else:
        parts = _DURATION.findall(compact)
        if not parts or "".join(n + u for n, u in parts) != compact:
            raise ValueError(f"not a duration: {text!r} (try 90s, 30m, 1h or 1h30m)")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0 or seconds > 7 * 86400:
        raise ValueError(f"duration {text!r} must be more than 0 and at most 7 days")
    return seconds


def parse_hours(text: str) -> tuple[Span, ...]:
    """Working hours "09:00-17:30" (or several, comma-separated); "" means always.

    A span may cross midnight ("22:00-06:00") for night shifts.
    """
    spans = []
    for part in filter(str.strip, text.split(",")):
        match = _HOURS.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not HH:MM-HH:MM, e.g. 09:00-17:30")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"{part.strip()!r} has an impossible time of day")
        if (h1, m1) == (h2, m2):
            raise ValueError(f"{part.strip()!r} starts and ends at the same time")
        end = time.max if h2 == 24 else time(h2, m2)
        spans.append((time(h1, m1), end))
    return tuple(spans)


def _within(now: time, span: Span) -> bool:
    start, end = span
    if start < end:
        return start <= now < end
    return now >= start or now < end  # crosses midnight


@dataclass(frozen=True)
class QuietTime:
    """Whether an alert at a given wall-clock time may sound, and why not."""

    quiet: bool = False
    hours: tuple[Span, ...] = ()

    @classmethod
    def from_text(cls, quiet: bool = False, working_hours: str = "") -> QuietTime:
        return cls(quiet=quiet, hours=parse_hours(working_hours))

    def reason_muted(self, now: datetime) -> str | None:
        """Why an alert at `now` must not sound, strictest first; None if it may."""
        if self.hours and not any(_within(now.time(), span) for span in self.hours):
            return OUTSIDE_HOURS
        if self.quiet:
            return QUIET
        return None

    def keeps_notifications(self, reason: str | None) -> bool:
        """Quiet mutes only the sound; the evening mutes the notification too."""
        return reason in (None, QUIET)
