"""glibc malloc settings for a process that runs all day.

With glibc's defaults every thread that allocates gets an arena of its own,
and the mmap threshold rises each time a large block is freed, so that later
large blocks come from the heap instead of fresh mappings. MediaPipe's worker
threads and the per-frame buffers (about 1 MB each at 640x480) then leave
freed memory scattered over arenas. Measured on the pose estimator alone,
2.5 hours of 1.5 frames a second (accelerated): by default its anonymous
memory jumped up and down by up to 0.8 MiB at a time, 1.7-3.1 MiB above its
start; with two arenas and a fixed mmap threshold, so that a freed frame
buffer goes straight back to the kernel, it rose 0.4 MiB in the first
quarter of an hour and then held within 0.02 MiB, and the process was 6 MiB
smaller. The cost is a few page faults a frame. The README has an hour of
`run` with these settings.

This is glibc only; elsewhere (musl, macOS, Windows) `tune` does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# mallopt(3) parameters.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

ARENAS = 2
LARGE_BYTES = 256 * 1024  # blocks this big are mapped apart and unmapped on free


def tune() -> bool:
    """Apply the settings for this process; True if glibc took them.

    Call it before the threads that allocate start (before the pose model
    loads): arenas that already exist stay.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        log.info("not glibc: malloc left at its defaults")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    settings = (
        (_M_ARENA_MAX, ARENAS),
        (_M_MMAP_THRESHOLD, LARGE_BYTES),
        (_M_TRIM_THRESHOLD, LARGE_BYTES),
    )
    ok = all(mallopt(parameter, value) == 1 for parameter, value in settings)
    if not ok:
        log.info("glibc refused a malloc setting: memory may creep up over the day")
    return ok
