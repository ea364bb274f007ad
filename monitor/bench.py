"""`posture-monitor bench`: per-stage cost of the pipeline on a recording.

One run decodes the analysed frames, converts colour, runs inference, and
does everything else (our conversion to samples and the tracker), timing
each stage; then it runs bare PoseLandmarker inference on the same decoded
frames, so the pipeline's overhead is measured against the floor in one go.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import cv2

from monitor import settings as config
from monitor.pose import PoseEstimator, _native_stderr_quiet
from monitor.sources import VideoFileSource
from monitor.tracker import Tracker

STAGES = ("decode", "colour", "inference", "rest")


def _once(video: Path, model: Path, max_fps: float | None) -> dict[str, float]:
    source = VideoFileSource(video)
    totals = dict.fromkeys(STAGES, 0.0)
    count = 0
    tracker = Tracker(config.DEFAULTS)
    with PoseEstimator(model) as estimator:
        started = time.perf_counter()
        iterator = source.frames(max_fps)
        while True:
            t0 = time.perf_counter()
            frame = next(iterator, None)
            if frame is None:
                break
            t1 = time.perf_counter()
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            t2 = time.perf_counter()
            sample = estimator.estimate_rgb(frame.t_s, rgb)
            t3 = time.perf_counter()
            tracker.step(sample)
            t4 = time.perf_counter()
            totals["decode"] += t1 - t0
            totals["colour"] += t2 - t1
            totals["inference"] += t3 - t2
            totals["rest"] += t4 - t3
            count += 1
        pipeline_s = time.perf_counter() - started
    source.close()
    # The floor: bare MediaPipe on the same frames, decoded and converted again
    # outside the clock (holding them all would take gigabytes on a long clip).
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=2,
    )
    with _native_stderr_quiet():
        landmarker = vision.PoseLandmarker.create_from_options(options)
    bare_s = 0.0
    again = VideoFileSource(video)
    with landmarker:
        for frame in again.frames(max_fps):
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            t0 = time.perf_counter()
            landmarker.detect_for_video(
                mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), round(frame.t_s * 1000)
            )
            bare_s += time.perf_counter() - t0
    again.close()
    n = max(count, 1)
    result = {f"{k}_ms": 1000 * v / n for k, v in totals.items()}
    result.update(
        frames=count,
        pipeline_ms=1000 * pipeline_s / n,
        bare_inference_ms=1000 * bare_s / n,
        overhead_ratio=(pipeline_s - bare_s) / bare_s if bare_s else 0.0,
    )
    return result


def run(video: Path, model: Path, max_fps: float | None, repeat: int) -> dict[str, Any]:
    runs = [_once(video, model, max_fps) for _ in range(repeat)]
    figures = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        figures[key] = {"min": min(values), "median": statistics.median(values), "max": max(values)}
    return {
        "video": str(video),
        "model": str(model),
        "fps": max_fps or 0,
        "repeat": repeat,
        "figures": figures,
    }


def format_report(report: dict[str, Any]) -> str:
    f = report["figures"]
    lines = [
        f"{report['video']} with {Path(report['model']).name}, "
        f"{int(f['frames']['median'])} frames, {report['repeat']} runs (min / median / max)"
    ]
    for key in [*(f"{s}_ms" for s in STAGES), "pipeline_ms", "bare_inference_ms"]:
        v = f[key]
        lines.append(f"  {key:20} {v['min']:7.2f} {v['median']:7.2f} {v['max']:7.2f} ms/frame")
    v = f["overhead_ratio"]
    lines.append(
        f"  {'overhead vs bare':20} {100 * v['min']:6.1f}% {100 * v['median']:6.1f}% "
        f"{100 * v['max']:6.1f}%"
    )
    return "\n".join(lines)
