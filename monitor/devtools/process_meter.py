"""A monitor run in a subprocess, measured from outside: CPU, memory, start-up.

`posture-monitor run --source VIDEO --loop` runs at default settings with a
private home; CPU is utime + stime from /proc/PID/stat over wall time after a
warm-up, memory the resident set from /proc/PID/status. Linux only.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
WARMUP_S = 15.0
# MediaPipe does a one-off piece of start-up about a minute after the model
# loads (it tries to reach Google, which offline.py refuses), paging in 0.6 MB
# more of its library: the memory soak starts counting after it.
MEMORY_WARMUP_S = 120.0
READINGS_A_MINUTE = 12


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class LiveRun:
    """`posture-monitor run --source VIDEO --loop` in a subprocess, with a private home."""

    def __init__(self, video: Path, model: Path, extra: list[str] | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="pm-bench-")
        home = Path(self._dir.name)
        env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "cfg"))
        command = [
            sys.executable, "-m", "monitor", "run", "--source", str(video), "--loop",
            "--model", str(model), "--db", str(home / "bench.db"), "--quiet",
            "--set", "sound.notify=false", *(extra or []),
        ]  # fmt: skip
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env, text=True,
        )  # fmt: skip
        self.first_sample_s: float | None = None
        self._first = threading.Event()
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())
            if self.first_sample_s is None and line.rstrip().endswith(" fps"):
                self.first_sample_s = time.monotonic() - self.started
                self._first.set()

    def wait_first_sample(self, timeout_s: float = 60.0) -> float:
        if not self._first.wait(timeout_s) or self.first_sample_s is None:
            self.stop()
            raise RuntimeError("the run printed no sample:\n" + "\n".join(self.lines[-10:]))
        return self.first_sample_s

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._dir.cleanup()


def startup_once(video: Path, model: Path) -> dict[str, float]:
    run = LiveRun(video, model)
    try:
        return {"startup_s": run.wait_first_sample()}
    finally:
        run.stop()


def live_once(
    video: Path, model: Path, seconds: float, every_s: float = 1.0, warmup_s: float | None = None
) -> dict[str, Any]:
    """CPU share of one core and RSS of a paced, looping run after a warm-up."""
    warmup_s = min(WARMUP_S, seconds / 4) if warmup_s is None else warmup_s
    run = LiveRun(video, model)
    try:
        run.wait_first_sample()
        time.sleep(warmup_s)
        pid = run.proc.pid
        cpu0, wall0 = _cpu_s(pid), time.monotonic()
        rss = [_rss_mb(pid)]
        while time.monotonic() - wall0 < seconds:
            time.sleep(max(0.0, min(every_s, seconds - (time.monotonic() - wall0))))
            if run.proc.poll() is not None:
                raise RuntimeError("the run ended early:\n" + "\n".join(run.lines[-10:]))
            rss.append(_rss_mb(pid))
        cpu = _cpu_s(pid) - cpu0
        wall = time.monotonic() - wall0
    finally:
        run.stop()
    return {"cpu_percent": 100 * cpu / wall, "rss_mb": max(rss), "rss_samples_mb": rss}


def memory_once(video: Path, model: Path, minutes: float) -> dict[str, Any]:
    """RSS each minute after the warm-up: the last ten against the first ten.

    READINGS_A_MINUTE readings a minute, made into figures by `memory_figures`.
    """
    every_s = 60.0 / READINGS_A_MINUTE
    live = live_once(video, model, 60 * minutes, every_s=every_s, warmup_s=MEMORY_WARMUP_S)
    return memory_figures(live["rss_samples_mb"])


def memory_figures(readings: list[float], per_minute: int = READINGS_A_MINUTE) -> dict[str, Any]:
    """The soak's figures from its RSS readings (MB, `per_minute` a minute, in order).

    A minute's figure is the median of its readings: a reading taken while a
    frame is being analysed also counts that frame's buffers (about 1 MB each
    at 640x480, mapped and unmapped per frame), which is memory in flight, not
    growth. Growth is the highest minute of the last ten (at most half the
    minutes) over the highest of the first ten. `memory_peak_mb` is the
    highest single reading. Only whole minutes count: an hour's soak ends with
    one reading past its sixtieth minute, a single reading that could land mid-frame.
    """
    whole = max(1, len(readings) // per_minute) * per_minute
    rss = [statistics.median(readings[i : i + per_minute]) for i in range(0, whole, per_minute)]
    window = max(1, min(10, len(rss) // 2))
    first, last = max(rss[:window]), max(rss[-window:])
    return {
        "memory_rss_mb": max(rss),
        "memory_peak_mb": max(readings),
        "memory_first_mb": first,
        "memory_last_mb": last,
        "memory_growth_mb": last - first,
        "rss_samples_mb": rss,
    }
