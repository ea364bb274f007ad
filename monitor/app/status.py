"""The one-line live status: presence, sitting time, break due, posture, rate."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from monitor.core.posture import RECALIBRATE
from monitor.core.tracker import Step
from monitor.core.values import PostureState, Presence

# Said once when posture stops being judged because the camera moved.
MOVED = (
    "the camera looks moved since calibration, so posture is not judged: "
    "recalibrate? (posture-monitor calibrate)"
)


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def posture_text(step: Step) -> str | None:
    """The posture part: good, the main issue, or why it is not judged."""
    sample = step.sample
    if sample.posture is PostureState.DRIFT:
        return f"posture: {', '.join(i.replace('_', ' ') for i in sample.issues)}"
    if sample.posture is PostureState.GOOD:
        return "posture good"
    if sample.presence is not Presence.SEATED:
        return None
    if RECALIBRATE in step.notes:
        return "camera moved: recalibrate?"
    note = step.notes[0] if step.notes else "unknown"
    return note if note.startswith("posture") else f"posture: {note}"


def status_line(step: Step | None, rate_fps: float, note: str = "") -> str:
    """A compact status: `seated | sitting 42:10 | break in 7:50 | posture good | 2.0 fps`.

    Without a step (the camera is lost, the monitor paused) the state is unknown.
    """
    if step is None:
        return f"{'unknown | ' + note if note else 'starting'} | {rate_fps:.1f} fps"
    sample = step.sample
    parts = [sample.presence.value]
    if step.sitting_s > 0:
        parts.append(f"sitting {clock_text(step.sitting_s)}")
    if step.break_due_in_s is not None:
        # The countdown rounds up while the sitting time rounds down, so the two
        # shown add up to the whole seconds from the bout's start to the alert
        # (0:01 + 49:59, not 0:01 + 49:58), and "break in 0:00" never shows.
        due = step.break_due_in_s
        parts.append("break due now" if due <= 0 else f"break in {clock_text(math.ceil(due))}")
    posture = posture_text(step)
    if posture:
        parts.append(posture)
    if note:
        parts.append(note)
    parts.append(f"{rate_fps:.1f} fps")
    return " | ".join(parts)


# Carriage return, then erase to the end of the line: the status line is gone.
CLEAR_LINE = "\r\x1b[K"


class ClearsStatusLine(logging.Filter):
    """Starts each log record on a clean line where a status line may be drawn
    (a terminal): without it a warning is glued onto the status line."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if self.stream.isatty():
                self.stream.write(CLEAR_LINE)
        except (OSError, ValueError):  # a closed terminal: the handler copes with the rest
            pass
        return True


@contextmanager
def log_lines_clear_status(stream: TextIO) -> Iterator[None]:
    """While the status line is drawn on `stream`, log records there start on a clean line."""
    handlers = [
        h for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is stream
    ]  # fmt: skip
    clear = ClearsStatusLine(stream)
    for handler in handlers:
        handler.addFilter(clear)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(clear)
