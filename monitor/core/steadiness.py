"""Calibration statistics: a baseline's spread, and whether the stretch walked.

Pure (numpy and the standard library): the samples' metrics in, figures or
a ProfileError out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.core import metrics
from monitor.core.metrics import View
from monitor.core.sample import PoseSample
from monitor.errors import ProfileError

# A calibration that walks: the user settled into another posture half-way,
# so the median of the stretch is neither. A metric walks when the medians
# of the stretch's first and last thirds differ by this much (half the
# drift threshold of its main rule) and by more than WALK_Z times the
# spread within them (jitter is not a walk). Judged only on stretches of
# WALK_MIN_SAMPLES frames or more (stills calibrations have a few photos).
WALK = {
    "trunk_incl_deg": 5.0,
    "trunk_thigh_deg": 5.0,
    "head_rise": 0.1,
    "head_level": 0.1,
    "head_height": 0.06,
    "face_size": 0.035,
    "head_pitch": 0.06,
    "shoulder_tilt_deg": 3.5,
}
WALK_Z = 2.0
WALK_MIN_SAMPLES = 9


def robust_std(values: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation (outlier-proof)."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def walked(table: dict[str, list[float]]) -> tuple[str, float] | None:
    """The metric that walked most during a stretch (see WALK) and by how much, or None."""
    worst: tuple[str, float] | None = None
    for key, limit in WALK.items():
        values = np.array(table.get(key, []))
        if len(values) < WALK_MIN_SAMPLES:
            continue
        third = len(values) // 3
        first, last = values[:third], values[-third:]
        shift = abs(float(np.median(last) - np.median(first)))
        jitter = max(robust_std(first), robust_std(last))
        walks = shift >= limit and shift > WALK_Z * jitter
        if walks and (worst is None or shift / limit > worst[1] / WALK[worst[0]]):
            worst = (key, shift)
    return worst


def metric_table(
    present: Sequence[PoseSample], view: View, seated: tuple[float, float]
) -> dict[str, list[float]]:
    table: dict[str, list[float]] = {}
    for s in present:
        for key, value in metrics.compute(s, view, seated)[1].items():
            table.setdefault(key, []).append(value)
    return table


def steadiest(
    present: Sequence[PoseSample], view: View, seated: tuple[float, float], min_samples: int = 3
) -> tuple[list[PoseSample], str]:
    """The samples to calibrate on, and a note if that is not all of them.

    When a metric walks during the stretch (the user settled into another
    posture half-way), the half in which nothing walks and the metrics
    spread least is kept, and the note says which half and why; if neither
    half is steady, ProfileError names the metric.
    """
    samples = list(present)
    moved = walked(metric_table(samples, view, seated))
    if moved is None:
        return samples, ""
    key, shift = moved
    half = len(samples) // 2
    halves = {"first": samples[:half], "last": samples[-half:]}
    steady = {}
    for which, part in halves.items():
        table = metric_table(part, view, seated)
        if len(part) >= min_samples and walked(table) is None:
            steady[which] = sum(
                robust_std(np.array(table[k])) / limit
                for k, limit in WALK.items() if len(table.get(k, [])) >= min_samples
            )
    if not steady:
        raise ProfileError(
            f"your posture changed during calibration ({key} moved {shift:.2g} from the "
            "start of the stretch to its end, and settled in neither half): sit still, "
            "supported and upright, and try again"
        )
    which = min(steady, key=steady.__getitem__)
    note = (
        f"{key} moved {shift:.2g} during the calibration (a change of posture, not "
        f"jitter): calibrated on its {which} half, the steadier one"
    )
    return halves[which], note
