"""Another local user cannot change your settings, your profile or your record.

Run as root here, so "another user's file" is simulated: a file chowned to
`nobody`, or made writable by others (chmod o+w). Every attack runs through
the real command line.
"""

from __future__ import annotations

import os
import pwd
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, cli_env, clip, one_line_error, recorded_day, run_cli

GAZE = clip("front/gaze_analyser.mov")
ATTACK = "[storage]\nretention_days = 1e-05\n[sound]\nenabled = false\n"


def test_a_permissive_umask_makes_no_folder_others_can_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = cli_env(tmp_path, HOME=str(home))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
                "MPLCONFIGDIR"):  # fmt: skip
        env.pop(var, None)
    result = subprocess.run(  # the replay imports MediaPipe, and with it matplotlib
        [sys.executable, "-m", "monitor", "replay", str(GAZE), "--model", "lite",
         "--db", str(home / "m.db")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
        preexec_fn=lambda: os.umask(0),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    made = list(home.rglob("*"))
    assert any(p.name == "matplotlib" for p in made)  # its cache is there, and ours
    loose = [(p, oct(p.stat().st_mode)) for p in made if p.stat().st_mode & 0o022]
    assert loose == []
    folders = {p: stat.S_IMODE(p.stat().st_mode) for p in made if p.is_dir()}
    assert set(folders.values()) == {0o700}, folders
    assert not (home / ".config" / "matplotlib").exists()


def _nobody(path: Path) -> None:
    os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)


@pytest.mark.parametrize("how", ["owned by nobody", "writable by others"])
def test_a_config_another_user_could_write_is_refused_and_deletes_nothing(
    tmp_path: Path, how: str
) -> None:
    env = cli_env(tmp_path)
    db = Path(env["XDG_DATA_HOME"]) / "posture-monitor" / "monitor.db"
    db.parent.mkdir(parents=True)
    recorded_day(db)
    config = Path(env["XDG_CONFIG_HOME"]) / "posture-monitor" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(ATTACK)
    if how == "owned by nobody":
        _nobody(config)
        words = ("belongs to another user (nobody)", "chown root")
    else:
        config.chmod(0o666)
        words = ("writable by other users (mode 0666)", f"chmod go-w {config}")
    for command in (["run", "--source", GAZE, "--model", "lite"], ["config"], ["snooze"]):
        result = run_cli(*command, env=env, timeout=60)
        one_line_error(result, f"refusing the config file {config}", *words)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM samples").fetchone()[0] == 120  # nothing deleted


def test_a_database_or_profile_another_user_could_write_is_refused(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    db = tmp_path / "m.db"
    recorded_day(db)
    db.chmod(0o646)
    before = db.read_bytes()
    for command in (["report", "--db", db], ["data", "export", "--db", db, "--out", tmp_path / "x"],
                    ["run", "--source", GAZE, "--model", "lite", "--db", db]):  # fmt: skip
        result = run_cli(*command, env=env, timeout=60)
        one_line_error(result, f"refusing the database {db}", "writable by other users")
    assert db.read_bytes() == before
    db.chmod(0o600)
    _nobody(db)
    result = run_cli("report", "--db", db, env=env, timeout=60)
    one_line_error(result, f"refusing the database {db}", "belongs to another user")
    profile = tmp_path / "theirs.json"
    profile.write_text("{}")
    _nobody(profile)
    result = run_cli("replay", GAZE, "--model", "lite", "--profile", profile, env=env)
    one_line_error(result, f"refusing the profile {profile}", "belongs to another user")
