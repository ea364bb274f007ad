"""A profile that cannot be saved is a one-line error, before anyone sits still for nothing.

`calibrate` checks that the profile's folder takes a new file before it opens
the camera; saving turns any write failure into a ProfileError naming the path
and the reason, and leaves neither a temporary file nor a changed profile.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import LITE_MODEL, REPO, cli_env, clip, run_cli
from poses import calibration

from monitor.app import calibration as calibrate
from monitor.core import profile as P
from monitor.errors import ProfileError
from monitor.settings import keys
from monitor.storage import profiles as profile_files

VIDEO = "side/jonz21_office_chair.mp4"


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip(". ")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("posture-monitor: error: cannot save profile ")
    for word in words:
        assert word in lines[0]
    return lines[0]


def test_calibrate_into_a_read_only_profiles_folder(tmp_path: Path) -> None:
    """The user's report: the profiles folder is a read-only bind mount.

    The CLI runs in its own mount namespace (unshare), so the read-only mount
    disappears with it; where namespaces are not allowed the test is skipped.
    """
    if shutil.which("unshare") is None:
        pytest.skip("no unshare to make a read-only mount")
    env = cli_env(tmp_path)
    folder = Path(env["XDG_DATA_HOME"]) / "posture-monitor" / "profiles"
    folder.mkdir(parents=True)
    (folder / "default.json").write_text("old\n")
    script = (
        'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" || exit 99; '
        'exec "$@"'
    )
    result = subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script, str(folder),
         sys.executable, "-m", "monitor", "calibrate", "--source", str(clip(VIDEO)),
         "--seconds", "3"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120,
    )  # fmt: skip
    if result.returncode == 99 or "unshare:" in result.stderr:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()}")
    line = _one_line_error(
        result, f"{folder / 'default.json'}: its folder {folder} is on a read-only file system"
    )
    assert "Errno" not in line and ".default.json." not in line  # no temp file named
    assert sorted(p.name for p in folder.iterdir()) == ["default.json"]
    assert (folder / "default.json").read_text() == "old\n"


def test_calibrate_where_the_data_folder_is_a_file(tmp_path: Path) -> None:
    """No mount needed: the app's data folder is a regular file, so profiles/ cannot be made."""
    env = cli_env(tmp_path)
    blocker = Path(env["XDG_DATA_HOME"]) / "posture-monitor"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder\n")
    result = run_cli("calibrate", "--source", clip(VIDEO), "--seconds", "3", "--profile", "bad2",
                     env=env)  # fmt: skip
    # The database, in the same folder, is opened first.
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"posture-monitor: error: cannot create the database {blocker / 'monitor.db'}: "
        f"{blocker} is a file, not a folder\n"
    )
    assert blocker.read_text() == "not a folder\n"


def test_calibrate_fails_before_the_source_opens(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    said: list[str] = []
    words = r"cannot save profile .*file/p\.json: .*file is a file, not a folder$"
    with pytest.raises(ProfileError, match=words):
        calibrate.guided("no-such-camera.mp4", str(tmp_path / "file" / "p.json"),
                         Path("no-model.task"), 3.0, say=said.append)  # fmt: skip
    assert said == []


def test_calibrate_onto_a_folder_named_like_the_profile(tmp_path: Path) -> None:
    (tmp_path / "p.json").mkdir()
    with pytest.raises(ProfileError, match=r"p\.json: it is a folder$"):
        profile_files.writable(str(tmp_path / "p.json"))


def _fail_with(err: int, stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make one step of saving fail as the file system would, naming the file it tried."""

    def failing(*args, **kwargs):
        if stage == "mkstemp":
            raise OSError(err, os.strerror(err), str(Path(kwargs["dir"]) / ".home.json.x1"))
        raise OSError(err, os.strerror(err), args[0], None, args[1])

    monkeypatch.setattr(tempfile if stage == "mkstemp" else os, stage, failing)


# (errno, the step that fails, words of the error)
WRITE_FAILURES = {
    "read-only at create": (errno.EROFS, "mkstemp", "the file system is read-only"),
    "disk full at rename": (errno.ENOSPC, "replace", "the disk is full"),
    "permission at rename": (errno.EACCES, "replace", "no permission"),
}


@pytest.mark.parametrize(("err", "stage", "words"), WRITE_FAILURES.values(), ids=WRITE_FAILURES)
def test_a_failed_write_is_a_profile_error_and_leaves_nothing(err, stage, words, monkeypatch):
    profile = P.build(calibration(), "home")
    path = profile_files.save(profile, "home")
    before = path.read_text()
    _fail_with(err, stage, monkeypatch)
    with pytest.raises(ProfileError) as error:
        profile_files.save(profile, "home")
    assert str(error.value) == f"cannot save profile {path}: {words}"
    assert path.read_text() == before
    assert [p.name for p in path.parent.iterdir()] == ["home.json"]


# -- a calibration that did not get what it asked for saves nothing ---------------------------


def _cut(tmp_path: Path) -> Path:
    """The first 200 kB of the side clip: 0.4 s readable, its header announcing 17.6 s."""
    path = tmp_path / "cut.mp4"
    path.write_bytes(clip(VIDEO).read_bytes()[:200_000])
    return path


# (calibrate's arguments, given tmp_path; the words of its one-line error)
REFUSED = {
    "a truncated clip": (
        lambda t: ["--source", _cut(t), "--seconds", "5"],
        "{t}/cut.mp4 ends at 0.4 s: got 0.4 s of the 5 s asked; nothing saved",
    ),
    "a stretch past the end": (
        lambda t: ["--source", clip(VIDEO), "--start", "16", "--seconds", "5"],
        f"{clip(VIDEO)} ends at 17.6 s: got 1.6 s of the 5 s asked from 16.0 s; nothing saved "
        "(use --start 12.6 or earlier, fewer --seconds, or a longer recording)",
    ),
    "five sit-to-stand cycles": (
        lambda t: ["--source", clip("sitstand/frailty_chair_stands.mp4"), "--seconds", "5"],
        "your posture changed too much during calibration (trunk_thigh_deg spread 44, more "
        "than 12: no drift would ever be noticed)",
    ),
}


@pytest.mark.parametrize(("args", "words"), REFUSED.values(), ids=REFUSED)
def test_a_calibration_that_fell_short_keeps_the_old_profile(args, words, tmp_path: Path) -> None:
    """The exploratory tester's reports: each used to replace a good profile."""
    env = cli_env(tmp_path)
    # conftest's XDG_DATA_HOME, as env's
    profile_files.save(P.build(calibration(), "default"), "default")
    path = profile_files.path_for("default")
    before = path.read_text()
    result = run_cli("calibrate", *args(tmp_path), "--countdown", "0", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr  # one line (a truncated clip also warns, apart)
    assert errors[0].startswith(f"posture-monitor: error: {words.replace('{t}', str(tmp_path))}")
    assert "saved profile" not in result.stdout
    assert path.read_text() == before
    assert [p.name for p in path.parent.iterdir()] == ["default.json"]


def test_a_complete_stretch_at_the_end_of_a_clip_still_calibrates(tmp_path: Path) -> None:
    """18.4 s + 5 s ends where deepa_interview (23.4 s) ends: nothing is missing."""
    result = run_cli("calibrate", "--source", clip("front/deepa_interview.mp4"), "--start", "18.4",
                     "--seconds", "5", env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "saved profile 'default' (front view, 25 samples" in result.stdout


@pytest.mark.parametrize("start", ["-1", "-0.5"])
def test_a_negative_start_is_refused_by_the_parser(start: str, tmp_path: Path) -> None:
    result = run_cli("calibrate", "--source", clip(VIDEO), f"--start={start}",
                     env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"posture-monitor: error: argument --start: must be from 0 to 86400, got {start} "
    )
    assert result.stdout == ""  # refused before the instructions, the video or the model


# -- a stretch too short for a profile is refused as the command line is read -----------------


@pytest.mark.parametrize("seconds", ["0.5", "0.1", "0", "121"])
def test_seconds_outside_the_settings_range_are_refused_by_the_parser(seconds, tmp_path) -> None:
    result = run_cli("calibrate", "--source", clip(VIDEO), "--seconds", seconds,
                     env=cli_env(tmp_path))  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")  # before the instructions and the model
    assert result.stderr == (
        f"posture-monitor: error: argument --seconds: must be from 1 to 120, got {seconds}: "
        "as for posture.calibrate_s (see 'posture-monitor calibrate --help')\n"
    )


def test_the_shortest_stretch_allowed_collects_enough_samples(tmp_path) -> None:
    """The least `--seconds` (the setting's minimum) gives profile.build the samples it needs."""
    least = keys()["posture.calibrate_s"].metadata["min"]
    result = run_cli("calibrate", "--source", clip(VIDEO), "--start", "2", "--seconds",
                     f"{least:g}", "--model", LITE_MODEL,
                     env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stderr
    samples = int(re.search(r"side view, (\d+) samples", result.stdout)[1])
    assert P.MIN_SAMPLES <= samples <= least * calibrate.CALIBRATION_FPS + 1


def test_too_few_frames_are_refused_by_the_profile_with_a_hint(tmp_path) -> None:
    """Below the parser's minimum (from code, not the command line), build says it once."""
    words = r"^too few frames to calibrate from: 1, at least 3 are needed; calibrate over a longer"
    with pytest.raises(ProfileError, match=words):
        calibrate.guided(str(clip(VIDEO)), str(tmp_path / "p.json"), LITE_MODEL, 0.1,
                         start_s=2.0, say=lambda _: None)  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_a_database_that_cannot_be_written_is_refused_before_calibrating(tmp_path) -> None:
    """The calibration history's database is opened first: a file in its way
    fails the command before the instructions, and no profile is saved."""
    (tmp_path / "a-file").write_text("")
    db = tmp_path / "a-file" / "m.db"
    result = run_cli("calibrate", "--source", clip(VIDEO), "--db", db, "--model", LITE_MODEL,
                     env=cli_env(tmp_path))  # fmt: skip
    assert result.returncode == 1
    assert result.stderr == (
        f"posture-monitor: error: cannot create the database {db}: "
        f"{tmp_path / 'a-file'} is a file, not a folder\n"
    )
    assert result.stdout == ""
    assert list(tmp_path.rglob("*.json")) == []
