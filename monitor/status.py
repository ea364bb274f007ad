"""The one-line live status: presence, sitting time, break due, posture, rate."""

from __future__ import annotations

from monitor.timeline import PostureState, Presence
from monitor.tracker import Step


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def status_line(step: Step | None, rate_fps: float, note: str = "") -> str:
    """A compact status: `seated | sitting 42:10 | break in 7:50 | posture good | 2.0 fps`."""
    if step is None:
        return f"{note or 'starting'} | {rate_fps:.1f} fps"
    sample = step.sample
    parts = [sample.presence.value]
    if step.sitting_s > 0:
        parts.append(f"sitting {clock_text(step.sitting_s)}")
    if step.break_due_in_s is not None:
        due = step.break_due_in_s
        parts.append("break due now" if due <= 0 else f"break in {clock_text(due)}")
    if sample.posture is PostureState.DRIFT:
        parts.append(f"posture: {', '.join(i.replace('_', ' ') for i in sample.issues)}")
    elif sample.posture is PostureState.GOOD:
        parts.append("posture good")
    elif sample.presence is Presence.SEATED:
        parts.append(f"posture: {step.notes[0] if step.notes else 'unknown'}".replace(
            "posture: posture", "posture"))
    if note:
        parts.append(note)
    parts.append(f"{rate_fps:.1f} fps")
    return " | ".join(parts)
