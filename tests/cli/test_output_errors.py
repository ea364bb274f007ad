"""Output paths that cannot be written, and other bad values: one line, a status, nothing left.

Every file the monitor writes for the user (`report --json/--html/--csv`,
`data export --out`, `replay --json`, `bench --json`, `evaluate --json`)
is checked when the command line is read, so a mistyped path is refused
before any slow work; the writers turn what the check cannot foresee into
the same kind of line. Each case runs the real command line in its own
folder and checks the exact error line, the status, and that the folder
holds what it held before: no half-written file is left behind.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import cli_env, run_cli


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path], list[str]]  # the folder holds m.db, notes.txt and empty/
    error: Callable[[Path], str]  # the whole error line, after "posture-monitor: error: "
    status: int = 1


def _see(command: str) -> str:
    return f" (see 'posture-monitor {command} --help')"


CASES = [
    Case("report --html in a missing folder",
         lambda w: ["report", "--html", f"{w}/nope/dir/x.html"],
         lambda w: f"argument --html: cannot write {w}/nope/dir/x.html: no such folder "
                   f"{w}/nope/dir" + _see("report"), status=2),
    Case("report --csv a folder", lambda w: ["report", "--csv", f"{w}/empty"],
         lambda w: f"argument --csv: cannot write {w}/empty: it is a folder" + _see("report"),
         status=2),
    Case("report --json under a file", lambda w: ["report", "--json", f"{w}/notes.txt/x.json"],
         lambda w: f"argument --json: cannot write {w}/notes.txt/x.json: {w}/notes.txt is a "
                   "file, not a folder" + _see("report"), status=2),
    Case("report --date past the calendar's end", lambda w: ["report", "--date", "9999-12-31"],
         lambda w: "date out of range: '9999-12-31' (expected 1970-01-01 to 9998-12-31)"),
    Case("report --days reaching before the calendar",
         lambda w: ["report", "--date", "0001-01-02", "--days", "5"],
         lambda w: "date out of range: '0001-01-02' (expected 1970-01-01 to 9998-12-31)"),
    Case("data export --out an existing file", lambda w: ["data", "export", "--out",
                                                          f"{w}/notes.txt"],
         lambda w: f"cannot write into {w}/notes.txt: it is a file, not a folder "
                   "(name a folder, or a file ending in .csv)"),
    Case("data export --out a folder under a file",
         lambda w: ["data", "export", "--out", f"{w}/notes.txt/sub"],
         lambda w: f"cannot write {w}/notes.txt/sub: {w}/notes.txt is a file, not a folder"),
    Case("data export --out FILE.csv under a file",
         lambda w: ["data", "export", "--out", f"{w}/notes.txt/x.csv"],
         lambda w: f"cannot write {w}/notes.txt/x.csv: {w}/notes.txt is a file, not a folder"),
    # The samples file could be written, its events file not: neither is.
    Case("data export --out FILE.csv whose FILE-events.csv is a folder",
         lambda w: ["data", "export", "--out", f"{w}/empty.csv"],
         lambda w: f"cannot write {w}/empty-events.csv: it is a folder"),
    Case("sound --volume nan", lambda w: ["sound", "--volume", "nan"],
         lambda w: "argument --volume: must be from 0 to 1, got nan" + _see("sound"), status=2),
    Case("bench --json in a missing folder",
         lambda w: ["bench", f"{w}/clip.mp4", "--json", f"{w}/nope/b.json"],
         lambda w: f"argument --json: cannot write {w}/nope/b.json: no such folder {w}/nope"
                   + _see("bench"), status=2),
]  # fmt: skip


def _folder(tmp_path: Path) -> Path:
    """m.db (an empty database), notes.txt, empty/ and empty-events.csv/ (folders)."""
    from monitor.storage.store import Store

    work = tmp_path / "w"
    (work / "empty").mkdir(parents=True)
    (work / "empty-events.csv").mkdir()
    (work / "notes.txt").write_text("my notes\n")
    Store.open(work / "m.db").close()
    return work


def _listing(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_output_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path, case):
    work = _folder(tmp_path)
    before = _listing(work)
    args = case.args(work)
    if args[0] in ("report", "data"):
        args += ["--db", str(work / "m.db")]
    result = run_cli(*args, env=cli_env(tmp_path))
    assert "Traceback" not in result.stderr, result.stderr
    assert (result.returncode, result.stdout) == (case.status, "")
    assert result.stderr == f"posture-monitor: error: {case.error(work)}\n"
    assert _listing(work) == before


@pytest.mark.parametrize("where", ["a folder", "under a file"])
def test_replay_json_that_cannot_be_written_is_refused_before_the_analysis(
    short_video, tmp_path, where
):
    work = _folder(tmp_path)
    out, reason = {
        "a folder": (work / "empty", "it is a folder"),
        "under a file": (work / "notes.txt/x.json", f"{work}/notes.txt is a file, not a folder"),
    }[where]
    result = run_cli("replay", short_video, "--json", out, env=cli_env(tmp_path))
    # Refused as the command line is read: no note, no progress, no summary.
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr == (
        f"posture-monitor: error: argument --json: cannot write {out}: {reason}"
        + _see("replay")
        + "\n"
    )


def test_data_export_help_says_which_files_a_csv_name_gives(tmp_path):
    result = run_cli("data", "export", "--help", env=cli_env(tmp_path))
    text = " ".join(result.stdout.split())
    assert "FILE.csv (the samples) with FILE-events.csv and FILE-sessions.csv" in text
    assert "samples alone" not in text


@pytest.mark.parametrize("what", ["report", "timeline"])
def test_a_write_that_fails_midway_says_why_and_leaves_no_file(tmp_path, monkeypatch, what):
    """Reports, exports, and replay/bench/evaluate's --json all write through files.write_text."""
    from monitor.errors import OutputError
    from monitor.report.timeline import Timeline
    from monitor.storage import files

    def full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "replace", full)
    out = tmp_path / "out"
    out.mkdir()
    target = out / "r.json"
    with pytest.raises(OutputError) as caught:
        if what == "report":
            files.write_text(target, "{}")
        else:
            Timeline("clip.mp4").write(target)
    assert str(caught.value) == f"cannot write {target}: the disk is full"
    assert list(out.iterdir()) == []  # not r.json, nor the temporary .r.json.XXXX
