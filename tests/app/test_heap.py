"""The malloc settings for an all-day run: glibc takes them and keeps to two arenas."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from monitor.app import heap

# Eight threads allocate at the same time, then glibc reports its arenas.
ARENAS_SEEN = """
import ctypes, os, sys, tempfile, threading
from monitor.app import heap
if sys.argv[1] == "tune":
    assert heap.tune()
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
libc.free.argtypes = (ctypes.c_void_p,)
libc.fdopen.restype, libc.fdopen.argtypes = ctypes.c_void_p, (ctypes.c_int, ctypes.c_char_p)
libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
libc.fflush.argtypes = (ctypes.c_void_p,)
together = threading.Barrier(8)
def work():
    blocks = [libc.malloc(4096) for _ in range(100)]
    together.wait()
    for block in blocks:
        libc.free(block)
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with tempfile.TemporaryFile() as f:
    fp = libc.fdopen(os.dup(f.fileno()), b"w")
    libc.malloc_info(0, fp)
    libc.fflush(fp)
    f.seek(0)
    print(f.read().decode().count("<heap nr="))
"""


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", ARENAS_SEEN, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the settings are glibc's")
def test_tuned_threads_share_two_arenas_where_untuned_ones_spread_out() -> None:
    assert arenas("default") > heap.ARENAS  # the control: glibc spreads threads out
    assert arenas("tune") <= heap.ARENAS


def test_tune_says_whether_glibc_took_the_settings() -> None:
    assert heap.tune() is (platform.libc_ver()[0] == "glibc")
