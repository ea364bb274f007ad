"""POSIX TZ strings as time zones: `UTC0`, `EST5EDT,M3.2.0,M11.1.0`, `CET-1CEST,M3.5.0,M10.5.0/3`.

What `TZ` may hold besides a zone name (POSIX.1-2017, 8.3): a standard
abbreviation and offset, optionally a daylight one with its offset (an hour
ahead if none is given) and the rules that start and end it. The offset
counts hours *west* of Greenwich, so `CET-1` is UTC+1. Without rules a
daylight zone follows the US rules (`M3.2.0,M11.1.0`), as glibc does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_TIME = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_RULE = r"(?:J\d{1,3}|\d{1,3}|M\d{1,2}\.\d\.\d)(?:/" + _TIME + ")?"
_TZ = re.compile(
    rf"^({_NAME})({_TIME})(?:({_NAME})({_TIME})?(?:,({_RULE}),({_RULE}))?)?$"
)
_US = ("M3.2.0", "M11.1.0")


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    h, m, s = parts[:3]
    if m > 59 or s > 59:
        raise ValueError(text)
    return sign * (h * 3600 + m * 60 + s)


def _day(rule: str, year: int) -> datetime:
    """Local midnight of the day a rule names in `year` (naive)."""
    jan1 = datetime(year, 1, 1)
    if rule.startswith("M"):
        month, week, weekday = (int(p) for p in rule[1:].split("."))
        if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6):
            raise ValueError(rule)
        first = datetime(year, month, 1)
        day = first + timedelta(days=(weekday - (first.weekday() + 1) % 7) % 7)
        day += timedelta(weeks=week - 1)
        while day.month != month:  # week 5 is the last such day of the month
            day -= timedelta(weeks=1)
        return day
    if rule.startswith("J"):  # 1..365, never counting 29 February
        n = int(rule[1:])
        if not 1 <= n <= 365:
            raise ValueError(rule)
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return jan1 + timedelta(days=n - 1 + (1 if leap and n >= 60 else 0))
    n = int(rule)  # 0..365, counting 29 February
    if not 0 <= n <= 365:
        raise ValueError(rule)
    return jan1 + timedelta(days=n)


class PosixZone(tzinfo):
    def __init__(self, text: str) -> None:
        match = _TZ.match(text)
        if not match:
            raise ValueError(f"not a POSIX TZ string: {text!r}")
        std, std_off, dst, dst_off, start, end = match.groups()
        self.text = text
        self.std_name = std.strip("<>")
        self.std_offset = timedelta(seconds=-_seconds(std_off))
        self.dst_name = dst.strip("<>") if dst else None
        ahead = timedelta(seconds=-_seconds(dst_off)) if dst_off else None
        self.dst_offset = ahead if ahead is not None else self.std_offset + timedelta(hours=1)
        rules = (start, end) if start else _US
        self.rules = [(r.split("/")[0], _seconds(r.split("/")[1]) if "/" in r else 7200)
                      for r in rules]  # fmt: skip
        for year in (1970, 2000):  # every rule is checked once, here
            self._switches(year)

    def _switches(self, year: int) -> tuple[datetime, datetime]:
        """When daylight time starts and ends in `year`, as naive UTC."""
        (start, at_s), (end, at_e) = self.rules
        begins = _day(start, year) + timedelta(seconds=at_s) - self.std_offset
        ends = _day(end, year) + timedelta(seconds=at_e) - self.dst_offset
        return begins, ends

    def _is_dst_utc(self, utc: datetime) -> bool:
        if self.dst_name is None:
            return False
        begins, ends = self._switches(utc.year)
        return begins <= utc < ends if begins < ends else not ends <= utc < begins

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None or self.dst_name is None:
            return self.std_offset
        # A local time: judged as if standard time, which is right but for the
        # hour repeated or skipped at a switch.
        naive = dt.replace(tzinfo=None)
        return self.dst_offset if self._is_dst_utc(naive - self.std_offset) else self.std_offset

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - self.std_offset

    def tzname(self, dt: datetime | None) -> str:
        if self.dst_name and self.dst(dt):
            return self.dst_name
        return self.std_name

    def fromutc(self, dt: datetime) -> datetime:
        naive = dt.replace(tzinfo=None)
        offset = self.dst_offset if self._is_dst_utc(naive) else self.std_offset
        return (naive + offset).replace(tzinfo=self)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"PosixZone({self.text!r})"

