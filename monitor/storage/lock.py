"""One recorder per database: a lock file beside it, held while a session records.

Two monitors recording to one database would count the same day twice, so
`run` and `replay --db` hold an exclusive flock(2) on `DB.lock` for as long
as they record, and write their pid into it. A second one fails at once with
that pid. `data forget` holds it while it deletes, so it never deletes under
a recorder. Readers (`report`, `data export`) take no lock: SQLite's WAL lets
them read while the recorder writes.

The kernel drops a flock when the last descriptor of it closes, which
happens however the process ends (Ctrl-C, SIGKILL, a crash, a power cut), so
a dead monitor never blocks the next start: a clean stop removes the file, a
killed monitor leaves it, unlocked, and only the lock counts, never the pid
written in it. Suspend keeps the lock like any open file.

The lock sits beside the database's real path, so a symlink to it is the
same database. A hard link (or a bind mount) is another path to the same
file, with a lock file of its own: so the recorder also holds a flock on the
database file itself, which the kernel keeps per file (device and inode),
not per path, and a second recorder through any path is refused (naming the
first one's pid from /proc/locks where there is one). SQLite's own locks
are POSIX locks, which flock does not touch; but POSIX locks go when any
descriptor of the file closes, so that descriptor is closed only after
the store is (the lock is taken before the store opens, let go after).
The lock file is opened without following a symlink: a link or a folder in
its place is an error, and what it points to is never written.
It guards one machine: on a network file system mounted
without locking (NFS `nolock`, `local_lock=flock`) two machines sharing a
home folder each get the lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from monitor import paths
from monitor.errors import DatabaseBusy, StoreError
from monitor.storage import files
from monitor.storage.database import create_private, database_path

try:
    import fcntl
except ImportError:  # Windows has no flock: recording there is not guarded
    fcntl = None  # type: ignore[assignment]

# A holder writes its pid just after it takes the lock; a start in that
# instant waits this long for it rather than naming no pid.
PID_WAIT_S = 0.5

# What a refused recorder is told to do.
RECORDING_ADVICE = "stop it first, or use --db for another database"

# Lock holders that are the live monitor ("" from an older version), and
# those that record for as long as they run.
MONITORS = ("run", "")
RECORDERS = (*MONITORS, "replay")


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as written in the lock file."""

    pid: int
    command: str


def _holder(fd: int) -> Holder | None:
    """The live process named in the lock file, or None if it names none."""
    fields = os.pread(fd, 200, 0).decode("utf-8", "replace").split(maxsplit=1)
    try:
        pid = int(fields[0])
        if pid <= 0:  # kill(0) and kill(-1) would ask about whole groups
            return None
        os.kill(pid, 0)  # a pid left by a killed monitor may name no process
    except (IndexError, ValueError, ProcessLookupError):
        return None
    except PermissionError:  # alive, another user's (a shared database folder)
        pass
    return Holder(pid, fields[1].strip() if len(fields) > 1 else "")  # e.g. "data forget"


def recorder(db: Path | None) -> Holder | None:
    """The live monitor recording to `db` (None: the default database), if any.

    Read from the lock file without locking it, so that asking never stands
    in the way of a monitor starting: a clean stop removes the file, and a
    killed monitor's pid names no live process.
    """
    path = lock_path(database_path(db).resolve())
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return _holder(fd)
    finally:
        os.close(fd)


def busy_message(db: Path, holder: Holder | None, advice: str = RECORDING_ADVICE) -> str:
    if holder is None:
        return f"another monitor is already recording to {db}; {advice}"
    if holder.command not in RECORDERS:  # a short task, e.g. `data forget` deleting
        return (
            f"posture-monitor {holder.command} (pid {holder.pid}) is changing {db} now; "
            "try again when it has finished"
        )
    command = f", posture-monitor {holder.command}" if holder.command else ""
    return f"another monitor (pid {holder.pid}{command}) is already recording to {db}; {advice}"


class RecordingLock:
    """The held lock on `db`; `release()` (or the process ending) lets go of it."""

    def __init__(self, db: Path, path: Path, fd: int, advice: str = RECORDING_ADVICE) -> None:
        self.db = db
        self.path = path
        self._fd: int | None = fd
        self._file_fd: int | None = None  # the flock on the database file itself
        self._advice = advice

    def hold_file(self, create: bool = False) -> None:
        """Hold the database file itself (see the module), creating it if `create`;
        DatabaseBusy if another recorder holds it through another path."""
        if self._file_fd is not None or fcntl is None:
            return
        if create:
            create_private(self.db)
        try:
            fd = os.open(self.db, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return  # not there yet (held once created), or unreadable: SQLite will say
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)  # nothing of SQLite is open on it in this process yet
            if isinstance(exc, BlockingIOError):
                raise DatabaseBusy(
                    busy_message(self.db, _flock_holder(self.db), self._advice)
                ) from None
            return  # a file system without flock: the lock file still guards the path
        self._file_fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        # Removed while still held, so no one can lock this file after us
        # believing it is the one at the path (acquire checks that); but
        # only if it is still ours: another's at that path is theirs.
        if _is_at(self._fd, self.path):
            with suppress(OSError):
                self.path.unlink()
        os.close(self._fd)  # closing drops the flock
        self._fd = None
        if self._file_fd is not None:
            os.close(self._file_fd)
            self._file_fd = None


def _flock_holder(db: Path) -> Holder | None:
    """Who holds a flock on the file at `db`, from /proc/locks (Linux), if anyone."""
    try:
        st = os.stat(db)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == inode:
            with suppress(ValueError):
                pid = int(fields[4])
                if pid != os.getpid():
                    return Holder(pid, "")
    return None


def _open(db: Path, path: Path) -> int:
    try:
        paths.private_dir(path.parent)
        # Without O_TRUNC: the holder's pid must survive our open. Python's
        # descriptors are not inherited, so a chime player or notify-send started
        # by the monitor cannot keep the lock alive after it.
        return os.open(path, os.O_RDWR | os.O_CREAT | files.NOFOLLOW, 0o600)
    except OSError as exc:
        # One left by another user (a killed `sudo ... run`) is still a lock:
        # flock needs no write access.
        if isinstance(exc, PermissionError) and path.exists():
            with suppress(OSError):
                return os.open(path, os.O_RDONLY | files.NOFOLLOW)
        raise StoreError(
            f"cannot lock {db}: cannot create its lock file {path} ({files.why_not(path, exc)})"
        ) from None


def _is_at(fd: int, path: Path) -> bool:
    """Whether the file open at `fd` is still the one at `path`."""
    try:
        here, there = os.fstat(fd), os.lstat(path)
    except FileNotFoundError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def acquire(db: Path | None, command: str, advice: str = RECORDING_ADVICE) -> RecordingLock:
    """Lock `db` (None: the default database) for recording by `command`.

    Raises DatabaseBusy naming the holder's pid, and `advice`, if another
    process records to it; StoreError if the lock file cannot be made (a
    read-only folder).
    """
    db = database_path(db)
    path = lock_path(db.resolve())  # a symlink to the database shares its lock
    while True:
        fd = _open(db, path)
        if fcntl is None:
            return RecordingLock(db, path, fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _is_at(fd, path):  # its holder is just stopping: try the new one
                os.close(fd)
                continue
            holder, deadline = _holder(fd), time.monotonic() + PID_WAIT_S
            while holder is None and time.monotonic() < deadline:
                time.sleep(0.02)
                holder = _holder(fd)
            os.close(fd)
            raise DatabaseBusy(busy_message(db, holder, advice)) from None
        except OSError as exc:  # e.g. ENOLCK on a network file system without locks
            os.close(fd)
            raise StoreError(f"cannot lock {db} through {path} ({exc.strerror})") from None
        if _is_at(fd, path):
            break
        os.close(fd)  # the holder removed it as it stopped: lock the file there now
    # The pid only names the holder in another's error; the lock is what
    # counts, so a full disk or a read-only lock file does not stop the run.
    with suppress(OSError):
        os.ftruncate(fd, 0)  # a pid left by a killed monitor
        os.pwrite(fd, f"{os.getpid()} {command}\n".encode(), 0)
    held = RecordingLock(db, path, fd, advice)
    try:
        held.hold_file()
    except BaseException:
        held.release()
        raise
    return held


@contextmanager
def recording(
    db: Path | None, command: str, advice: str = RECORDING_ADVICE
) -> Iterator[RecordingLock]:
    """Hold the recording lock on `db` for the block (see `acquire`)."""
    held = acquire(db, command, advice)
    try:
        yield held
    finally:
        held.release()
