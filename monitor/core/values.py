"""The core's values: presence and posture states, spans, alerts, timeline samples.

Plain frozen values with no behaviour beyond their JSON form, shared by every
state machine of the core and by the edges that store and show their output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Presence(str, Enum):
    SEATED = "seated"
    STANDING = "standing"
    AWAY = "away"
    UNKNOWN = "unknown"


class PostureState(str, Enum):
    GOOD = "good"
    DRIFT = "drift"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Alert:
    t: float
    kind: str  # "break" | "posture"
    detail: str


@dataclass(frozen=True)
class TimelineSample:
    t: float
    presence: Presence
    posture: PostureState = PostureState.UNKNOWN
    issues: tuple[str, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3),
            "presence": self.presence.value,
            "posture": self.posture.value,
            "issues": list(self.issues),
            "metrics": {k: round(v, 4) for k, v in self.metrics.items()},
        }
