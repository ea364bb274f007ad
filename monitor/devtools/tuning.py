"""Choosing the posture thresholds by leave-one-person-out (a developer command).

    python -m monitor.devtools.tuning [--data ../shared/data] [--fps 2] [--cache FILE]

Every labelled set in the data folder (the clips of labels.json and the
still sets of stills_labels.json and MANIFEST.md) is grouped by the person
it shows. For each person in turn, the thresholds of posture.THRESHOLDS are
chosen on a grid to do best on all the *other* people (the mean of their
posture balanced accuracies, then the worst class recall, then the middle
of the best plateau for margin) and that choice is scored on the person
left out: how the rules would do on someone they were not tuned on. It
prints the held-out table, and the choice made on everyone (what
THRESHOLDS holds). The pose model runs once per clip and photo; `--cache`
keeps its output between runs.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.app import replay
from monitor.capture import models
from monitor.core.posture import THRESHOLDS, build_rules
from monitor.core.tracker import Tracker
from monitor.devtools import evaluate
from monitor.devtools import stills as S
from monitor.errors import ProfileError
from monitor.settings import DEFAULTS, Settings

GRID = {
    "slump_head_rise": (0.15, 0.2, 0.25, 0.3),
    "slump_lean_confirm": (0.04, 0.08, 0.12),
    "chin_up_pitch": (0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2),
    "chin_up_rise": (0.0, 0.02, 0.03, 0.04, 0.06),
    "head_roll_deg": (8.0, 12.0, 15.0),
}


@dataclass
class Data:
    clips: dict[str, tuple[dict, replay.Estimated]]  # name -> (labels, estimate)
    sets: dict[str, tuple[S.StillSet, dict]]  # folder -> (set, samples by file)


def load(data: Path, fps: float, cache: Path | None) -> Data:
    if cache is not None and cache.exists():
        with cache.open("rb") as f:
            return pickle.load(f)
    model = models.resolve("full")
    labels = evaluate.load_labels(data / "labels.json")
    clips = {
        name: (clip, replay.estimate_video(str(data / name), model, fps))
        for name, clip in labels.items()
    }
    sets = S.load_sets(data / "stills_labels.json") + S.manifest_sets(data)
    found = Data(clips, {s.folder: (s, S.estimate_set(s, data, model)) for s in sets})
    if cache is not None:
        with cache.open("wb") as f:
            pickle.dump(found, f)
    return found


def score_clip(
    clip: dict, estimated: replay.Estimated, settings: Settings, rules: dict
) -> tuple[evaluate.Score, evaluate.Score, int, int]:
    """(presence, posture, bouts, breaks) of one clip, calibrated as `evaluate` does."""
    span = evaluate.calibration_span(clip, settings.posture.calibrate_s)
    profile = None
    if span is not None:
        try:
            profile = replay.calibrate_from(estimated.samples, *span, name="tuning")
        except ProfileError:
            profile = None
    tracker = Tracker(settings, profile, rules)
    samples = [tracker.step(s).sample.to_json() for s in estimated.samples]
    tracker.finish(estimated.duration_s)
    presence, posture = evaluate.score({"samples": samples}, clip)
    return presence, posture, len(tracker.bouts), len(tracker.breaks)


def per_person(
    found: Data, thresholds: dict[str, float], settings: Settings = DEFAULTS
) -> dict[str, dict[str, evaluate.Score]]:
    """Each person's posture score (and each clip's and set's) under `thresholds`."""
    rules = build_rules(thresholds)
    out: dict[str, dict[str, evaluate.Score]] = {}
    for name, (clip, estimated) in found.clips.items():
        _, posture, _, _ = score_clip(clip, estimated, settings, rules)
        out.setdefault(S.person(name), {})[name] = posture
    for folder, (still_set, samples) in found.sets.items():
        result = S.score_set(still_set, samples, settings, rules)
        out.setdefault(S.person(folder), {})[folder] = result.posture
    return out


def merged(scores: dict[str, evaluate.Score]) -> evaluate.Score:
    total = evaluate.Score()
    for score in scores.values():
        total.merge(score)
    return total


def grid() -> Iterator[dict[str, float]]:
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        yield dict(zip(keys, values, strict=True))


def objective(scores: dict[str, evaluate.Score], people: list[str]) -> tuple[float, float]:
    """(mean balanced accuracy, worst class recall) over `people` with posture labels."""
    balanced, worst = [], 1.0
    for who in people:
        score = scores[who]
        if score.balanced() is None:
            continue
        balanced.append(score.balanced() or 0.0)
        worst = min([worst, *(score.accuracy(c) or 0.0 for c in score.totals)])
    return (statistics.fmean(balanced) if balanced else 0.0, worst)


def choose(table: list[tuple[dict[str, float], dict[str, evaluate.Score]]], people: list[str]):
    """The thresholds best on `people`; among equals, the middle one of each grid axis."""
    ranked = [(objective(scores, people), th) for th, scores in table]
    best = max(r for r, _ in ranked)
    ties = [th for r, th in ranked if r == best]
    middle = {k: statistics.median_low(sorted({t[k] for t in ties})) for k in GRID}
    return best, min(ties, key=lambda t: sum(abs(GRID[k].index(t[k]) - GRID[k].index(middle[k]))
                                          for k in GRID))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitor.devtools.tuning", description=(__doc__ or "").split("\n")[0]
    )
    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=data, help="the labelled data folder")
    parser.add_argument("--fps", type=float, default=DEFAULTS.sampling.fps)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args(argv)
    found = load(args.data, args.fps, args.cache)
    table = []
    for th in grid():
        scores = per_person(found, th)
        table.append((th, {who: merged(s) for who, s in scores.items()}))
    people = sorted(table[0][1])
    print(f"{'held out':12} {'balanced':>8} {'good':>5} {'drift':>5}  chosen on the others")
    for who in people:
        if table[0][1][who].balanced() is None:
            continue
        _, th = choose(table, [p for p in people if p != who])
        score = next(s for t, s in table if t == th)[who]
        pct = evaluate.percent
        print(f"{who:12} {pct(score.balanced()):>8} {pct(score.accuracy('good')):>5} "
              f"{pct(score.accuracy('drift')):>5}  {th}")
    best, th = choose(table, people)
    print(f"on everyone: {th} (mean balanced {best[0]:.3f}, worst class {best[1]:.3f}); "
          f"posture.THRESHOLDS now: {THRESHOLDS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
