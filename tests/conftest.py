"""Shared fixtures: where the real recordings and the models are, and cached replays.

The recordings live beside the repository in `../shared/data` (never copied
into it); the pose models are committed in `models/`. Running the pose model
over a clip is the expensive part of most tests, so `estimated(clip, fps)`
caches each (clip, rate) for the whole session: tests that look at the same
replay share one model run.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = REPO / "models"
FULL_MODEL = MODELS / "pose_landmarker_full.task"
LITE_MODEL = MODELS / "pose_landmarker_lite.task"


def clip(name: str) -> Path:
    """A recording by its path under `shared/data`, e.g. "side/jonz21_office_chair.mp4"."""
    path = DATA / name
    assert path.is_file(), f"missing recording {path} (see shared/data/MANIFEST.md)"
    return path


@functools.cache
def estimated(name: str, fps: float | None = 5.0, model: str | None = None):
    """Pose samples of a recording, computed once per session.

    `name` is a path under `shared/data` (a video, or a folder of stills);
    `fps` the analysis rate (None or 0: every frame); `model` a variant or
    path (default: the bundled full model). Returns `monitor.app.replay.Estimated`
    (source, duration_s, samples). Treat it as read-only: it is shared.
    """
    from monitor.app import replay
    from monitor.capture import models

    path = DATA / name
    assert path.exists(), f"missing recording {path} (see shared/data/MANIFEST.md)"
    return replay.estimate_video(str(path), models.resolve(model or "full"), fps or None)


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment for a CLI subprocess whose user folders all sit in tmp_path."""
    env = dict(os.environ)
    env.pop("POSTURE_MONITOR_MODEL", None)
    env.pop("POSTURE_MONITOR_NATIVE_LOGS", None)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env[var] = str(tmp_path / var.lower())
    env.update(extra)
    return env


def run_cli(
    *args: str | Path, env: dict[str, str], timeout: float = 120, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """`python -m monitor ARGS` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


# The day `recorded_day` fills, as the report names it.
DAY = "2026-03-02"


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """The command failed with status 1 and one line of error holding `words`."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("posture-monitor: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def recorded_day(db: Path) -> None:
    """Two minutes seated in good posture on DAY at 09:00 UTC, recorded into `db`."""
    import dataclasses
    from datetime import datetime, timezone

    from monitor.settings import DEFAULTS
    from monitor.storage.store import Store

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc).timestamp()
    with Store.open(db) as store:
        sid = store.start_session(t0, "camera 0", "full", None, dataclasses.asdict(DEFAULTS))
        rows = [(sid, t0 + i, 1.0, "seated", "good", 1.0, 0, 0, 0, 1.0, 0, "{}", 1.0, "{}")
                for i in range(120)]  # fmt: skip
        batch = {"samples": rows, "bouts": [(sid, t0, t0 + 120)], "breaks": [], "alerts": [],
                 "heeds": []}  # fmt: skip
        store.write(sid, batch, None, replace_open=False)
        store.stop_session(sid, t0 + 120)


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real home's config, data or model choice."""
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.delenv("POSTURE_MONITOR_MODEL", raising=False)


@pytest.fixture(scope="session")
def short_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s, 20 fps, 640x480 video (60 frames) cut from a real webcam recording.

    Written to a temporary folder for tests that need a whole pipeline run in
    a second or two; it never enters the repository.
    """
    import cv2

    path = tmp_path_factory.mktemp("video") / "short.mp4"
    capture = cv2.VideoCapture(str(clip("front/deepa_interview.mp4")))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 20.0, (640, 480))
    try:
        for _ in range(60):
            ok, image = capture.read()
            assert ok
            writer.write(image)
    finally:
        writer.release()
        capture.release()
    return path
