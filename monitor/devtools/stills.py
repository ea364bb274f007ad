"""Scoring still-photo sets (shared/data/stills_labels.json format).

A set is a folder of photos of one person: calibrate on the photos it
lists, then judge every labelled photo on its own against that calibration,
with a fresh posture monitor (no smoothing across photos). Two older sets
carry their labels in their names (MANIFEST.md), so `manifest_sets` writes
them out in the same form. Scoring is pure; only `estimate_set` runs the
pose model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.core import profile as profiles
from monitor.core.metrics import View
from monitor.core.posture import PostureMonitor, Rule
from monitor.core.presence import PresenceClassifier, SeatedReference
from monitor.core.sample import PoseSample
from monitor.core.values import PostureState
from monitor.devtools.evaluate import Score
from monitor.errors import LabelsError, ProfileError
from monitor.settings import Settings

Rules = dict[View, tuple[Rule, ...]]


@dataclass(frozen=True)
class Photo:
    file: str  # relative to the set's folder
    posture: str  # good | drift
    presence: str = "seated"
    kind: str = ""


@dataclass(frozen=True)
class StillSet:
    folder: str  # relative to the data folder
    calibrate: tuple[str, ...]
    photos: tuple[Photo, ...]

    @property
    def files(self) -> list[str]:
        """Every photo the set needs estimated, calibration first."""
        return list(dict.fromkeys([*self.calibrate, *(p.file for p in self.photos)]))


def person(name: str) -> str:
    """Who a clip or set shows: its file or folder name up to the first '_'
    ("side/jonz21_office_chair.mp4" -> "jonz21", "stills/ekamn_front/A1" -> "ekamn")."""
    parts = Path(name).parts
    return Path(parts[1] if len(parts) > 1 else parts[0]).stem.split("_")[0]


def load_sets(path: Path) -> list[StillSet]:
    """The sets of a stills labels file; LabelsError if unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [_set(entry) for entry in data["sets"]]
    except FileNotFoundError:
        raise LabelsError(f"stills labels file not found: {path}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LabelsError(f"cannot read stills labels {path}: {exc!r}") from None


def _set(entry: dict[str, Any]) -> StillSet:
    photos = tuple(
        Photo(p["file"], p["posture"], p.get("presence", "seated"), p.get("kind", ""))
        for p in entry["photos"]
    )
    return StillSet(entry["folder"], tuple(entry["calibrate"]), photos)


def all_sets(data: Path, labels: Path | None = None) -> list[StillSet]:
    """The sets of `labels` (default: data/stills_labels.json, if there) and
    the sets MANIFEST.md labels by name."""
    path = labels or data / "stills_labels.json"
    found = load_sets(path) if labels is not None or path.exists() else []
    return found + manifest_sets(data)


def manifest_sets(data: Path) -> list[StillSet]:
    """nvinayvarma and vincent_neck_pose as sets, labelled as MANIFEST.md says.

    nvinayvarma: calibrate on straight*, whose three photos are also judged
    (the set has no other upright photo; the test of good is in-sample there);
    hunchback* and recline* are drift; kneeling* is no seated posture and is
    left out. vincent_neck_pose: calibrate on case4 (upright); case3 and case5
    (acceptable) are good, case1, case2 (head forward/down) and case6 (worst
    extension) drift.
    """
    sets = []
    nv = data / "stills/nvinayvarma"
    if nv.is_dir():
        names = sorted(p.name for p in nv.iterdir() if p.suffix.lower() == ".jpg")
        straight = tuple(n for n in names if n.startswith("straight"))
        label = {"straight": "good", "hunchback": "drift", "recline": "drift"}
        photos = tuple(
            Photo(n, label[n.split("_")[0].split(".")[0]], kind=n.split("_")[0].split(".")[0])
            for n in names
            if n.split("_")[0].split(".")[0] in label
        )
        sets.append(StillSet("stills/nvinayvarma", straight, photos))
    vincent = data / "stills/vincent_neck_pose"
    if vincent.is_dir():
        def files(case: int) -> list[str]:
            return sorted(f"case{case}/{p.name}" for p in (vincent / f"case{case}").glob("*.jpg"))

        grade = {1: "drift", 2: "drift", 3: "good", 5: "good", 6: "drift"}
        photos = tuple(
            Photo(f, posture, kind=f"case{case}")
            for case, posture in grade.items()
            for f in files(case)
        )
        sets.append(StillSet("stills/vincent_neck_pose", tuple(files(4)), photos))
    return sets


@dataclass
class SetResult:
    presence: Score = field(default_factory=Score)
    posture: Score = field(default_factory=Score)
    judged: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    note: str = ""


def score_set(
    still_set: StillSet,
    samples: dict[str, PoseSample],
    settings: Settings,
    rules: Rules | None = None,
) -> SetResult:
    """Calibrate on the set's calibration photos and judge each labelled photo alone.

    A set whose calibration fails is judged without a profile (every posture
    unknown, so scored wrong), with the reason in `note`.
    """
    result = SetResult()
    calibration = [samples[f] for f in still_set.calibrate]
    try:
        profile: profiles.Profile | None = profiles.build(
            calibration, Path(still_set.folder).name, min_samples=min(2, len(calibration))
        )
    except ProfileError as exc:
        profile, result.note = None, str(exc)
    for photo in still_set.photos:
        sample = samples[photo.file]
        presence = PresenceClassifier(
            settings.presence.smooth_s,
            None if profile is None else SeatedReference(*profile.seated),
            settings.presence.min_visibility,
        ).step(sample)
        step = PostureMonitor(settings.posture, profile, rules).step(sample, seated=True)
        result.presence.add(photo.presence, presence.value)
        result.posture.add(photo.posture, step.state.value)
        result.judged[photo.file] = (step.state.value, step.issues)
    return result


def drift(result: SetResult) -> int:
    return sum(1 for state, _ in result.judged.values() if state == PostureState.DRIFT.value)


def estimate_set(still_set: StillSet, data: Path, model: Path) -> dict[str, PoseSample]:
    """The pose of every photo of the set, by file name (runs the pose model)."""
    import cv2

    from monitor.capture.pose import PoseEstimator

    out: dict[str, PoseSample] = {}
    with PoseEstimator(model, stills=True, mirrored=False) as estimator:
        for i, name in enumerate(still_set.files):
            path = data / still_set.folder / name
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise LabelsError(f"cannot read {path} as an image")
            out[name] = estimator.estimate(float(i), image)
    return out
