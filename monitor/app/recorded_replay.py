"""A replay recorded into the database, as a session of its own (`replay --db`).

Recording a replay is recording like `run`: the caller holds the database's
lock, and the session is dated so that it overlaps nothing already there,
or it would be counted twice in the report.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from monitor.app import replay
from monitor.app.replay import Estimated
from monitor.capture.sources import open_source
from monitor.core import metrics
from monitor.core.profile import Profile
from monitor.errors import MonitorError
from monitor.report.timeline import Timeline
from monitor.settings import Settings
from monitor.storage.database import database_path
from monitor.storage.recorder import Recorder
from monitor.storage.store import Store

log = logging.getLogger(__name__)


def start_of(db: Path | None, store: Store, start: float | None, duration_s: float) -> float:
    """When a replay of `duration_s` recorded into `store` starts.

    `start`, or now, or after what the database already has if later
    (replays in a row). Refused if the database has any of that stretch: it
    would be counted twice in the report.
    """

    def stamp(t: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))

    started_at = start
    if started_at is None:
        span = store.span()
        started_at = max(time.time(), span[1] if span else 0.0)
    if store.recorded_within(started_at, started_at + duration_s):
        raise MonitorError(
            f"{db} already has monitoring recorded between {stamp(started_at)} and "
            f"{stamp(started_at + duration_s)} (a replay recorded before?); "
            "choose another --start, or another --db"
        )
    return started_at


def refuse_early(video: str, db: Path | None, start: float | None) -> None:
    """`start_of`'s refusal before the slow analysis, on the length the video claims.

    The exact check follows the analysis (a truncated file claims more than it holds).
    """
    if not database_path(db).exists():
        return  # nothing recorded there yet, and nothing is made before the analysis
    source = open_source(video)
    try:
        claimed_s = float(getattr(source, "duration_s", 0.0))  # a camera claims none
    finally:
        source.close()
    with Store.open(db, create=False) as store:
        start_of(db, store, start, claimed_s)


def record(
    estimated: Estimated,
    settings: Settings,
    profile: Profile | None,
    *,
    db: Path | None,
    start: float | None,
    model: str,
    calibrated_at: float | None,
) -> Timeline:
    """Track the estimated samples into a new session of the database at `db`.

    `calibrated_at`: where in the video the profile was calibrated (recorded as
    a calibration), or None when it is a saved profile.
    """
    with Store.open(db) as store:
        started_at = start_of(db, store, start, estimated.duration_s)
        if profile is not None and calibrated_at is not None:
            store.add_calibration(started_at + calibrated_at, profile)
        recorder = Recorder(
            store, source=estimated.source, model=model, settings=settings,
            started_at=started_at, profile=profile.name if profile else None,
        )  # fmt: skip
        timeline = replay.track(
            estimated, settings, profile,
            on_step=lambda step, sample: recorder.add(step, metrics.hips_visible(sample)),
            on_finish=recorder.close,
        )  # fmt: skip
    if recorder.failed:
        log.warning(recorder.failed)
    return timeline
