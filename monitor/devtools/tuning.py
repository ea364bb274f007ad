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
import dataclasses
import itertools
import pickle
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor import paths
from monitor.app import replay
from monitor.capture import models
from monitor.core import metrics
from monitor.core.metrics import View
from monitor.core.posture import THRESHOLDS, build_rules
from monitor.core.tracker import Tracker
from monitor.devtools import evaluate
from monitor.devtools import stills as S
from monitor.errors import ProfileError
from monitor.settings import DEFAULTS, Settings

# The thresholds tried, per view: a person is seen from one side only, so
# each view's rules are chosen on the people seen that way.
# How many calibration spreads a deviation must pass (the setting
# posture.enter_z): one for both views, chosen after their thresholds.
ENTER_Z = "posture.enter_z"
ENTER_Z_GRID = {ENTER_Z: (2.0, 2.5, 3.0)}
GRID = {
    View.SIDE: {
        "slump_lean_drop": (0.05, 0.1, 0.15),
        "slump_fold_drop": (0.0, 0.05),
        "recline_drop": (0.05, 0.1),
        "slump_sink": (0.15, 0.2, 0.25),
        "chin_up_side_deg": (10.0, 15.0, 20.0, 25.0),
    },
    View.FRONT: {
        "chin_up_pitch": (0.03, 0.04, 0.05, 0.06, 0.08),
        "chin_up_rise": (0.0, 0.02, 0.03, 0.04),
        "head_roll_deg": (6.0, 8.0, 12.0),
    },
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
    """Each person's posture score (and each clip's and set's) under `thresholds`
    (and their posture.enter_z, if they hold one)."""
    rules = build_rules(thresholds)
    if ENTER_Z in thresholds:
        posture = dataclasses.replace(settings.posture, enter_z=thresholds[ENTER_Z])
        settings = dataclasses.replace(settings, posture=posture)
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


def grid(view: View) -> Iterator[dict[str, float]]:
    """Every combination of `view`'s thresholds, the others as THRESHOLDS has them."""
    axes = GRID[view]
    for values in itertools.product(*axes.values()):
        yield THRESHOLDS | dict(zip(axes, values, strict=True))


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


def choose(
    table: list[tuple[dict[str, float], dict[str, evaluate.Score]]],
    people: list[str],
    axes: dict[str, tuple[float, ...]],
) -> tuple[tuple[float, float], dict[str, float]]:
    """The thresholds best on `people`; among equals, the middle one of each grid axis."""
    ranked = [(objective(scores, people), th) for th, scores in table]
    best = max(r for r, _ in ranked)
    ties = [th for r, th in ranked if r == best]
    middle = {k: statistics.median_low(sorted({t[k] for t in ties})) for k in axes}

    def off_middle(th: dict[str, float]) -> int:
        return sum(abs(axes[k].index(th[k]) - axes[k].index(middle[k])) for k in axes)

    return best, min(ties, key=off_middle)


def seen_as(found: Data, views: dict[str, View], view: View) -> Data:
    """The clips and sets of the people seen from `view`."""
    return Data(
        {n: c for n, c in found.clips.items() if views[S.person(n)] is view},
        {f: s for f, s in found.sets.items() if views[S.person(f)] is view},
    )


def view_of(found: Data) -> dict[str, View]:
    """The view each person was seen in."""
    views = {S.person(name): View(clip["view"]) for name, (clip, _) in found.clips.items()}
    for folder, (still_set, samples) in found.sets.items():
        calibration = [samples[f] for f in still_set.calibrate if f in samples]
        seen = [metrics.detect_view(s) for s in calibration if s.present]
        views[S.person(folder)] = max(set(seen), key=seen.count) if seen else View.FRONT
    return views


def held_out(found: Data) -> list[str]:
    """The leave-one-person-out table, as lines: each person's posture under
    the thresholds chosen on the others of their view, then the choice made
    on everyone (what `posture.THRESHOLDS` should hold)."""
    views = view_of(found)
    pct = evaluate.percent
    lines = [f"{'held out':12} {'view':5} {'balanced':>8} {'good':>5} {'drift':>5}  "
             "chosen on the others"]  # fmt: skip
    chosen_on_all: dict[str, float] = THRESHOLDS | {ENTER_Z: DEFAULTS.posture.enter_z}
    for view in (View.SIDE, View.FRONT):
        seen = seen_as(found, views, view)
        table = [
            (th, {who: merged(s) for who, s in per_person(seen, th).items()})
            for th in grid(view)
        ]
        people = sorted(who for who in table[0][1] if views[who] is view)
        for who in people:
            if table[0][1][who].balanced() is None:
                continue
            _, th = choose(table, [p for p in people if p != who], GRID[view])
            score = next(s for t, s in table if t == th)[who]
            picked = ", ".join(f"{k} {th[k]:g}" for k in GRID[view])
            lines.append(
                f"{who:12} {view.value:5} {pct(score.balanced()):>8} "
                f"{pct(score.accuracy('good')):>5} {pct(score.accuracy('drift')):>5}  {picked}"
            )
        if people:
            best, th = choose(table, people, GRID[view])
            chosen_on_all |= {k: th[k] for k in GRID[view]}
            lines.append(f"  {view.value}, chosen on everyone: mean balanced {best[0]:.3f}, "
                         f"worst class {best[1]:.3f}")  # fmt: skip
    now = THRESHOLDS | {ENTER_Z: DEFAULTS.posture.enter_z}
    # The spreads a deviation must pass: one setting for both views, so it
    # is chosen on every other person, with each view's thresholds as chosen.
    table = [
        (th, {who: merged(s) for who, s in per_person(found, th).items()})
        for th in (chosen_on_all | {ENTER_Z: z} for z in ENTER_Z_GRID[ENTER_Z])
    ]
    people = sorted(who for who, score in table[0][1].items() if score.balanced() is not None)
    for who in people:
        _, th = choose(table, [p for p in people if p != who], ENTER_Z_GRID)
        score = next(s for t, s in table if t == th)[who]
        lines.append(
            f"{who:12} {'both':5} {pct(score.balanced()):>8} "
            f"{pct(score.accuracy('good')):>5} {pct(score.accuracy('drift')):>5}  "
            f"{ENTER_Z} {th[ENTER_Z]:g}"
        )
    best, th = choose(table, people, ENTER_Z_GRID)
    chosen_on_all = th
    lines.append(f"  {ENTER_Z}, chosen on everyone: mean balanced {best[0]:.3f}, "
                 f"worst class {best[1]:.3f}")  # fmt: skip
    now = THRESHOLDS | {ENTER_Z: DEFAULTS.posture.enter_z}
    changed = {k: v for k, v in chosen_on_all.items() if now[k] != v}
    lines.append(
        "chosen on everyone: as posture.THRESHOLDS and posture.enter_z hold"
        if not changed
        else f"chosen on everyone differs from posture.THRESHOLDS or enter_z: {changed}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitor.devtools.tuning", description=(__doc__ or "").split("\n")[0]
    )
    data = paths.REPO.parent / "shared" / "data"
    parser.add_argument("--data", type=Path, default=data, help="the labelled data folder")
    parser.add_argument("--fps", type=float, default=DEFAULTS.sampling.fps)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args(argv)
    print("\n".join(held_out(load(args.data, args.fps, args.cache))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
