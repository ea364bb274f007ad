"""Sitting counted end to end: real frames through `replay`, bouts, breaks and alerts.

The sitting state machine's own tests are in tests/core/test_sitting.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from conftest import DATA, cli_env, run_cli


@pytest.fixture(scope="module")
def sit_stand_sit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve stills a second apart: 4 seated, 4 standing, 4 seated.

    Frames of the real sit-to-stand recording (frame 6 seated, frame 33
    standing), halved in size, written to a temporary folder (never the repo).
    """
    folder = tmp_path_factory.mktemp("sit_stand_sit")
    capture = cv2.VideoCapture(str(DATA / "sitstand" / "frailty_chair_stands.mp4"))
    frames = {}
    try:
        for index in range(34):
            ok, image = capture.read()
            assert ok
            if index in (6, 33):
                frames[index] = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2))
    finally:
        capture.release()
    for k, index in enumerate([6] * 4 + [33] * 4 + [6] * 4):
        cv2.imwrite(str(folder / f"{k:02d}.jpg"), frames[index])
    return folder


def test_replay_json_has_presence_bouts_breaks_and_alerts(sit_stand_sit, tmp_path):
    out = tmp_path / "timeline.json"
    result = run_cli(
        "replay",
        sit_stand_sit,
        "--set",
        "sitting.ignore_shorter_s=1",
        "--set",
        "sitting.min_break_s=2",
        "--set",
        "alerts.break_after_s=0.5",
        "--json",
        out,
        env=cli_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    timeline = json.loads(out.read_text())
    assert [s["presence"] for s in timeline["samples"]] == ["seated"] * 4 + ["standing"] * 4 + [
        "seated"
    ] * 4
    assert timeline["bouts"] == [{"start": 0.0, "end": 4.0}, {"start": 8.0, "end": 12.0}]
    assert timeline["breaks"] == [{"start": 4.0, "end": 8.0}]
    assert [(a["t"], a["kind"]) for a in timeline["alerts"]] == [(1.0, "break"), (9.0, "break")]
    assert all("Stand up" in a["detail"] for a in timeline["alerts"])
    assert "sitting bouts: 2" in result.stdout and "breaks: 1" in result.stdout
