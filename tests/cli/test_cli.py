"""The command line as a user runs it: `python -m monitor ...` in a subprocess."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, cli_env, clip, run_cli

DEEPA = "front/deepa_interview.mp4"
JONZ = "side/jonz21_office_chair.mp4"

TOP_LEVEL = {
    "source": str,
    "duration_s": float,
    "analysed_frames": int,
    "samples": list,
    "bouts": list,
    "breaks": list,
    "alerts": list,
}


def check_contract(timeline: dict) -> None:
    """The replay timeline has exactly the documented fields, types and values."""
    assert set(timeline) == set(TOP_LEVEL)
    for key, kind in TOP_LEVEL.items():
        assert type(timeline[key]) is kind, (key, timeline[key])
    assert timeline["analysed_frames"] == len(timeline["samples"])
    previous = -1.0
    for sample in timeline["samples"]:
        assert set(sample) == {"t", "presence", "posture", "issues", "metrics"}
        assert isinstance(sample["t"], float)
        assert previous < sample["t"] <= timeline["duration_s"]
        previous = sample["t"]
        assert sample["presence"] in {"seated", "standing", "away", "unknown"}
        assert sample["posture"] in {"good", "drift", "unknown"}
        assert all(isinstance(issue, str) for issue in sample["issues"])
        assert all(isinstance(k, str) for k in sample["metrics"])
        assert all(isinstance(v, float) and math.isfinite(v) for v in sample["metrics"].values()), (
            sample["metrics"]
        )
    for span in timeline["bouts"] + timeline["breaks"]:
        assert set(span) == {"start", "end"}
        assert 0 <= span["start"] <= span["end"] <= timeline["duration_s"] + 1e-6
    for alert in timeline["alerts"]:
        assert set(alert) == {"t", "kind", "detail"}
        assert isinstance(alert["t"], float)
        assert alert["kind"] in {"break", "posture"}
        assert isinstance(alert["detail"], str) and alert["detail"]


def replay(tmp_path: Path, video: Path, *options: str, name: str = "out.json"):
    out = tmp_path / name
    result = run_cli("replay", video, *options, "--json", out, env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result, json.loads(out.read_text())


# --- replay ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deepa_twice(tmp_path_factory):
    """Two CLI replays of the same real recording at 2 fps."""
    runs = []
    for i in range(2):
        tmp = tmp_path_factory.mktemp(f"replay{i}")
        result, timeline = replay(tmp, clip(DEEPA), "--fps", "2")
        runs.append((result, timeline, (tmp / "out.json").read_bytes()))
    return runs


def test_replay_writes_the_timeline_contract(deepa_twice):
    _, timeline, _ = deepa_twice[0]
    check_contract(timeline)
    assert timeline["source"] == str(clip(DEEPA))
    assert timeline["duration_s"] == pytest.approx(23.35, abs=0.1)
    assert timeline["analysed_frames"] == 47  # 23.4 s at 2 a second
    assert np.diff([s["t"] for s in timeline["samples"]]) == pytest.approx(np.full(46, 0.5))
    # one woman seated at a laptop throughout
    seated = sum(s["presence"] == "seated" for s in timeline["samples"])
    assert seated >= 0.9 * len(timeline["samples"])
    assert len(timeline["bouts"]) == 1


def test_two_replays_of_a_file_give_identical_json(deepa_twice):
    assert deepa_twice[0][2] == deepa_twice[1][2]


def test_replay_prints_the_summary_on_stdout_and_no_progress_into_a_pipe(deepa_twice):
    result = deepa_twice[0][0]
    lines = result.stdout.splitlines()
    assert lines[0] == f"{clip(DEEPA)}: 23.4 s, 47 frames analysed"
    assert lines[1].startswith("  presence: seated ")
    assert lines[2].startswith("  posture: good ")
    assert lines[3].startswith("  sitting bouts: 1 ")
    assert lines[4].startswith("wrote ") and lines[4].endswith(".json")
    assert "replay [" not in result.stdout
    assert "replay [" not in result.stderr and "\r" not in result.stderr  # a pipe: no bar
    # no --profile and no --calibrate: says so instead of a silent "unknown"
    assert result.stderr.splitlines()[-1].startswith(
        "posture-monitor: note: posture is not judged without a baseline: add --profile NAME"
    )


def test_fps_0_analyses_every_frame_and_fps_5_five_a_second(short_video, tmp_path):
    _, every = replay(tmp_path, short_video, "--fps", "0", name="every.json")
    _, five = replay(tmp_path, short_video, "--fps", "5", name="five.json")
    check_contract(every)
    check_contract(five)
    assert every["analysed_frames"] == 60
    assert np.diff([s["t"] for s in every["samples"]]) == pytest.approx(np.full(59, 0.05))
    assert five["analysed_frames"] == 15  # 3 s at 5 a second
    assert [s["t"] for s in five["samples"]] == pytest.approx([i / 5 for i in range(15)])
    assert every["duration_s"] == five["duration_s"] == pytest.approx(3.0)


def test_replay_of_a_truncated_video_analyses_what_is_left(tmp_path):
    data = clip(JONZ).read_bytes()
    damaged = tmp_path / "jonz_first40.mp4"
    damaged.write_bytes(data[: len(data) * 4 // 10])
    result, timeline = replay(tmp_path, damaged, "--fps", "2")
    check_contract(timeline)
    assert timeline["analysed_frames"] == 13  # 0 .. 6 s of the 17.6 s
    assert timeline["duration_s"] == pytest.approx(6.43, abs=0.1)
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1
    assert "truncated or damaged" in warnings[0]


def test_a_stretch_already_recorded_is_refused_before_the_analysis(short_video, tmp_path):
    env = cli_env(tmp_path)
    db = tmp_path / "m.db"
    first = run_cli("replay", short_video, "--db", db, "--start", "2026-10-23T09:00:00", env=env)
    assert first.returncode == 0, first.stderr

    def replay_patched(patch: str, start: str) -> subprocess.CompletedProcess[str]:
        code = (
            f"import sys; from monitor import cli; from monitor.app import replay; {patch}; "
            "sys.exit(cli.main(sys.argv[1:]))"
        )
        return subprocess.run(
            [sys.executable, "-c", code, "replay", str(short_video), "--db", str(db),
             "--start", start],
            capture_output=True, text=True, env=env, cwd=REPO,
        )  # fmt: skip

    # The pose model is never reached: the length the video claims decides.
    no_analysis = "replay.analyse = lambda *args, **kwargs: sys.exit(99)"
    early = replay_patched(no_analysis, "2026-10-23T09:00:02")
    assert (early.returncode, early.stdout) == (1, ""), early.stderr
    assert early.stderr == (
        f"posture-monitor: error: {db} already has monitoring recorded between "
        "2026-10-23 09:00:02 and 2026-10-23 09:00:05 (a replay recorded before?); "
        "choose another --start, or another --db\n"
    )
    # Without the early check, the exact one after the analysis says the same.
    late = replay_patched(
        "from monitor.app import recorded_replay; "
        "recorded_replay.refuse_early = lambda *args: None; real = replay.analyse; "
        "replay.analyse = lambda *a, **k: (print('analysed', file=sys.stderr), real(*a, **k))[1]",
        "2026-10-23T09:00:02",
    )
    assert late.returncode == 1 and late.stderr.splitlines()[-1] == early.stderr.strip()
    assert "analysed" in late.stderr  # it did analyse
    # A stretch the database does not have goes on to the analysis.
    assert replay_patched(no_analysis, "2026-10-23T09:00:10").returncode == 99
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


# --- bad input: one line, status 1, no traceback ----------------------------------------------


def _missing(tmp: Path) -> str:
    return str(tmp / "missing.mp4")


def _text_mp4(tmp: Path) -> str:
    (tmp / "notes.mp4").write_text("not a video\n")
    return str(tmp / "notes.mp4")


def _random_mp4(tmp: Path) -> str:
    (tmp / "noise.mp4").write_bytes(np.random.default_rng(1).bytes(100_000))
    return str(tmp / "noise.mp4")


def _empty_folder(tmp: Path) -> str:
    (tmp / "empty").mkdir()
    return str(tmp / "empty")


def _camera_7(tmp: Path) -> str:
    return "7"


BAD_SOURCES = [
    ("missing video", _missing, "video not found: "),
    ("text file named .mp4", _text_mp4, "cannot open "),
    ("random bytes named .mp4", _random_mp4, "cannot open "),
    ("empty image folder", _empty_folder, "no images found at "),
    ("camera that does not exist", _camera_7, "camera 7 does not exist (cameras available: "),
]


@pytest.mark.parametrize(("what", "make", "words"), BAD_SOURCES, ids=[c[0] for c in BAD_SOURCES])
def test_bad_input_is_a_one_line_error(tmp_path, what, make, words):
    result = run_cli("replay", make(tmp_path), env=cli_env(tmp_path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"posture-monitor: error: {words}")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--model", "/nowhere/pose.task"], "model file not found: /nowhere/pose.task"),
        (["--model", "heavy"], "the 'heavy' pose model is not installed"),
        (["--profile", "nobody"], "nobody"),
    ],
    ids=["missing model", "variant not installed", "missing profile"],
)
def test_bad_options_are_one_line_errors(tmp_path, args, words):
    result = run_cli("replay", clip(DEEPA), *args, env=cli_env(tmp_path))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("posture-monitor: error: ")
    assert words in result.stderr


# --- bench ---------------------------------------------------------------------------------


def test_bench_reports_each_stage_and_the_overhead(short_video, tmp_path):
    out = tmp_path / "bench.json"
    result = run_cli(
        "bench", short_video, "--repeat", "1", "--fps", "5", "--json", out, env=cli_env(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # MediaPipe's start-up chatter stays quiet
    text = result.stdout
    for stage in ("decode", "colour", "inference", "rest"):
        assert f"  {stage}_ms " in text
    assert "bare_inference_ms" in text
    assert "overhead vs bare" in text
    assert "15 frames, 1 runs" in text.splitlines()[0]

    report = json.loads(out.read_text())
    assert report["repeat"] == 1
    assert report["fps"] == 5
    figures = report["figures"]
    for key in ("decode_ms", "colour_ms", "inference_ms", "rest_ms", "pipeline_ms"):
        assert set(figures[key]) == {"min", "median", "max"}
        assert 0 <= figures[key]["min"] <= figures[key]["median"] <= figures[key]["max"]
    assert figures["frames"]["median"] == 15
    assert figures["inference_ms"]["median"] > 1  # a real model ran
    stages = sum(figures[f"{s}_ms"]["median"] for s in ("decode", "colour", "inference", "rest"))
    assert stages <= figures["pipeline_ms"]["median"] * 1.01


def test_matplotlibs_font_cache_notice_stays_out_of_the_terminal(tmp_path):
    # mediapipe imports matplotlib, which on its first import warns (after
    # 5 s, so only on a slow machine) that it is building its font cache.
    notice = "Matplotlib is building the font cache; this may take a moment."
    code = (
        "import logging, sys; from monitor import cli; cli.main(sys.argv[1:]); "
        f"logging.getLogger('matplotlib.font_manager').warning({notice!r}); "
        "logging.getLogger('monitor').warning('ours')"
    )
    for verbose, shown in (([], False), (["--verbose"], True)):
        result = subprocess.run(
            [sys.executable, "-c", code, *verbose, "config"],
            capture_output=True, text=True, env=cli_env(tmp_path), cwd=REPO,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert (notice in result.stderr) is shown
        assert "ours" in result.stderr  # our own warnings still show


def test_a_replay_whose_calibration_fails_records_no_calibration(tmp_path):
    env = cli_env(tmp_path)
    saved = run_cli(
        "calibrate", "--source", clip(DEEPA), "--start", "0.8", "--seconds", "3",
        "--countdown", "0", "--profile", "desk", "--db", tmp_path / "cal.db", env=env,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    db = tmp_path / "replay.db"
    for span, recorded in (("90:95", 0), ("0.8:3.8", 1)):  # beyond the clip, then inside it
        result = run_cli(
            "replay", clip(DEEPA), "--profile", "desk", "--calibrate", span, "--db", db, env=env
        )
        assert result.returncode == 0, result.stderr
        assert ("calibration failed" in result.stderr) is (recorded == 0)
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM calibrations").fetchone()[0] == recorded


# --- report and data: readers of the database -----------------------------------------------


def test_a_mistyped_db_is_not_created_and_a_recorded_one_still_reports(tmp_path):
    env = cli_env(tmp_path)
    typo = tmp_path / "monitr.db"
    for args in (["report"], ["data", "export", "--out", tmp_path / "out"],
                 ["data", "forget", "--before", "today"]):  # fmt: skip
        result = run_cli(*args, "--db", typo, env=env)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert result.stderr == (
            f"posture-monitor: error: no database at {typo}: nothing recorded there yet "
            "(`posture-monitor run` records to it)\n"
        )
    assert not typo.exists() and not (tmp_path / "out").exists()
    from monitor.storage.store import Store

    Store.open(tmp_path / "m.db").close()  # a database that exists, if empty, is reported
    result = run_cli("report", "--db", tmp_path / "m.db", env=env)
    assert result.returncode == 0 and "no monitoring recorded" in result.stdout, result.stderr


@pytest.mark.parametrize("action", ["export", "forget"])
def test_data_without_its_required_option_is_a_usage_error(tmp_path, action):
    result = run_cli("data", action, "--db", tmp_path / "m.db", env=cli_env(tmp_path))
    assert result.returncode == 2
    option = {"export": "--out DIR|FILE.csv", "forget": "--before DATE"}[action]
    assert result.stderr.startswith("posture-monitor: error: the following arguments are ")
    assert option in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "m.db").exists()
