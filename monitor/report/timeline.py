"""The replay timeline: the JSON contract that evaluation tools read.

Field names here are a contract; more fields may be added, none renamed:
`{"source", "duration_s", "analysed_frames", "samples": [{"t", "presence",
"posture", "issues", "metrics"}], "bouts": [{"start", "end"}], "breaks":
[{"start", "end"}], "alerts": [{"t", "kind", "detail"}]}`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from monitor.core.values import Alert, Span, TimelineSample
from monitor.storage import files


@dataclass
class Timeline:
    source: str
    duration_s: float = 0.0
    analysed_frames: int = 0
    samples: list[TimelineSample] = field(default_factory=list)
    bouts: list[Span] = field(default_factory=list)
    breaks: list[Span] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def spans(items: list[Span]) -> list[dict[str, float]]:
            return [{"start": round(s.start, 3), "end": round(s.end, 3)} for s in items]

        return {
            "source": self.source,
            "duration_s": round(self.duration_s, 3),
            "analysed_frames": self.analysed_frames,
            "samples": [s.to_json() for s in self.samples],
            "bouts": spans(self.bouts),
            "breaks": spans(self.breaks),
            "alerts": [asdict(a) | {"t": round(a.t, 3)} for a in self.alerts],
            **self.extra,
        }

    def write(self, path: Path) -> None:
        """Write the JSON whole or not at all (files.write_text)."""
        files.write_text(path, json.dumps(self.to_json(), indent=1) + "\n")
