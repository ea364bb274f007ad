"""Checking a profile file's fields: errors name the field and what it should be."""

from __future__ import annotations

import math
from typing import Any

from monitor.core.metrics import View


class Invalid(Exception):
    """A field of a profile file is missing or wrong; the message says which and why."""


def kind(value: Any) -> str:
    """A JSON value's type, as the user sees it in the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"the text {value[:20]!r}"
    return "a list" if isinstance(value, list) else "an object"


def field(section: dict[str, Any], key: str, where: str = "") -> Any:
    if key not in section:
        raise Invalid(f"'{where + '.' if where else ''}{key}' is missing")
    return section[key]


def object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"'{where}' should be an object ({{...}}), got {kind(value)}")
    return value


def text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"'{where}' should be text, got {kind(value)}")
    return value


def view(value: Any) -> View:
    views = ", ".join(repr(v.value) for v in View)
    if not isinstance(value, str) or value not in {v.value for v in View}:
        raise Invalid(f"'view' should be one of {views}, got {kind(value)}")
    return View(value)


def flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"'{where}' should be true or false, got {kind(value)}")
    return value


def number(value: Any, where: str, lo: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"'{where}' should be a number, got {kind(value)}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        raise Invalid(f"'{where}' should be a finite number, got {number}")
    if lo is not None and number < lo:
        raise Invalid(f"'{where}' should be at least {lo:g}, got {number:g}")
    return number


def whole(value: Any, where: str, lo: int) -> int:
    value = number(value, where, lo)
    if not value.is_integer():
        raise Invalid(f"'{where}' should be a whole number, got {value:g}")
    return int(value)
