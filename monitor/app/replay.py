"""Replay a recording through the pipeline on video time, as fast as it goes.

Two passes: the pose model turns frames into samples (the slow part, with a
progress bar), then the pure tracker turns samples into a timeline. Keeping
them apart lets `--calibrate START:END` take the baseline from a stretch of
the same recording before judging every sample.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitor.capture.pose import PoseEstimator
from monitor.capture.sources import FrameSource, open_source
from monitor.core import metrics
from monitor.core import profile as profiles
from monitor.core.posture import NOT_OBSERVABLE
from monitor.core.profile import Profile
from monitor.core.sample import PoseSample
from monitor.core.sitting import SittingEvent
from monitor.core.tracker import Step, Tracker
from monitor.core.values import PostureState
from monitor.errors import ProfileError
from monitor.report.timeline import Timeline
from monitor.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]


@dataclass
class Estimated:
    source: str
    duration_s: float
    samples: list[PoseSample]
    mirrored: bool = False  # estimated as a mirrored feed: a profile from it says so


# What turns the samples into a timeline, given the profile (default: `track`).
Track = Callable[[Estimated, Profile | None], Timeline]


def estimate(
    source: FrameSource,
    model_path: Path,
    max_fps: float | None,
    progress: Progress | None = None,
    mirrored: bool = False,
) -> Estimated:
    """Run the pose model over the source's frames (at most `max_fps` a second);
    `mirrored` as the camera.mirrored setting."""
    duration = float(getattr(source, "duration_s", 0.0))
    samples: list[PoseSample] = []
    with PoseEstimator(model_path, stills=source.stills, mirrored=mirrored) as estimator:
        for frame in source.frames(max_fps):
            samples.append(estimator.estimate(frame.t_s, frame.image))
            if progress:
                progress(frame.t_s, duration)
    # Once read, the source knows its true length: a truncated file's header
    # promises more than it holds.
    duration = float(getattr(source, "duration_s", duration))
    if samples and duration <= samples[-1].t_s:
        duration = samples[-1].t_s
    return Estimated(source.name, duration, samples, mirrored)


def calibrate_from(
    samples: list[PoseSample], start_s: float, end_s: float, name: str, mirrored: bool = False
) -> Profile:
    """A profile from the samples between `start_s` and `end_s`, estimated `mirrored`."""
    stretch = [s for s in samples if start_s <= s.t_s <= end_s]
    if not stretch:
        raise ProfileError(f"no analysed frames between {start_s:g} s and {end_s:g} s")
    return profiles.build(stretch, name, mirrored)


def track(
    estimated: Estimated,
    settings: Settings,
    profile: Profile | None,
    on_step: Callable[[Step, PoseSample], None] | None = None,
    on_finish: Callable[[float, list[SittingEvent]], None] | None = None,
) -> Timeline:
    """The timeline of the samples; `on_step`/`on_finish` see each step (e.g. to record)."""
    tracker = Tracker(settings, profile)
    timeline = Timeline(estimated.source, estimated.duration_s, len(estimated.samples))
    observable = False
    for sample in estimated.samples:
        step = tracker.step(sample)
        timeline.samples.append(step.sample)
        timeline.alerts.extend(step.alerts)
        observable |= "pelvic_tilt_deg" in step.sample.metrics
        if on_step is not None:
            on_step(step, sample)
    final = tracker.finish(estimated.duration_s)
    if on_finish is not None:
        on_finish(estimated.duration_s, final)
    timeline.bouts = list(tracker.bouts)
    timeline.breaks = list(tracker.breaks)
    if profile is not None:
        _say_if_the_view_differs(estimated, timeline, profile)
        timeline.extra["profile"] = {"name": profile.name, "view": profile.view.value}
        if not observable:
            timeline.extra["pelvic_tilt"] = NOT_OBSERVABLE
    return timeline


def _say_if_the_view_differs(estimated: Estimated, timeline: Timeline, profile: Profile) -> None:
    """Once, on stderr: no posture was judged because the recording is seen
    from another view than the profile's (else every sample is a silent unknown)."""
    if any(s.posture is not PostureState.UNKNOWN for s in timeline.samples):
        return
    views = Counter(v for v in map(metrics.detect_view, estimated.samples) if v is not None)
    if not views:
        return
    seen, _ = views.most_common(1)[0]
    if seen is not profile.view:
        log.warning(
            "posture is not judged: profile '%s' was calibrated in the %s view, and this "
            "recording is seen from the %s; calibrate on it (--calibrate START:END) or use "
            "a profile from a %s camera",
            profile.name, profile.view.value, seen.value, seen.value,
        )  # fmt: skip


def estimate_video(
    video: str,
    model_path: Path,
    max_fps: float | None,
    progress_label: str | None = None,
    mirrored: bool = False,
) -> Estimated:
    """`estimate` over a recording (or a folder of stills) named by path.

    `progress_label` shows a progress bar on stderr while estimating.
    """
    source = open_source(video)
    try:
        progress = stderr_progress(progress_label) if progress_label is not None else None
        return estimate(source, model_path, max_fps, progress, mirrored)
    finally:
        source.close()
        if progress_label is not None:
            sys.stderr.write("\n")


def timeline_of(
    estimated: Estimated,
    settings: Settings,
    profile: Profile | None = None,
    calibrate: tuple[float, float] | None = None,
    name: str = "replay",
    on_calibration_error: Callable[[ProfileError], None] | None = None,
    track_with: Track | None = None,
) -> Timeline:
    """The timeline of estimated samples: calibrate, then track.

    With `calibrate` (START, END seconds) the profile, named `name`, is built
    from that stretch and replaces `profile`; if that fails the ProfileError
    goes to `on_calibration_error` and `profile` stays, or without one it is
    raised. `track_with` replaces the plain `track` (e.g. to record each step).
    """
    if calibrate is not None:
        start_s, end_s = calibrate
        if start_s < estimated.duration_s < end_s:  # wholly past the end fails below
            log.warning(
                "the calibration stretch %g-%g s runs past the recording's end: "
                "calibrating on %g-%.1f s",
                start_s, end_s, start_s, estimated.duration_s,
            )  # fmt: skip
        try:
            profile = calibrate_from(
                estimated.samples, *calibrate, name=name, mirrored=estimated.mirrored
            )
        except ProfileError as exc:
            if on_calibration_error is None:
                raise
            on_calibration_error(exc)
    if track_with is not None:
        return track_with(estimated, profile)
    return track(estimated, settings, profile)


def analyse(
    video: str,
    model_path: Path,
    max_fps: float | None,
    settings: Settings,
    profile: Profile | None = None,
    calibrate: tuple[float, float] | None = None,
    name: str = "replay",
    progress_label: str | None = None,
    on_calibration_error: Callable[[ProfileError], None] | None = None,
    track_with: Track | None = None,
    mirrored: bool | None = None,
) -> Timeline:
    """A recording's timeline: estimate its poses (`estimate_video`), then
    calibrate and track them (`timeline_of`, which explains the rest).

    `mirrored` (default: settings.camera.mirrored) says whether the recording is mirrored.
    """
    if mirrored is None:
        mirrored = settings.camera.mirrored
    estimated = estimate_video(video, model_path, max_fps, progress_label, mirrored)
    return timeline_of(
        estimated, settings, profile, calibrate, name, on_calibration_error, track_with
    )


def stderr_progress(label: str, every_s: float = 0.25) -> Progress:
    """A progress bar on stderr, redrawn at most every `every_s` of wall time;
    into a pipe or a log file, where carriage returns pile up, nothing."""
    last = [0.0]

    def show(t_s: float, duration_s: float) -> None:
        if not _is_terminal(sys.stderr):
            return
        now = time.monotonic()
        if now - last[0] < every_s and t_s < duration_s:
            return
        last[0] = now
        if duration_s > 0:
            share = min(1.0, t_s / duration_s)
            bar = "#" * int(30 * share)
            sys.stderr.write(f"\r{label} [{bar:<30}] {t_s:6.1f}/{duration_s:.1f} s")
        else:
            sys.stderr.write(f"\r{label} {t_s:6.1f} s")
        sys.stderr.flush()

    return show


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):  # None, or closed
        return False


def summary(timeline: Timeline) -> str:
    counts: dict[str, int] = {}
    for s in timeline.samples:
        counts[s.presence.value] = counts.get(s.presence.value, 0) + 1
    drift = sum(1 for s in timeline.samples if s.posture.value == "drift")
    good = sum(1 for s in timeline.samples if s.posture.value == "good")
    parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    sitting = sum(b.duration_s for b in timeline.bouts)
    lines = [
        f"{timeline.source}: {timeline.duration_s:.1f} s, "
        f"{timeline.analysed_frames} frames analysed",
        f"  presence: {parts or 'no frames'}",
        f"  posture: good {good}, drift {drift}, unknown {len(timeline.samples) - good - drift}",
        f"  sitting bouts: {len(timeline.bouts)} ({sitting:.1f} s), "
        f"breaks: {len(timeline.breaks)}, alerts: {len(timeline.alerts)}",
    ]
    return "\n".join(lines)
