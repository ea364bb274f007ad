"""The recording lock on its own: real files, real flocks, a real child process.

Two acquires in one process use two descriptors, which flock treats like two
processes. The whole command line (two `run`s on one database) is in
test_faults.py.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, cli_env, run_cli
from simulated_day import SEATED, run, settings, stretch

from monitor import cli
from monitor.cli.history import data_command
from monitor.errors import DatabaseBusy, StoreError
from monitor.storage import lock
from monitor.storage.recorder import Recorder
from monitor.storage.store import Store


def test_a_second_recorder_is_refused_with_the_holders_pid_until_the_first_lets_go(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.db"
    first = lock.acquire(db, "run")
    assert lock.lock_path(db).read_text() == f"{os.getpid()} run\n"
    with pytest.raises(DatabaseBusy) as refused:
        lock.acquire(db, "replay")
    assert str(refused.value) == (
        f"another monitor (pid {os.getpid()}, posture-monitor run) is already recording to "
        f"{db}; stop it first, or use --db for another database"
    )
    assert lock.lock_path(db).read_text() == f"{os.getpid()} run\n"  # the refused wrote nothing
    first.release()
    assert not lock.lock_path(db).exists()  # a clean stop leaves no file behind
    with lock.recording(db, "replay") as second:
        assert second.db == db
    first.release()  # twice is harmless


def test_the_lock_dies_with_its_process(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from monitor.storage import lock; "
         f"lock.acquire(Path({str(db)!r}), 'run'); print('locked', flush=True); sys.stdin.read()"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(DatabaseBusy, match=f"pid {holder.pid}, posture-monitor run"):
            lock.acquire(db, "run")
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    finally:
        holder.kill()
    # The killed holder's file and pid are still there; they block nothing.
    assert lock.lock_path(db).read_text() == f"{holder.pid} run\n"
    with lock.recording(db, "run"):
        assert lock.lock_path(db).read_text() == f"{os.getpid()} run\n"


def test_a_holder_that_has_not_written_its_pid_yet_is_still_refused(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    path = lock.lock_path(db)
    path.write_text("31999999 run\n")  # a pid no process has (pid_max is at most 2^22)
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(DatabaseBusy, match=r"^another monitor is already recording to "):
            lock.acquire(db, "run")
    finally:
        os.close(fd)


def test_a_lock_file_removed_by_a_stopping_holder_is_not_trusted(tmp_path: Path) -> None:
    # A start that opened the file just before the holder removed it would
    # lock a file no longer at the path; acquire checks for that and retries.
    db = tmp_path / "m.db"
    first = lock.acquire(db, "run")
    opened_before = os.open(lock.lock_path(db), os.O_RDWR)
    try:
        first.release()
        with lock.recording(db, "run"):
            fcntl.flock(opened_before, fcntl.LOCK_EX | fcntl.LOCK_NB)  # an orphan: it succeeds
            assert not lock._is_at(opened_before, lock.lock_path(db))
    finally:
        os.close(opened_before)


@pytest.mark.parametrize(
    ("where", "words"),
    [
        (
            "a-file/m.db",
            "cannot lock {tmp}/a-file/m.db: cannot create its lock file {tmp}/a-file/m.db.lock "
            "({tmp}/a-file is a file, not a folder)",
        ),
        ("a-folder", "database path {tmp}/a-folder is a folder; give a file name"),
    ],
)
def test_a_database_that_cannot_be_locked_says_where_and_why(
    tmp_path: Path, where: str, words: str
) -> None:
    (tmp_path / "a-file").write_text("")
    (tmp_path / "a-folder").mkdir()
    with pytest.raises(StoreError, match=re.escape(words.format(tmp=tmp_path))):
        lock.acquire(tmp_path / where, "run")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder"]  # nothing made


def test_a_missing_data_folder_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "new" / "deeper" / "m.db"
    with lock.recording(db, "run"):
        assert lock.lock_path(db).stat().st_mode & 0o777 == 0o600
        assert {(tmp_path / d).stat().st_mode & 0o777 for d in ("new", "new/deeper")} == {0o700}


def test_a_symlink_to_the_database_is_the_same_database(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "other").mkdir()
    db, alias = tmp_path / "real" / "m.db", tmp_path / "other" / "m.db"
    db.touch()
    alias.symlink_to(db)
    with lock.recording(db, "run"), pytest.raises(DatabaseBusy, match=re.escape(str(alias))):
        lock.acquire(alias, "run")
    assert not (tmp_path / "other" / "m.db.lock").exists()


def test_a_stopping_recorder_leaves_a_newer_lock_file_alone(tmp_path: Path) -> None:
    # Someone deleted A's file by hand and B locked a new one; A's clean stop
    # must not delete B's, or a third recorder would get in beside B.
    db = tmp_path / "m.db"
    first = lock.acquire(db, "run")
    lock.lock_path(db).unlink()
    with lock.recording(db, "replay"):
        first.release()
        assert lock.lock_path(db).read_text() == f"{os.getpid()} replay\n"
        with pytest.raises(DatabaseBusy, match="posture-monitor replay"):
            lock.acquire(db, "run")


def test_a_lock_file_this_user_cannot_write_still_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another user's lock file (a killed `sudo posture-monitor run`) opens
    # read-only; these tests may run as root, so the kernel's refusal to open
    # it for writing is played by os.open.
    db = tmp_path / "m.db"
    path = lock.lock_path(db)
    path.write_text("31999999 run\n")
    real_open = os.open

    def open_as_another_user(file: object, flags: int, *args: int) -> int:
        if Path(str(file)) == path and flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied")
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", open_as_another_user)
    held = lock.acquire(db, "run")  # its holder is dead: the run goes ahead
    assert path.read_text() == "31999999 run\n"  # no pid written: the file is not ours
    with pytest.raises(DatabaseBusy, match=r"^another monitor is already recording to "):
        lock.acquire(db, "replay")  # and a read-only lock still keeps a second out
    held.release()
    assert not path.exists()  # our folder: the stale file goes with the clean stop


def test_the_recorder_is_named_without_taking_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert lock.recorder(db) is None  # no file
    with lock.recording(db, "run"):
        assert lock.recorder(db) == lock.Holder(os.getpid(), "run")
        with pytest.raises(DatabaseBusy):
            lock.acquire(db, "run")  # asking took nothing away from the holder
    lock.lock_path(db).write_text("31999999 run\n")  # left by a killed monitor
    assert lock.recorder(db) is None


def test_pause_and_snooze_say_when_no_monitor_is_running(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    nobody = "(no monitor is running on the default database; a monitor on another database"
    for command in (["pause", "10m"], ["snooze", "5m"]):
        result = run_cli(*command, env=env)
        assert result.returncode == 0 and nobody in result.stdout, result
    default_db = tmp_path / "xdg_data_home" / "posture-monitor" / "monitor.db"
    with lock.recording(default_db, "run"):
        result = run_cli("pause", "10m", env=env)
    assert result.returncode == 0 and result.stdout.startswith("paused until ")
    assert nobody not in result.stdout
    with lock.recording(default_db, "data forget"):  # holds the lock, but obeys no pause
        result = run_cli("snooze", "5m", env=env)
    assert result.returncode == 0 and nobody in result.stdout, result


def test_pause_says_until_when_to_the_second_and_the_day_when_not_today(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    soon = run_cli("snooze", "1m", env=env).stdout
    assert re.match(r"break alerts snoozed until \d\d:\d\d:\d\d ", soon), soon
    later = run_cli("pause", "25h", env=env).stdout
    assert re.match(r"paused until [A-Z][a-z]{2} \d\d [A-Z][a-z]{2} \d\d:\d\d:\d\d;", later), later


# --- data forget: a writer that is not a recorder ---------------------------------


def _recorded(db: Path) -> None:
    """30 s recorded on 2026-09-21."""
    with Store.open(db) as store:
        rec = Recorder(store, source="sim", model="full", settings=settings(),
                       started_at=1_790_000_000.0)  # fmt: skip
        run(rec, [stretch(30, SEATED)], settings())


def _samples(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT count(*) FROM samples").fetchone()[0]


FORGET = ["data", "forget", "--before", "2026-10-01", "--tz", "UTC", "--db"]


def test_data_forget_is_refused_while_a_monitor_records(tmp_path: Path) -> None:
    db, env = tmp_path / "m.db", cli_env(tmp_path)
    _recorded(db)
    with lock.recording(db, "run"):
        refused = run_cli(*FORGET, db, env=env)
    assert (refused.returncode, refused.stdout) == (1, ""), refused.stderr
    assert refused.stderr == (
        f"posture-monitor: error: another monitor (pid {os.getpid()}, posture-monitor run) is "
        f"already recording to {db}; stop it first, then run `posture-monitor data forget` again\n"
    )
    assert _samples(db) == 30
    done = run_cli(*FORGET, db, env=env)
    assert done.returncode == 0 and done.stdout.startswith("deleted "), done.stderr
    assert _samples(db) == 0
    assert not lock.lock_path(db).exists()  # let go of, cleanly


def test_data_forget_holds_the_lock_while_it_deletes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "m.db"
    _recorded(db)
    holders, delete = [], Store.forget

    def forget(store: Store, before: float, vacuum: bool = True) -> int:
        holders.append(lock.recorder(db))
        with pytest.raises(DatabaseBusy) as refused:
            lock.acquire(db, "run")  # a monitor starting now is kept out
        assert str(refused.value) == (  # told to wait, not to stop a monitor
            f"posture-monitor data forget (pid {os.getpid()}) is changing {db} now; "
            "try again when it has finished"
        )
        return delete(store, before, vacuum)

    monkeypatch.setattr(Store, "forget", forget)
    assert data_command(cli.build_parser().parse_args([*FORGET, str(db)])) == 0
    assert holders == [lock.Holder(os.getpid(), "data forget")]
    assert _samples(db) == 0
    assert not lock.lock_path(db).exists()


def test_resume_says_was_not_paused_when_the_pause_had_run_out() -> None:
    from monitor.storage import control

    control.request("pause", 60, now=1_000.0)  # ran out at 1 060
    assert control.cancel("pause", now=2_000.0) is False
    assert control.until("pause", 2_000.0) is None
    control.request("pause", 60, now=2_000.0)
    assert control.cancel("pause", now=2_030.0) is True
    assert control.cancel("pause", now=2_030.0) is False  # already gone
