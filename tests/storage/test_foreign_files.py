"""Files that are not ours are not trusted or written; a link or neighbour cannot
make two monitors record into one file; a damaged request never stops monitoring.

Every attack runs through the real command line.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import DAY, REPO, cli_env, clip, one_line_error, recorded_day, run_cli

GAZE = clip("front/gaze_analyser.mov")
QUIET = ("--set", "sound.enabled=false", "--set", "sound.notify=false")


def _samples(db: Path) -> int:
    try:
        with sqlite3.connect(db) as c:
            return int(c.execute("SELECT count(*) FROM samples").fetchone()[0])
    except sqlite3.Error:
        return 0


# --- 2. the lock guards the file, not the path ---------------------------------------------


def test_a_hard_link_to_a_recorded_database_is_refused_as_the_same_database(
    tmp_path: Path,
) -> None:
    db, alias = tmp_path / "m.db", tmp_path / "elsewhere" / "alias.db"
    env = cli_env(tmp_path)
    run = ["run", "--source", GAZE, "--model", "lite", "--set", "storage.flush_s=1", *QUIET]
    log = tmp_path / "first.stderr"
    with log.open("w") as stderr:
        first = subprocess.Popen(
            [sys.executable, "-m", "monitor", *map(str, run), "--db", str(db), "--loop"],
            env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _samples(db) < 2:
            assert first.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        alias.parent.mkdir()
        os.link(db, alias)  # another path to the same file, with a lock file of its own
        for second in (run, ["replay", GAZE, "--model", "lite"]):
            refused = run_cli(*second, "--db", alias, env=env, timeout=60)
            one_line_error(refused, f"pid {first.pid}", f"already recording to {alias}")
        recorded = _samples(db)
        time.sleep(2.5)
        assert first.poll() is None and _samples(db) > recorded, log.read_text()  # goes on
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0, log.read_text()
    finally:
        first.kill()
        first.wait(10)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not Path(f"{alias}-wal").exists()  # the refused ones never opened it


# --- 3. files that are not ours are not trusted or written ---------------------------------


@pytest.mark.parametrize("kind", ["symlink", "folder"])
def test_a_symlink_or_folder_in_place_of_the_lock_file_is_one_line_and_touches_nothing(
    tmp_path: Path, kind: str
) -> None:
    db, victim = tmp_path / "m.db", tmp_path / "victim"
    victim.write_text("precious\n")
    lock = tmp_path / "m.db.lock"
    if kind == "symlink":
        lock.symlink_to(victim)
    else:
        lock.mkdir()
    result = run_cli("run", "--source", GAZE, "--model", "lite", "--db", db, *QUIET,
                     env=cli_env(tmp_path), timeout=60)  # fmt: skip
    words = "symbolic link" if kind == "symlink" else "it is a folder"
    one_line_error(result, "cannot lock", str(lock), words)
    assert victim.read_text() == "precious\n"
    assert lock.is_symlink() if kind == "symlink" else lock.is_dir()
    assert not db.exists()


def _requests(tmp_path: Path) -> Path:
    folder = tmp_path / "xdg_data_home" / "posture-monitor"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("command", [("pause", "30m"), ("snooze", "5m"), ("resume",)])
@pytest.mark.parametrize("kind", ["symlink", "folder"])
def test_a_symlink_or_folder_in_place_of_a_request_is_one_line_and_touches_nothing(
    tmp_path: Path, command: tuple[str, ...], kind: str
) -> None:
    folder, victim = _requests(tmp_path), tmp_path / "victim"
    victim.write_text("precious\n")
    name = "snooze" if command[0] == "snooze" else "pause"
    request = folder / name
    if kind == "symlink":
        request.symlink_to(victim)
    else:
        request.mkdir()
    result = run_cli(*command, env=cli_env(tmp_path), timeout=60)
    one_line_error(result, str(request), "symbolic link" if kind == "symlink" else "folder")
    assert victim.read_text() == "precious\n"
    assert request.is_symlink() if kind == "symlink" else request.is_dir()
    assert sorted(p.name for p in folder.iterdir()) == [name]  # no temporary file left


def test_a_symlink_where_the_old_temporary_file_was_is_never_written_through(
    tmp_path: Path,
) -> None:
    folder, victim = _requests(tmp_path), tmp_path / "victim"
    victim.write_text("precious\n")
    (folder / "pause.tmp").symlink_to(victim)  # the name an older version wrote through
    result = run_cli("pause", "30m", env=cli_env(tmp_path), timeout=60)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "precious\n"
    assert json.loads((folder / "pause").read_text())["until"] > time.time()


def test_a_request_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "xdg_data_home").write_text("a file where the data folder should be\n")
    result = run_cli("pause", "30m", env=cli_env(tmp_path), timeout=60)
    one_line_error(result, "cannot write the pause request", "is a file, not a folder")


def test_reports_go_into_a_fifo_a_link_to_stdout_and_dash_without_replacing_them(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.db"
    recorded_day(db)
    env = cli_env(tmp_path)
    base = ("report", "--db", db, "--date", DAY, "--tz", "UTC")
    # A FIFO: written into, while a reader drains it.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    result = run_cli(*base, "--json", fifo, env=env)
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert json.loads(got[0])["days"][0]["monitored_s"] == 120.0
    assert fifo.is_fifo()
    # A link to the process's standard output (as /dev/stdout is): written into,
    # after the table printed before it; the link stays a link.
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    result = run_cli(*base, "--csv", link, env=env)
    assert result.returncode == 0, result.stderr
    assert "Sitting report" in result.stdout and "local_time," in result.stdout
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    # `-`: the file alone on standard output.
    result = run_cli(*base, "--json", "-", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["days"][0]["seated_s"] == 120.0
    twice = run_cli(*base, "--json", "-", "--html", "-", env=env)
    one_line_error(twice, "only one of --json, --html and --csv can be -")


# --- 5. a damaged request never stops monitoring -------------------------------------------


@pytest.mark.parametrize("text", ['{"until": 1e300}', '{"until": Infinity}', "1e300", "\xff"])
def test_a_damaged_pause_file_is_no_request_and_monitoring_goes_on(
    tmp_path: Path, text: str
) -> None:
    folder, db = _requests(tmp_path), tmp_path / "m.db"
    (folder / "pause").write_text(text, encoding="latin-1")
    env = cli_env(tmp_path)
    for _ in range(2):  # this start, and every later one
        result = run_cli("run", "--source", GAZE, "--model", "lite", "--db", db, *QUIET,
                         env=env, timeout=90)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        ignored = [line for line in result.stderr.splitlines() if "ignoring the pause" in line]
        assert len(ignored) == 1, result.stderr  # logged once, not each turn of the loop
    assert _samples(db) > 0  # monitored and recorded
    status = run_cli("pause", "10m", env=env)  # and a new request replaces it
    assert status.returncode == 0, status.stderr
