"""Score replay timelines against hand labels (shared/data/labels.json format).

Only samples inside a labelled segment count; the rest are transitions.
Presence is scored per true class (recall) and overall; posture as good vs
drift on segments that carry a posture label, with `unknown` counted wrong.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.errors import LabelsError, ProfileError
from monitor.settings import Settings


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


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_clip(clip: Any, origin: str) -> dict[str, Any]:
    """One clip's labels, or LabelsError saying what is wrong with them."""
    if not isinstance(clip, dict) or not isinstance(clip.get("file"), str):
        raise LabelsError(f"{origin}: each clip needs a \"file\" name")
    where = f"{origin}, clip {clip['file']}"
    segments = clip.get("segments", [])
    if not isinstance(segments, list):
        raise LabelsError(f"{where}: \"segments\" must be a list")
    for segment in segments:
        if not (
            isinstance(segment, dict)
            and _number(segment.get("start"))
            and _number(segment.get("end"))
            and all(isinstance(segment.get(k, ""), str) for k in ("presence", "posture"))
        ):
            raise LabelsError(f"{where}: a segment needs numeric start and end: {segment!r}"[:300])
    span = clip.get("calibrate")
    if span is not None and not (
        isinstance(span, list) and len(span) == 2 and all(map(_number, span)) and span[0] < span[1]
    ):
        raise LabelsError(f"{where}: \"calibrate\" must be [START, END] seconds")
    return clip


def load_labels(path: Path) -> dict[str, dict[str, Any]]:
    """The labelled clips of a labels file by file name, checked; LabelsError if unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabelsError(f"labels file not found: {path} (name one with --labels PATH)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LabelsError(f"cannot read labels file {path}: {exc}") from None
    clips = data.get("clips") if isinstance(data, dict) else None  # none: not a labels file
    if not isinstance(clips, list):
        raise LabelsError(f"{path}: expected {{\"clips\": [...]}}")
    return {c["file"]: c for c in (check_clip(c, str(path)) for c in clips)}


def calibration_span(clip: dict[str, Any], seconds: float) -> tuple[float, float] | None:
    """Where to calibrate a labelled clip: its "calibrate" stretch, else the
    first `seconds` of its first segment labelled seated in good posture (the
    neutral posture a user would calibrate on), else None."""
    span = clip.get("calibrate")
    if span is not None:
        return float(span[0]), float(span[1])
    for segment in sorted(clip.get("segments", []), key=lambda s: s["start"]):
        seated = segment.get("presence", "seated") == "seated"
        if segment.get("posture") == "good" and seated and segment["end"] > segment["start"]:
            return float(segment["start"]), float(min(segment["end"], segment["start"] + seconds))
    return None


def _samples(timeline: Any) -> list[tuple[float, str, str]]:
    samples = timeline.get("samples") if isinstance(timeline, dict) else None
    if not isinstance(samples, list):
        raise LabelsError("timeline has no \"samples\" list")
    out = []
    for s in samples:
        if not (
            isinstance(s, dict)
            and _number(s.get("t"))
            and isinstance(s.get("presence"), str)
            and isinstance(s.get("posture"), str)
        ):
            raise LabelsError(f"timeline sample is not {{t, presence, posture}}: {s!r}"[:300])
        out.append((s["t"], s["presence"], s["posture"]))
    return out


def load_timeline(path: Path, labels: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A replay timeline and the labelled clip its `source` names."""
    try:
        timeline = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelsError(f"cannot read timeline {path}: {exc}") from None
    source = timeline.get("source") if isinstance(timeline, dict) else None
    if not isinstance(source, str):
        raise LabelsError(f"timeline {path} has no \"source\"")
    matches = [name for name in labels if Path(source).as_posix().endswith(name)]
    if not matches:
        raise LabelsError(f"no labels for the source of {path} ({source})")
    return max(matches, key=len), timeline


def score(timeline: dict[str, Any], clip: dict[str, Any]) -> tuple[Score, Score]:
    """(presence score, posture score) of one timeline against one clip's labels."""
    samples = _samples(timeline)
    clip = check_clip(clip, "labels")
    presence, posture = Score(), Score()
    for t, seen, sat in samples:
        inside = [s for s in clip.get("segments", []) if s["start"] <= t <= s["end"]]
        truths = {s["presence"] for s in inside if "presence" in s}
        if len(truths) == 1:
            presence.add(truths.pop(), seen)
        postures = {s["posture"] for s in inside if "posture" in s}
        if len(postures) == 1:
            posture.add(postures.pop(), sat)
    return presence, posture


def by_person(
    rows: list[tuple[str, Score, Score]], person: Callable[[str], str]
) -> dict[str, tuple[Score, Score]]:
    """The rows' (presence, posture) scores merged per person (`person` names
    who a clip or set shows): what a leave-one-person-out check holds out."""
    people: dict[str, tuple[Score, Score]] = {}
    for name, presence, posture in rows:
        merged = people.setdefault(person(name), (Score(), Score()))
        merged[0].merge(presence)
        merged[1].merge(posture)
    return dict(sorted(people.items()))


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


def evaluate_all(
    labels_path: Path,
    labels: dict[str, dict[str, Any]],
    timelines: list[tuple[str, dict[str, Any] | None]],
    sets: list[Any],
    model_path: Path,
    max_fps: float | None,
    settings: Settings,
) -> tuple[list[tuple[str, Score, Score]], dict[str, Any], dict[str, tuple[Score, Score]], Any]:
    """Score each clip's timeline (replaying the clips given without one) and
    each still set (`monitor.devtools.stills`).

    Each replayed clip is calibrated on its `calibrate` stretch, or else on
    the start of its first good seated segment (said on stderr). Returns the
    table's rows, "all" last; the same figures as JSON; the scores per
    person, the rows a leave-one-person-out check compares; and the pose
    estimates (`monitor.devtools.tuning.Data`) for that check.
    """
    from monitor.app import replay
    from monitor.devtools import stills, tuning

    rows, results = [], {}
    total_presence, total_posture = Score(), Score()
    estimates: dict[str, tuple[dict[str, Any], replay.Estimated]] = {}
    found_sets: dict[str, tuple[stills.StillSet, dict[str, Any]]] = {}

    def add(name: str, presence: Score, posture: Score) -> None:
        total_presence.merge(presence)
        total_posture.merge(posture)
        rows.append((name, presence, posture))
        results[name] = {"presence": presence.to_json(), "posture": posture.to_json()}

    for name, timeline in timelines:
        clip = labels[name]
        if timeline is None:
            span = calibration_span(clip, settings.posture.calibrate_s)
            guessed = span is not None and clip.get("calibrate") is None
            if guessed:
                print(f"{name}: no calibrate stretch, calibrating on its first good-posture "
                      f"segment, {span[0]:g}-{span[1]:g} s", file=sys.stderr)  # fmt: skip

            def uncalibrated(exc: ProfileError, name: str = name) -> None:
                print(f"{name}: cannot calibrate on that segment ({exc}); "
                      "judged without a profile", file=sys.stderr)  # fmt: skip

            # A labelled stretch that fails is the labels' error; a guessed one
            # leaves the clip uncalibrated, as it was without the guess. The clips
            # are others' recordings, not the user's camera: never camera.mirrored.
            estimated = replay.estimate_video(
                str(labels_path.parent / name), model_path, max_fps, None, mirrored=False
            )
            estimates[name] = (clip, estimated)
            timeline = replay.timeline_of(
                estimated, settings, None, span, Path(name).stem,
                uncalibrated if guessed else None,
            ).to_json()  # fmt: skip
        add(name, *score(timeline, clip))
    for still_set in sets:
        samples = stills.estimate_set(still_set, labels_path.parent, model_path)
        found_sets[still_set.folder] = (still_set, samples)
        result = stills.score_set(still_set, samples, settings)
        if result.note:
            print(f"{still_set.folder}: {result.note}", file=sys.stderr)
        add(still_set.folder, result.presence, result.posture)
    people = by_person(rows, stills.person)
    results["by_person"] = {who: post.to_json() for who, (_, post) in people.items()}
    rows.append(("all", total_presence, total_posture))
    results["all"] = {"presence": total_presence.to_json(), "posture": total_posture.to_json()}
    return rows, results, people, tuning.Data(estimates, found_sets)
