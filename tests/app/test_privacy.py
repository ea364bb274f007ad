"""Privacy by construction: no picture leaves memory, nothing leaves the machine.

A whole `posture-monitor run` on a recording is traced with strace: it opens
no internet socket (MediaPipe's native library tries to reach
play.googleapis.com with usage statistics; the network guard in
monitor/offline.py makes the kernel refuse it), and it opens no image or video
file for writing. The files it does create are the user's only: 0600 in 0700
folders.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, cli_env, clip, run_cli

GAZE = clip("front/gaze_analyser.mov")
PICTURE_SUFFIXES = (
    ".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".ppm", ".pgm",
    ".raw", ".yuv", ".rgb", ".npy", ".npz", ".mp4", ".avi", ".mov", ".mkv", ".webm", ".mjpeg",
)
TRACED = "network,openat,open,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat"
INET = re.compile(r"\b(socket|socketpair)\((AF_INET6?|PF_INET6?)\b.*\) = (\d+)")
INET_CONNECT = re.compile(r"\b(connect|sendto|sendmsg|bind)\(\d+, \{sa_family=AF_INET6?\b")
OPEN_FOR_WRITING = re.compile(r'\bopen(?:at)?\((?:[A-Z_]+, )?"([^"]+)", ([A-Z_|]+).*\) = \d+')
MADE = re.compile(r'\b(?:creat|rename(?:at2?)?|link(?:at)?|symlink(?:at)?)\(.*"([^"]+)"')


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, object]:
    """One full `run` of a real recording under strace -f; its folder and trace."""
    tmp = tmp_path_factory.mktemp("privacy")
    home = tmp / "home"
    home.mkdir()
    trace = tmp / "trace.txt"
    result = subprocess.run(
        ["strace", "-f", "-qq", "-o", str(trace), "-e", f"trace={TRACED}",
         sys.executable, "-m", "monitor", "run", "--source", str(GAZE), "--model", "lite"],
        capture_output=True, text=True, env=cli_env(tmp, HOME=str(home)), cwd=tmp,
        stdin=subprocess.DEVNULL, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return tmp, trace.read_text(), result


def test_a_run_opens_no_internet_socket(traced) -> None:
    _, trace, _ = traced
    opened = [line for line in trace.splitlines() if INET.search(line)]
    assert opened == []
    assert [line for line in trace.splitlines() if INET_CONNECT.search(line)] == []
    # The trace does see the calls: MediaPipe's attempts are there, refused.
    assert re.search(r"socket\(AF_INET6?, .*= -1 EACCES", trace)


def test_a_run_writes_no_picture_anywhere(traced) -> None:
    tmp, trace, _ = traced
    written = []
    for line in trace.splitlines():
        m = OPEN_FOR_WRITING.search(line)
        if m and ("O_WRONLY" in m[2] or "O_RDWR" in m[2] or "O_CREAT" in m[2]):
            written.append(m[1])
        m = MADE.search(line)
        if m:
            written.append(m[1])
    # The trace is real: the database and the log were written, the video only read.
    assert any(p.endswith("/posture-monitor/monitor.db") for p in written)
    assert any(p.endswith("/posture-monitor/monitor.log") for p in written)
    assert f'"{GAZE}", O_RDONLY' in trace
    pictures = [p for p in written if p.lower().endswith(PICTURE_SUFFIXES)]
    assert pictures == []
    on_disk = [p for p in tmp.rglob("*") if p.suffix.lower() in PICTURE_SUFFIXES]
    assert on_disk == []


def test_the_files_a_run_makes_are_the_users_only(traced) -> None:
    tmp, _, _ = traced
    made = [p for p in tmp.rglob("*") if "posture-monitor" in p.parts]
    assert {p.name for p in made} >= {"posture-monitor", "monitor.db", "monitor.log"}
    for path in made:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_profiles_and_pause_files_are_the_users_only(tmp_path: Path) -> None:
    env = cli_env(tmp_path, HOME=str(tmp_path))
    result = run_cli("calibrate", "--source", GAZE, "--profile", "desk", "--seconds", "2",
                     "--model", "lite", env=env)
    assert result.returncode == 0, result.stderr
    assert run_cli("pause", "10m", env=env).returncode == 0
    made = [p for p in tmp_path.rglob("*") if "posture-monitor" in p.parts]
    assert any(p.name == "desk.json" for p in made)
    for path in made:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_the_guard_refuses_internet_but_not_local_sockets() -> None:
    code = (
        "import socket\n"
        "from monitor.app import offline\n"
        "assert offline.forbid_network()\n"
        "socket.socket(socket.AF_UNIX).close()\n"
        "for family in (socket.AF_INET, socket.AF_INET6):\n"
        "    try:\n"
        "        socket.socket(family)\n"
        "    except PermissionError:\n"
        "        print('refused', family.name)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["refused AF_INET", "refused AF_INET6"]


def test_the_readme_says_what_is_stored_and_how_to_delete_it() -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("## Privacy", 1)[1].split("\n## ", 1)[0]
    for words in ("monitor.db", "monitor.log", "profiles", "no image", "rm ", "models download"):
        assert words in section, words
    assert os.sep == "/"  # the paths in the section are POSIX ones
