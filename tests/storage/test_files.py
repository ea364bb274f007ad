"""Why a path cannot be written: the same plain words for outputs, profiles and the database.

`files.unwritable` predicts before slow work; `files.why_not` explains an
OSError after it. Each case builds its paths under a folder holding
`notes.txt` (a file) and `empty/` (a folder).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.errors import OutputError
from monitor.storage import files


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("my notes\n")
    return tmp_path


# (the path, given the folder; what unwritable says, given the folder)
UNWRITABLE: dict[str, tuple[Callable[[Path], Path], Callable[[Path], str | None]]] = {
    "a new file": (lambda w: w / "x.json", lambda w: None),
    "a file to replace": (lambda w: w / "notes.txt", lambda w: None),
    "a folder": (lambda w: w / "empty", lambda w: "it is a folder"),
    "in a missing folder": (lambda w: w / "nope" / "x.json", lambda w: f"no such folder {w}/nope"),
    "under a file": (
        lambda w: w / "notes.txt" / "sub" / "x.json",
        lambda w: f"{w}/notes.txt is a file, not a folder",
    ),
}


@pytest.mark.parametrize(("path", "says"), UNWRITABLE.values(), ids=UNWRITABLE)
def test_unwritable_says_why_in_plain_words(work: Path, path, says) -> None:
    assert files.unwritable(path(work)) == says(work)


def _error(err: int, filename: Path | None = None) -> OSError:
    return OSError(err, os.strerror(err), None if filename is None else str(filename))


# (the path written, given the folder; the OSError it raised; what why_not says)
WHY_NOT = {
    "a full disk": (
        lambda w: w / "x.json", lambda w: _error(errno.ENOSPC), lambda w: "the disk is full"
    ),
    "a folder above could not be made": (
        lambda w: w / "a" / "b" / "x.json",
        lambda w: _error(errno.EACCES, w / "a"),
        lambda w: f"cannot make the folder {w}/a: no permission",
    ),
    # mkdir into a file says "File exists" or "Not a directory": the file is named instead.
    "a file where a folder should be": (
        lambda w: w / "notes.txt" / "sub" / "x.json",
        lambda w: _error(errno.ENOTDIR, w / "notes.txt" / "sub"),
        lambda w: f"{w}/notes.txt is a file, not a folder",
    ),
    "the file is a folder": (
        lambda w: w / "empty",
        lambda w: _error(errno.EISDIR, w / "empty"),
        lambda w: "it is a folder",
    ),
    "an errno without plain words": (
        lambda w: w / "x.json", lambda w: _error(errno.EIO), lambda w: "input/output error"
    ),
}  # fmt: skip


@pytest.mark.parametrize(("path", "exc", "says"), WHY_NOT.values(), ids=WHY_NOT)
def test_why_not_names_what_is_in_the_way(work: Path, path, exc, says) -> None:
    assert files.why_not(path(work), exc(work)) == says(work)


def test_require_writable_raises_the_one_line_output_error(work: Path) -> None:
    assert files.require_writable(work / "x.json") == work / "x.json"
    with pytest.raises(OutputError, match=f"^cannot write {work}/empty: it is a folder$"):
        files.require_writable(work / "empty")


def test_try_write_leaves_nothing_and_refuses_a_folder(work: Path) -> None:
    before = sorted(work.iterdir())
    files.try_write(work / "x.json")
    assert sorted(work.iterdir()) == before
    with pytest.raises(IsADirectoryError):
        files.try_write(work / "empty")


def test_a_read_only_file_is_unwritable_only_in_place(work: Path, monkeypatch) -> None:
    """SQLite writes into its database; an output file is replaced, so only its folder counts."""
    target = work / "notes.txt"
    real = os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: Path(p) != target and real(p, mode))
    assert files.unwritable(target) is None
    assert files.unwritable(target, in_place=True) == f"the file {target} is read-only"
