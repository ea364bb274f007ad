"""Smaller edges, each with a defined behaviour, through the real command line:
a damaged still in a folder, a start before 1970, a config that is a FIFO,
POSIX TZ strings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, DAY, REPO, cli_env, one_line_error, recorded_day, run_cli


def test_an_unreadable_still_is_skipped_with_a_warning_and_the_rest_analysed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "stills"
    shutil.copytree(DATA / "stills" / "nvinayvarma", folder)
    count = len(list(folder.glob("*.jpg")))
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    out = tmp_path / "t.json"
    result = run_cli("replay", folder, "--model", "lite", "--json", out, env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "skipping" in line]
    assert len(warnings) == 1 and "broken.jpg" in warnings[0]
    assert json.loads(out.read_text())["analysed_frames"] == count
    only = tmp_path / "only"
    only.mkdir()
    (only / "broken.jpg").write_bytes(b"nothing")
    result = run_cli("replay", only, "--model", "lite", env=cli_env(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"posture-monitor: error: none of the images at {only} can be read"
    )


@pytest.mark.parametrize("start", ["1969-12-31T23:59:59+00:00", "0001-01-01T00:00"])
def test_a_replay_start_before_1970_is_refused(tmp_path: Path, start: str) -> None:
    db = tmp_path / "m.db"
    result = run_cli("replay", DATA / "front" / "gaze_analyser.mov", "--db", db,
                     "--start", start, env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"posture-monitor: error: argument --start: {start!r} is before 1970, which cannot be "
        "reported (see 'posture-monitor replay --help')"
    ]
    assert not db.exists()


def test_a_config_that_is_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)  # nobody ever writes to it: a blocking read would wait for ever
    for command in (["config", "--config", fifo], ["snooze"]):
        env = cli_env(tmp_path, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
        if command[0] == "snooze":
            (tmp_path / "cfg" / "posture-monitor").mkdir(parents=True)
            os.mkfifo(tmp_path / "cfg" / "posture-monitor" / "config.toml")
        result = run_cli(*command, env=env, timeout=20)
        one_line_error(result, "cannot read config file", "not a regular file")


@pytest.mark.parametrize(
    ("zone", "hours"),
    [("UTC0", 24.0), ("CET-1CEST,M3.5.0,M10.5.0/3", 23.0), ("<+0530>-5:30", 24.0)],
)
def test_posix_tz_strings_are_time_zones(tmp_path: Path, zone: str, hours: float) -> None:
    db = tmp_path / "m.db"
    recorded_day(db)
    day = "2026-03-29"  # Europe's spring change-over: a 23-hour day in CET/CEST
    for how in ("--tz", "TZ"):
        args = ["report", "--db", db, "--date", day, "--json", "-"]
        env = cli_env(tmp_path, TZ=zone) if how == "TZ" else cli_env(tmp_path)
        result = run_cli(*args, *(["--tz", zone] if how == "--tz" else []), env=env)
        assert result.returncode == 0, result.stderr
        figures = json.loads(result.stdout)["days"][0]
        assert figures["tz"] == zone
        assert (figures["end"] - figures["start"]) / 3600 == hours
    # The recorded day (09:00-09:02 UTC) falls where the zone puts it.
    result = run_cli("report", "--db", db, "--date", DAY, "--tz", "CET-1CEST,M3.5.0,M10.5.0/3",
                     "--json", "-", env=cli_env(tmp_path))  # fmt: skip
    assert json.loads(result.stdout)["days"][0]["first"] == "10:00:00"
    bad = run_cli("report", "--db", db, "--tz", "CET-1CEST,M13.5.0,M10.5.0", env=cli_env(tmp_path))
    one_line_error(bad, "unknown time zone", "POSIX TZ string")


def test_a_path_whose_bytes_are_not_utf8_works_and_prints(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9")  # a Latin-1 name: surrogate-escaped as a str
    folder = tmp_path / name
    db, out = folder / f"{name}.db", tmp_path / f"{name}-out"
    env = cli_env(tmp_path, LC_ALL="C.UTF-8", XDG_DATA_HOME=str(folder))
    env.pop("PYTHONIOENCODING", None)
    replayed = run_cli("replay", DATA / "front" / "gaze_analyser.mov", "--model", "lite",
                       "--db", db, "--start", "2026-03-02T09:00+00:00", env=env)  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    assert os.listdir(os.fsencode(folder)) == [b"caf\xe9.db"]  # the name's own bytes
    report = run_cli("report", "--db", db, "--date", "2026-03-02", "--tz", "UTC", env=env)
    assert report.returncode == 0 and "sitting bouts   1" in report.stdout, report.stderr
    exported = subprocess.run(  # its stdout names the files: the name's bytes as on disk
        [sys.executable, "-m", "monitor", "data", "export", "--db", db, "--out", out],
        capture_output=True, env=env, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(b"wrote " + os.fsencode(out / "samples.csv") + b", ")
    assert (out / "samples.csv").read_text().count("\n") > 1
    missing = run_cli("report", "--db", folder / f"x{name}.db", env=env)
    one_line_error(missing, "no database at")
    recorded = run_cli("run", "--source", DATA / "front" / "gaze_analyser.mov", "--model",
                       "lite", "--set", "sound.enabled=false", "--set", "sound.notify=false",
                       env=env, timeout=90)  # fmt: skip  # the data folder itself: monitor.db
    assert recorded.returncode == 0, recorded.stderr
    assert (folder / "posture-monitor" / "monitor.db").stat().st_size > 0
