"""Score replay timelines against hand labels (shared/data/labels.json format).

Only samples inside a labelled segment count; the rest are transitions.
Presence is scored per true class (recall) and overall; posture as good vs
drift on segments that carry a posture label, with `unknown` counted wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Score:
    """Correct and total counts, per true class."""

    hits: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, truth: str, predicted: str) -> None:
        self.totals[truth] = self.totals.get(truth, 0) + 1
        self.hits[truth] = self.hits.get(truth, 0) + (truth == predicted)
        self.confusion[(truth, predicted)] = self.confusion.get((truth, predicted), 0) + 1

    def merge(self, other: Score) -> None:
        for truth, n in other.totals.items():
            self.totals[truth] = self.totals.get(truth, 0) + n
            self.hits[truth] = self.hits.get(truth, 0) + other.hits.get(truth, 0)
        for key, n in other.confusion.items():
            self.confusion[key] = self.confusion.get(key, 0) + n

    def accuracy(self, truth: str | None = None) -> float | None:
        if truth is not None:
            total = self.totals.get(truth, 0)
            return self.hits.get(truth, 0) / total if total else None
        total = sum(self.totals.values())
        return sum(self.hits.values()) / total if total else None

    def balanced(self) -> float | None:
        per_class = [self.accuracy(c) for c in self.totals]
        scores = [a for a in per_class if a is not None]
        return sum(scores) / len(scores) if scores else None

    def to_json(self) -> dict[str, Any]:
        return {
            "overall": self.accuracy(),
            "balanced": self.balanced(),
            "per_class": {c: self.accuracy(c) for c in sorted(self.totals)},
            "counts": dict(sorted(self.totals.items())),
        }


def load_labels(path: Path) -> dict[str, dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {clip["file"]: clip for clip in data.get("clips", [])}


def score(timeline: dict[str, Any], clip: dict[str, Any]) -> tuple[Score, Score]:
    """(presence score, posture score) of one timeline against one clip's labels."""
    presence, posture = Score(), Score()
    for sample in timeline["samples"]:
        t = sample["t"]
        inside = [s for s in clip.get("segments", []) if s["start"] <= t <= s["end"]]
        truths = {s["presence"] for s in inside if "presence" in s}
        if len(truths) == 1:
            presence.add(truths.pop(), sample["presence"])
        postures = {s["posture"] for s in inside if "posture" in s}
        if len(postures) == 1:
            posture.add(postures.pop(), sample["posture"])
    return presence, posture


def percent(value: float | None) -> str:
    return "   -" if value is None else f"{100 * value:3.0f}%"


def table(rows: list[tuple[str, Score, Score]]) -> str:
    lines = [
        f"{'clip':42} {'presence':>8} {'seated':>6} {'standing':>8} {'away':>5} "
        f"{'posture':>7} {'good':>5} {'drift':>5}"
    ]
    for name, pres, post in rows:
        lines.append(
            f"{name[:42]:42} {percent(pres.accuracy()):>8} {percent(pres.accuracy('seated')):>6} "
            f"{percent(pres.accuracy('standing')):>8} {percent(pres.accuracy('away')):>5} "
            f"{percent(post.accuracy()):>7} {percent(post.accuracy('good')):>5} "
            f"{percent(post.accuracy('drift')):>5}"
        )
    return "\n".join(lines)
