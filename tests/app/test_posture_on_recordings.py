"""Posture on real recordings, end to end: the pose model, calibration and the
command line (the pure rules and metrics are tested in tests/core)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import REPO, cli_env, clip, estimated, run_cli
from poses import at, calibration

from monitor.core import metrics
from monitor.core import profile as P
from monitor.core.metrics import View
from monitor.core.posture import PostureMonitor
from monitor.core.values import PostureState
from monitor.errors import ProfileError
from monitor.settings import DEFAULTS
from monitor.storage import profiles as profile_files

EXAMPLES = REPO / "calibration"
JONZ21 = "side/jonz21_office_chair.mp4"

REAL_CALIBRATIONS = {
    "jonz21 1.6-5.2": ("side/jonz21_office_chair.mp4", 5.0, 1.6, 5.2),
    "joylinwq 19-26": ("side/joylinwq_slump_to_upright.mp4", 5.0, 19.0, 26.0),
    "deepa 0.8-4.5": ("front/deepa_interview.mp4", 5.0, 0.8, 4.5),
    "nvinayvarma straight stills": ("stills/nvinayvarma", None, 0.0, 2.0),
    "vincent case4 stills": ("stills/vincent_neck_pose/case4", None, 0.0, 99.0),
}


def _stretch(name: str, fps: float | None, start: float, end: float) -> list:
    samples = estimated(name, fps).samples
    if name == "stills/nvinayvarma":  # the straight*.jpg photos, the first three by name
        files = sorted(p.name for p in Path(estimated(name, fps).source).iterdir())
        return [s for f, s in zip(files, samples, strict=True) if f.startswith("straight")]
    return [s for s in samples if start <= s.t_s <= end]


@pytest.mark.parametrize("case", REAL_CALIBRATIONS.values(), ids=REAL_CALIBRATIONS)
def test_real_calibrations_pass_with_spreads_within_the_limits(case):
    profile = P.build(_stretch(*case), "real")
    for metric, limit in P.MAX_SPREAD.items():
        if metric in profile.baseline:
            assert profile.baseline[metric].std <= limit * 0.6, metric  # with room to spare


def test_sitting_down_and_standing_up_is_not_a_calibration():
    """Five sit-to-stand cycles (exploratory test): the head is steady enough for
    the nose's wander check, but the hip angle spreads 44°, so enter_z (2.5)
    spreads would be 110° and no slouch would ever be flagged."""
    samples = _stretch("sitstand/frailty_chair_stands.mp4", 5.0, 0.0, 5.0)
    with pytest.raises(ProfileError, match=r"\(trunk_thigh_deg spread 4\d\.?\d*, more than 12"):
        P.build(samples, "x")


def test_the_cli_advice_for_a_bad_named_profile(tmp_path):
    """`replay --profile bad2` on a profile whose camera section is text (the user's report)."""
    env = cli_env(tmp_path)
    folder = Path(env["XDG_DATA_HOME"]) / "posture-monitor" / "profiles"
    folder.mkdir(parents=True)
    data = P.build(calibration(), "home").to_json()
    data["camera"] = "x"
    (folder / "bad2.json").write_text(json.dumps(data))
    result = run_cli("replay", clip("side/jonz21_office_chair.mp4"), "--profile", "bad2",
                     env=env)  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"posture-monitor: error: profile {folder / 'bad2.json'} is not a valid calibration "
        "profile: 'camera' should be an object ({...}), got the text 'x'; recalibrate with "
        "'posture-monitor calibrate --profile bad2'"
    )


def test_run_refuses_a_profile_of_the_other_mirroring_and_records_nothing(tmp_path):
    """The default profile, calibrated unmirrored; then `run` with the camera mirrored."""
    env = cli_env(tmp_path)
    folder = Path(env["XDG_DATA_HOME"]) / "posture-monitor" / "profiles"
    folder.mkdir(parents=True)
    (folder / "default.json").write_text(json.dumps(P.build(calibration(), "home").to_json()))
    db = tmp_path / "m.db"
    result = run_cli("run", "--source", clip("front/gaze_analyser.mov"), "--db", db,
                     "--set", "camera.mirrored=true", env=env, timeout=60)  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"posture-monitor: error: profile {folder / 'default.json'} was calibrated with "
        "camera.mirrored = false but camera.mirrored is true now: left and right would be "
        "swapped and upright would read as a lean; recalibrate with 'posture-monitor "
        "calibrate' (camera.mirrored = true), or set camera.mirrored back to false"
    )
    assert result.stdout == ""
    assert not db.exists() and list(tmp_path.glob("m.db*")) == []


def test_examples_judge_the_photos_they_came_from():
    """The example side profile sees slouch in the hunchback photos; the
    front one sees the case1 head poke."""
    side = profile_files.load(str(EXAMPLES / "example_side.json"))
    front = profile_files.load(str(EXAMPLES / "example_front.json"))
    files = sorted(p.name for p in Path(estimated("stills/nvinayvarma", None).source).iterdir())
    judged = {
        name: PostureMonitor(DEFAULTS.posture, side).step(sample, seated=True)
        for name, sample in zip(files, estimated("stills/nvinayvarma", None).samples, strict=True)
    }
    for name, step in judged.items():
        if name.startswith("hunchback"):
            assert "slump" in step.issues, name
        if name.startswith("straight"):
            assert step.state is PostureState.GOOD, name
    for sample in estimated("stills/vincent_neck_pose/case1", None).samples:
        step = PostureMonitor(DEFAULTS.posture, front).step(at(sample, 0.0), seated=True)
        assert step.state is PostureState.DRIFT


def _postures(timeline, start, end):
    return [s for s in timeline["samples"] if start <= s["t"] <= end]


def test_replay_calibrate_fills_posture_issues_and_metrics(tmp_path):
    out = tmp_path / "timeline.json"
    result = run_cli(
        "replay", clip(JONZ21), "--calibrate", "1.6:5.2", "--json", out, env=cli_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    timeline = json.loads(out.read_text())
    assert timeline["profile"]["view"] == "side"
    for sample in timeline["samples"]:
        assert sample["posture"] in ("good", "drift", "unknown")
        assert isinstance(sample["issues"], list) and isinstance(sample["metrics"], dict)
        assert (sample["posture"] == "drift") == bool(sample["issues"])
        if sample["presence"] == "seated":
            assert {"trunk_incl_deg", "neck_incl_deg"} <= set(sample["metrics"])
    calm = _postures(timeline, 1.6, 5.2)
    assert all(s["posture"] == "good" for s in calm)
    slouched = _postures(timeline, 6.5, 8.0)
    assert slouched and all("slump" in s["issues"] for s in slouched)


def test_calibrate_command_saves_a_profile_that_replay_uses(tmp_path):
    env = cli_env(tmp_path)
    result = run_cli(
        "calibrate",
        "--source",
        clip(JONZ21),
        "--start",
        "1.6",
        "--seconds",
        "3.6",
        "--profile",
        "office",
        "--countdown",
        "0",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "saved profile 'office' (side view" in result.stdout
    path = tmp_path / "xdg_data_home" / "posture-monitor" / "profiles" / "office.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["version"] == 1 and saved["view"] == "side" and saved["samples"] >= 9
    # He sits back at first and leans forward from 4 s: the stretch walks, so
    # the calibration keeps its steadier half and says so.
    assert "note: trunk_incl_deg moved" in result.stdout and "half" in saved["note"]

    out = tmp_path / "timeline.json"
    result = run_cli("replay", clip(JONZ21), "--profile", "office", "--json", out, env=env)
    assert result.returncode == 0, result.stderr
    timeline = json.loads(out.read_text())
    assert timeline["profile"] == {"name": "office", "view": "side"}
    kept = (2.5, 3.5) if "first half" in saved["note"] else (4.5, 5.2)
    assert all(s["posture"] == "good" for s in _postures(timeline, *kept))
    slouched = _postures(timeline, 6.5, 8.0)
    assert slouched and all("slump" in s["issues"] for s in slouched)


def test_detect_view_on_real_stills():
    side = estimated("stills/nvinayvarma", None).samples
    front = [
        s
        for case in range(1, 7)
        for s in estimated(f"stills/vincent_neck_pose/case{case}", None).samples
    ]
    assert len(side) == 13 and len(front) == 36
    assert [metrics.detect_view(s) for s in side] == [View.SIDE] * 13
    assert [metrics.detect_view(s) for s in front] == [View.FRONT] * 36
