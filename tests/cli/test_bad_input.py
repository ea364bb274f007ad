"""Every bad input, through the real command line: one line, a non-zero status, no traceback.

Each case builds its input in its own folder and gives the arguments; all cases
run at once (a subprocess each) in a module fixture, and each test then checks
its answer: status != 0, exactly one line on stderr starting with
`posture-monitor: error:` and naming what was wrong, and, where something was
recorded before, that it is still there, byte for byte.

The source, model, profile and database cases already in test_cli.py,
test_models.py, test_store.py and test_report_replay.py are not repeated here.
Unreadable files: the tests run as root, for whom `chmod 000` changes nothing,
so an unreadable video is a folder given as the video, and a read-only database
is made immutable with `chattr +i`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import LITE_MODEL, REPO, cli_env, clip, run_cli

GAZE = str(clip("front/gaze_analyser.mov"))
PROFILE = {
    "version": 1,
    "name": "home",
    "created": "2026-01-01T00:00:00+00:00",
    "view": "front",
    "samples": 10,
    "camera": {
        "frame_width": 640,
        "frame_height": 480,
        "anchor_x_px": 320.0,
        "anchor_y_px": 300.0,
        "scale_px": 120.0,
        "shoulder_y_px": 250.0,
        "shoulder_width_px": 150.0,
    },
    "baseline": {"neck_flex_deg": {"mean": 10.0, "std": 2.0}},
}


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # builds the input in a folder; the arguments
    words: str  # what the error line must say
    status: int = 1
    after: Callable[[Path], None] | None = None  # checks nothing was lost


def _profile(tmp: Path, text: str) -> str:
    path = tmp / "home.json"
    path.write_text(text)
    return str(path)


def _db(tmp: Path) -> Path:
    """A database with one recorded session in it."""
    from monitor.storage.store import Store

    path = tmp / "m.db"
    with Store.open(path) as store:
        store.start_session(1_790_000_000.0, "camera 0", "full", None, {})
    return path


def _kept(tmp: Path) -> None:
    """The database made by _db still opens and still holds its session."""
    conn = sqlite3.connect(f"file:{tmp / 'm.db'}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (1,)
    finally:
        conn.close()


def _unchanged(name: str) -> Callable[[Path], None]:
    def check(tmp: Path) -> None:
        assert (tmp / name).read_bytes() == (tmp / f"{name}.orig").read_bytes()

    return check


def _with_copy(tmp: Path, name: str, data: bytes) -> Path:
    (tmp / name).write_bytes(data)
    (tmp / f"{name}.orig").write_bytes(data)
    return tmp / name


def _newer_db(tmp: Path) -> list[str]:
    path = _db(tmp)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    (tmp / "m.db.orig").write_bytes(path.read_bytes())
    return ["report", "--db", str(path)]


def _read_only_db(tmp: Path) -> list[str]:
    path = _db(tmp)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    subprocess.run(["chattr", "+i", str(path)], check=True)
    return ["data", "forget", "--before", "2030-01-01", "--db", str(path)]


def _config(tmp: Path, text: str) -> list[str]:
    (tmp / "config.toml").write_text(text)
    return ["config", "--config", str(tmp / "config.toml")]


def _labels(tmp: Path, text: str) -> list[str]:
    (tmp / "labels.json").write_text(text)
    return ["evaluate", "--labels", str(tmp / "labels.json"), "--model", str(LITE_MODEL)]


def _nothing_created(tmp: Path) -> None:
    """A reader given no database made none: the case's folder holds nothing new."""
    assert list(tmp.iterdir()) == [], list(tmp.iterdir())


def _no_db(tmp: Path) -> None:
    assert not (tmp / "m.db").exists()


def _traversal_not_created(tmp: Path) -> None:
    assert not (tmp / "etc").exists() and not (tmp.parent / "etc").exists()


def _foreign_autostart(tmp: Path) -> list[str]:
    entry = tmp / "xdg_config_home" / "autostart" / "posture-monitor.desktop"
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nExec=mine\n")
    return ["autostart", "disable"]


def _foreign_kept(tmp: Path) -> None:
    entry = tmp / "xdg_config_home" / "autostart" / "posture-monitor.desktop"
    assert entry.read_text() == "[Desktop Entry]\nExec=mine\n"


CASES = [
    # --- video and camera (run's paced capture; replay's are in test_cli.py) ---
    Case("run: video missing", lambda t: ["run", "--source", str(t / "gone.mp4")],
         "video not found: "),
    Case("run: video is a folder (unreadable as a file)", lambda t: ["run", "--source", str(t)],
         "is a folder, not a video file"),
    Case("run: text file named .mp4",
         lambda t: ["run", "--source", str(_with_copy(t, "x.mp4", b"no video\n"))],
         "as a video (not a video, or unreadable)", after=_unchanged("x.mp4")),
    Case("run: camera that does not exist", lambda t: ["run", "--source", "7"],
         "camera 7 does not exist"),
    Case("replay: video is a folder of no images", lambda t: ["replay", str(t)],
         "no images found at "),
    # --- profiles ---
    Case("profile: corrupt JSON",
         lambda t: ["replay", GAZE, "--profile", _profile(t, '{"version": 1, "na')],
         "is corrupt"),
    Case("profile: another version",
         lambda t: ["replay", GAZE, "--profile", _profile(t, json.dumps(PROFILE | {"version": 7}))],
         "is a version 7 profile; this monitor reads version 1"),
    Case("profile: a JSON list",
         lambda t: ["replay", GAZE, "--profile", _profile(t, "[1, 2]")],
         "is not a valid calibration profile: not a JSON object"),
    Case("profile: frame width infinite",
         lambda t: ["replay", GAZE, "--profile", _profile(t, json.dumps(PROFILE).replace(
             '"frame_width": 640', '"frame_width": 1e999'))],
         "is not a valid calibration profile"),
    Case("profile: unknown view",
         lambda t: ["replay", GAZE, "--profile",
                    _profile(t, json.dumps(PROFILE | {"view": "top"}))],
         "is not a valid calibration profile"),
    Case("profile: name with path traversal (run)",
         lambda t: ["run", "--source", GAZE, "--profile", "../../etc/x"],
         "profile name '../../etc/x' is not allowed", after=_traversal_not_created),
    Case("profile: name with path traversal (calibrate)",
         lambda t: ["calibrate", "--source", GAZE, "--profile", "../etc/x"],
         "profile name '../etc/x' is not allowed", after=_traversal_not_created),
    Case("profile: name with a space", lambda t: ["replay", GAZE, "--profile", "my home"],
         "profile name 'my home' is not allowed"),
    Case("profile: calibrated mirrored, replayed unmirrored",
         lambda t: ["replay", GAZE, "--db", str(t / "m.db"), "--profile", _profile(
             t, json.dumps(PROFILE | {"camera": PROFILE["camera"] | {"mirrored": True}}))],
         "was calibrated with camera.mirrored = true but camera.mirrored is false now",
         after=_no_db),
    # --- config file and --set ---
    Case("config: unknown key", lambda t: _config(t, "[sitting]\nmin_brake_s = 60\n"),
         "unknown setting 'sitting.min_brake_s'"),
    Case("config: wrong type", lambda t: _config(t, '[alerts]\nbreak_after_s = "soon"\n'),
         "alerts.break_after_s = 'soon': expected a float"),
    Case("config: out of range", lambda t: _config(t, "[sound]\nvolume = 3\n"),
         "sound.volume = 3 is out of range"),
    Case("config: break alert after 0 s", lambda t: _config(t, "[alerts]\nbreak_after_s = 0\n"),
         "alerts.break_after_s = 0 is out of range: expected a float from 0.1 to 86400"),
    Case("--set: snooze of 0 s", lambda t: ["config", "--set", "alerts.snooze_s=0"],
         "alerts.snooze_s = '0' is out of range: expected a float from 1 to 86400"),
    Case("config: not TOML", lambda t: _config(t, "[sitting\n"), "is not valid TOML"),
    Case("config: a folder", lambda t: ["config", "--config", str(t)], "cannot read config file"),
    Case("--set: out of range on run",
         lambda t: ["run", "--source", GAZE, "--set", "sampling.fps=0"],
         "sampling.fps = '0' is out of range"),
    Case("--set: not KEY=VALUE", lambda t: ["config", "--set", "volume"],
         "expected KEY=VALUE"),
    # --- databases (damaged and locked ones are in test_store.py / test_report_replay.py) ---
    Case("database: newer schema", _newer_db, "has schema version 99, newer than",
         after=_unchanged("m.db")),
    Case("database: read-only", _read_only_db, "readonly database", after=_kept),
    Case("database: path is a folder", lambda t: ["report", "--db", str(t)], "is a folder"),
    Case("database: a typo in report --db", lambda t: ["report", "--db", str(t / "typo.db")],
         "typo.db: nothing recorded there yet (`posture-monitor run` records to it)",
         after=_nothing_created),
    Case("database: none yet, data export",
         lambda t: ["data", "export", "--out", str(t / "out")],
         "no database at ", after=_nothing_created),
    Case("database: none yet, data forget", lambda t: ["data", "forget", "--before", "today"],
         "no database at ", after=_nothing_created),
    Case("database: folder cannot be made", lambda t: ["report", "--db", "/proc/x/m.db"],
         "/proc/x/m.db"),
    # --- models (missing and not-a-model files are in test_cli.py / test_models.py) ---
    Case("model: truncated bundle",
         lambda t: ["replay", GAZE, "--model",
                    str(_with_copy(t, "half.task", LITE_MODEL.read_bytes()[:100_000]))],
         "is not a pose model bundle", after=_unchanged("half.task")),
    Case("models download: unknown variant", lambda t: ["models", "download", "huge"],
         "huge"),
    # --- labels for evaluate ---
    Case("evaluate: labels missing", lambda t: ["evaluate", "--labels", str(t / "no.json")],
         "labels file not found"),
    Case("evaluate: labels not JSON", lambda t: _labels(t, "{clips"), "cannot read labels file"),
    Case("evaluate: a profile given as labels",
         lambda t: _labels(t, (REPO / "calibration" / "example_side.json").read_text()),
         'expected {"clips": [...]}'),
    Case("evaluate: segment without times",
         lambda t: _labels(t, '{"clips": [{"file": "a.mp4", "segments": [{"start": "x"}]}]}'),
         "a segment needs numeric start and end"),
    Case("evaluate: clip without labels", lambda t: ["evaluate", "nope.mp4"], "no labels for"),
    # --- dates and options, every command ---
    Case("replay --fps negative", lambda t: ["replay", GAZE, "--fps", "-1"],
         "argument --fps: must be from 0 to 1000", status=2),
    Case("replay --calibrate backwards", lambda t: ["replay", GAZE, "--calibrate", "5:2"],
         "expected START:END with 0 <= START < END", status=2),
    Case("replay --start not a date", lambda t: ["replay", GAZE, "--db", str(t / "m.db"),
                                                 "--start", "2026-02-30T09:00"],
         "expected an ISO date-time", status=2),
    Case("replay --start without --db", lambda t: ["replay", GAZE, "--start", "2026-02-03T09:00"],
         "--start needs --db", status=2),
    Case("calibrate --seconds negative",
         lambda t: ["calibrate", "--source", GAZE, "--seconds", "-3"],
         "--seconds: must be from 1 to 120, got -3: as for posture.calibrate_s", status=2),
    Case("calibrate --start not a number", lambda t: ["calibrate", "--start", "soon"],
         "argument --start", status=2),
    Case("bench --repeat not a number", lambda t: ["bench", GAZE, "--repeat", "x"],
         "argument --repeat", status=2),
    Case("report --date 30 February", lambda t: ["report", "--date", "2026-02-30"],
         "not a date: '2026-02-30'"),
    Case("report --days too many", lambda t: ["report", "--days", "400"],
         "must be from 1 to 366", status=2),
    Case("data: unknown action", lambda t: ["data", "shred"], "invalid choice: 'shred'",
         status=2),
    Case("data forget --before nonsense",
         lambda t: ["data", "forget", "--before", "last week", "--db", str(_db(t))],
         "not a date", after=_kept),
    Case("data export without --out", lambda t: ["data", "export"],
         "required: --out; usage: posture-monitor data export [-h] [--db PATH] --out DIR|FILE.csv",
         status=2),
    Case("data forget without --before", lambda t: ["data", "forget", "--db", str(_db(t))],
         "required: --before; usage: posture-monitor data forget", status=2, after=_kept),
    Case("data without an action", lambda t: ["data"], "required: ACTION", status=2),
    Case("sound --volume above 1", lambda t: ["sound", "--volume", "2"],
         "must be from 0 to 1", status=2),
    Case("pause: no duration unit", lambda t: ["pause", "soon"], "soon"),
    Case("snooze: not a duration", lambda t: ["snooze", "a while"], "a while"),
    Case("run: unknown option", lambda t: ["run", "--sauce", "0"],
         "unrecognized arguments: --sauce", status=2),
    Case("resume: an argument", lambda t: ["resume", "now"], "unrecognized arguments: now",
         status=2),
    Case("unknown command", lambda t: ["sit"], "invalid choice: 'sit'", status=2),
    Case("autostart: an unknown action", lambda t: ["autostart", "on"],
         "invalid choice: 'on'", status=2),
    Case("autostart: an entry of that name not ours", _foreign_autostart,
         "was not written by posture-monitor; left alone", after=_foreign_kept),
]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory):
    """Every case run at once: each case's folder, arguments and CompletedProcess by name."""
    root = tmp_path_factory.mktemp("bad")
    jobs = {}
    for i, case in enumerate(CASES):
        folder = root / f"case{i}"
        folder.mkdir()
        jobs[case.name] = (folder, case.make(folder), cli_env(folder, HOME=str(folder)))
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = {
                name: pool.submit(run_cli, *args, env=env, timeout=60)
                for name, (_, args, env) in jobs.items()
            }
            yield {name: (*jobs[name][:2], f.result()) for name, f in futures.items()}
    finally:
        for path in root.glob("case*/m.db"):
            subprocess.run(["chattr", "-i", str(path)], check=False)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_one_line_a_status_and_loses_nothing(answers, case: Case) -> None:
    folder, _, result = answers[case.name]
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == case.status, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("posture-monitor: error: "), lines[0]
    assert case.words in lines[0]
    if case.after is not None:
        case.after(folder)


def test_every_command_has_a_bad_input_in_the_table(answers) -> None:
    from monitor.cli import COMMANDS

    tried = {args[0] for _, args, _ in answers.values()}
    assert set(COMMANDS) <= tried
