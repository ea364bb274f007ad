"""`posture-monitor bench`: what the monitor costs, measured on a recording.

Modes (each repeated `--repeat` times and reported as min / median / max):

- **replay** (the default): per-stage cost of analysing every frame. Each
  frame is decoded once (timed on its own), then goes through our pipeline
  (colour conversion with the low-light lift, pose estimation with its
  conversion to a sample, the tracker) and through a bare PoseLandmarker on
  the same RGB pixels. The two run interleaved, alternating which goes
  first, so that background load and caches hit both alike; the overhead
  is pipeline over bare, decode excluded.
- **live** (`--live-minutes N`): `run --source VIDEO --loop` in a subprocess
  at default settings; CPU (utime + stime from /proc/PID/stat) over wall time
  after a warm-up, and resident memory.
- **startup** (`--startup`): from starting `run` to its first analysed sample
  (the status line it prints for it), model loading included.
- **memory** (`--memory-minutes N`): like live, RSS each minute (the median
  of 12 readings) after a two-minute warm-up; compares the last ten minutes
  with the first ten.
- **alerts** (`--alerts`): the live loop in-process on the paced file with
  short alert settings; how late each break alert fires after its due time
  (in analysed frames) and each posture alert after drift onset + hold.

Live, start-up and memory run the monitor in a subprocess: `bench_live.py`.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2

from monitor import settings as config
from monitor.devtools.process_meter import live_once, memory_once, startup_once

STAGES = ("decode", "colour", "inference", "rest")


# -- replay: pipeline against bare inference, frame by frame ------------------


def replay_once(video: Path, model: Path, max_fps: float | None) -> dict[str, float]:
    import mediapipe as mp

    from monitor.capture.exposure import lift_dark
    from monitor.capture.pose import PoseEstimator, close_quietly, create_landmarker
    from monitor.capture.sources import VideoFileSource
    from monitor.core.tracker import Tracker

    totals = dict.fromkeys(STAGES, 0.0)
    bare_s = 0.0
    count = 0
    tracker = Tracker(config.DEFAULTS)
    source = VideoFileSource(video)  # a bad file fails here, before a model loads
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(source.close)
        bare = create_landmarker(model)  # the same options as the monitor's
        cleanup.callback(close_quietly, bare)  # not left to __del__ at exit
        estimator = cleanup.enter_context(PoseEstimator(model))
        frames = source.frames(max_fps)
        while True:
            t0 = time.perf_counter()
            frame = next(frames, None)
            if frame is None:
                break
            totals["decode"] += time.perf_counter() - t0
            t1 = time.perf_counter()
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            lift_dark(rgb)  # as PoseEstimator.estimate does; the bare model sees it too
            totals["colour"] += time.perf_counter() - t1
            for turn in (count % 2, 1 - count % 2):  # alternate which goes first
                t1 = time.perf_counter()
                if turn == 0:
                    sample = estimator.estimate_rgb(frame.t_s, rgb)
                    t2 = time.perf_counter()
                    tracker.step(sample)
                    totals["inference"] += t2 - t1
                    totals["rest"] += time.perf_counter() - t2
                else:
                    image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                    bare.detect_for_video(image, round(frame.t_s * 1000))
                    bare_s += time.perf_counter() - t1
            count += 1
    n = max(count, 1)
    analysis_s = totals["colour"] + totals["inference"] + totals["rest"]
    result = {f"{k}_ms": 1000 * v / n for k, v in totals.items()}
    result.update(
        frames=count,
        pipeline_ms=1000 * (totals["decode"] + analysis_s) / n,
        analysis_ms=1000 * analysis_s / n,  # the pipeline after decoding
        bare_inference_ms=1000 * bare_s / n,
        overhead_ratio=(analysis_s - bare_s) / bare_s if bare_s else 0.0,
    )
    return result


# -- alert latency: the live loop in-process -----------------------------------


def alerts_once(
    video: Path,
    model: Path,
    seconds: float,
    calibrate: tuple[float, float] | None,
    break_after_s: float = 20.0,
    hold_s: float = 1.0,
) -> dict[str, float]:
    """Break alerts: analysed frames late; posture alerts: seconds late after onset + hold."""
    from monitor.app import replay
    from monitor.app.monitor_loop import LiveMonitor
    from monitor.capture.live import PacedFile
    from monitor.capture.pose import PoseEstimator
    from monitor.core.tracker import Tracker

    settings = config.build(
        {"alerts.break_after_s": break_after_s, "alerts.break_repeat_s": break_after_s,
         "posture.hold_s": hold_s, "posture.repeat_s": hold_s},
        "bench",
    ).settings  # fmt: skip
    profile = None
    if calibrate is not None:  # the baseline as replay takes it, at 5 frames a second
        estimated = replay.estimate_video(str(video), model, 5.0)
        profile = replay.calibrate_from(estimated.samples, *calibrate, name="bench")
    # Not replay's tracking after that: alert latency is the live loop's, paced
    # in wall time with its own frame rate (sampling.*), so the alerts come from
    # LiveMonitor on the looping file, as in `run`.
    break_late: list[float] = []
    posture_late: list[float] = []
    state: dict[str, Any] = {"drift_since": None, "last_t": None}
    with PoseEstimator(model) as estimator, open(os.devnull, "w") as discard:
        tracker = Tracker(settings, profile)
        monitor: LiveMonitor

        def on_frame(image, sample, step, rate) -> bool:  # type: ignore[no-untyped-def]
            t = sample.t_s
            interval = t - state["last_t"] if state["last_t"] is not None else 1.0 / rate
            state["last_t"] = t
            due = state.get("break_due")
            for alert in step.alerts:
                if alert.kind == "break" and due is not None:
                    break_late.append(max(0.0, alert.t - due) / max(interval, 1e-6))
                if alert.kind == "posture" and state["drift_since"] is not None:
                    posture_late.append(alert.t - state["drift_since"] - hold_s)
                    state["drift_since"] = alert.t - hold_s  # a repeat is due hold_s on
            if step.sample.issues and state["drift_since"] is None:
                state["drift_since"] = t
            if not step.sample.issues:
                state["drift_since"] = None
            state["break_due"] = tracker.break_alerts.due_at()
            return time.monotonic() < deadline

        monitor = LiveMonitor(
            lambda: PacedFile(video, loop=True),
            estimator,
            tracker,
            settings,
            out=discard,
            on_frame=on_frame,
        )
        deadline = time.monotonic() + seconds
        monitor.run()
    result = {"break_alerts": float(len(break_late)), "posture_alerts": float(len(posture_late))}
    if break_late:
        result["break_late_frames"] = max(break_late)
    if posture_late:
        result["posture_late_s"] = max(posture_late)
    return result


# -- repeats and the report ----------------------------------------------------


def _spread(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    figures = {}
    for key in runs[0]:
        values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        if values:
            figures[key] = {
                "min": min(values), "median": statistics.median(values), "max": max(values)
            }  # fmt: skip
    return figures


def repeated(fn: Callable[[], dict[str, Any]], repeat: int, report: dict[str, Any]) -> None:
    runs = [fn() for _ in range(repeat)]
    report["figures"].update(_spread(runs))
    samples = [r["rss_samples_mb"] for r in runs if "rss_samples_mb" in r]
    if samples:
        report.setdefault("rss_samples_mb", {})[fn.__name__] = samples


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0]}


def run(
    video: Path,
    model: Path,
    max_fps: float | None,
    repeat: int,
    *,
    replay: bool = True,
    live_minutes: float = 0.0,
    startup: bool = False,
    memory_minutes: float = 0.0,
    alerts_seconds: float = 0.0,
    calibrate: tuple[float, float] | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "video": str(video), "model": str(model), "fps": max_fps or 0,
        "repeat": repeat, "machine": machine(), "modes": [], "figures": {},
    }  # fmt: skip

    def measure(mode: str, fn: Callable[[], dict[str, Any]], times: int = repeat) -> None:
        fn.__name__ = mode
        report["modes"].append(mode)
        repeated(fn, times, report)

    if replay:
        measure("replay", lambda: replay_once(video, model, max_fps))
    if startup:
        measure("startup", lambda: startup_once(video, model))
    if live_minutes:
        measure("live", lambda: live_once(video, model, 60 * live_minutes))
    if alerts_seconds:
        measure("alerts", lambda: alerts_once(video, model, alerts_seconds, calibrate))
    if memory_minutes:  # long: once
        measure("memory", lambda: memory_once(video, model, memory_minutes), 1)
    return report


MODE_KEYS = {
    "replay": ("decode_ms", "colour_ms", "inference_ms", "rest_ms", "pipeline_ms",
               "analysis_ms", "bare_inference_ms", "overhead_ratio"),
    "startup": ("startup_s",),
    "live": ("cpu_percent", "rss_mb"),
    "alerts": ("break_alerts", "break_late_frames", "posture_alerts", "posture_late_s"),
    "memory": ("memory_rss_mb", "memory_peak_mb", "memory_first_mb", "memory_last_mb",
               "memory_growth_mb"),
}  # fmt: skip
UNITS = {
    "_ms": "ms/frame", "_s": "s", "_percent": "% of one core", "_mb": "MB",
    "_ratio": "", "_frames": "analysed frames late", "alerts": "alerts",
}  # fmt: skip


def _unit(key: str) -> str:
    return next((u for suffix, u in UNITS.items() if key.endswith(suffix)), "")


def format_report(report: dict[str, Any]) -> str:
    m, f = report["machine"], report["figures"]
    frames = f"{int(f['frames']['median'])} frames, " if "frames" in f else ""
    lines = [
        f"{report['video']} with {Path(report['model']).name}, {frames}{report['repeat']} runs "
        f"(min / median / max); {m['nproc']} cores, {m['cpu']}"
    ]
    for mode in report["modes"]:
        lines.append(f"{mode}:" + (" (one run)" if mode == "memory" else ""))
        for key in MODE_KEYS[mode]:
            if key not in f:
                continue
            v = f[key]
            if key == "overhead_ratio":
                lines.append(
                    f"  {'overhead vs bare':20} {100 * v['min']:7.1f}% {100 * v['median']:7.1f}% "
                    f"{100 * v['max']:7.1f}%  (analysis over bare inference, decode excluded)"
                )
            else:
                lines.append(
                    f"  {key:20} {v['min']:8.2f} {v['median']:8.2f} {v['max']:8.2f} {_unit(key)}"
                )
    return "\n".join(lines)
