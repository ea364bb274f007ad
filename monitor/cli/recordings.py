"""Commands that read a recording or the camera for one job: `replay` and `calibrate`."""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import settings as config
from monitor.cli import options
from monitor.errors import ProfileError

if TYPE_CHECKING:
    from monitor.app.replay import Estimated
    from monitor.core.profile import Profile
    from monitor.report.timeline import Timeline

# calibrate --seconds overrides posture.calibrate_s, so it takes that setting's range.
_CALIBRATE_S = config.keys()["posture.calibrate_s"].metadata
_calibration_seconds = options.number(
    _CALIBRATE_S["min"], _CALIBRATE_S["max"], why="as for posture.calibrate_s"
)


LAST_START = 253_370_678_400.0  # 9998-12-31 UTC: a report reaches a day past its last


def _instant(text: str) -> float:
    """An ISO date-time (local time when it has no offset) as UTC epoch seconds."""
    from datetime import datetime

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date-time such as 2026-10-25T09:00 or "
            f"2026-10-25T09:00+01:00, got {text!r}"
        ) from None
    try:
        t = when.timestamp()
    except (OverflowError, OSError, ValueError):  # year 1, say, in a zone east of Greenwich
        t = -1.0 if when.year < 1970 else float("inf")
    if t < 0:  # recordings are in Unix time: a report cannot show a day before 1970
        raise argparse.ArgumentTypeError(f"{text!r} is before 1970, which cannot be reported")
    if t > LAST_START:
        raise argparse.ArgumentTypeError(f"{text!r} is after 9998, which cannot be reported")
    return t


def add_parsers(sub: options.Subparsers) -> None:
    p = sub.add_parser(
        "replay",
        help="run a recording through the monitor and summarise it",
        description="Analyse a video (or folder of images) on video time, as fast "
        "as the machine allows; print a summary and optionally write a timeline.",
    )
    p.add_argument("video", help="video file, or folder/glob of images")
    p.add_argument(
        "--fps",
        type=options.fps,
        default=None,
        help="analyse at most N frames per second of video (0: every frame; default: sampling.fps)",
    )
    p.add_argument("--json", type=options.output, metavar="OUT", help="write the timeline as JSON")
    p.add_argument(
        "--calibrate",
        type=options.span,
        metavar="START:END",
        help="calibrate the neutral posture from this stretch (seconds) first",
    )
    p.add_argument("--profile", help="use a saved calibration profile (name or path)")
    p.add_argument(
        "--db", type=Path, metavar="PATH",
        help="record the replay into this database (for `report`)",
    )  # fmt: skip
    p.add_argument(
        "--start", type=_instant, metavar="ISO-DATETIME",
        help="with --db: the wall-clock time the video starts at (default: now, or where "
        "the database's recording ends if that is later)",
    )  # fmt: skip
    options.add_model_option(p)
    options.add_settings_options(p)

    p = sub.add_parser(
        "calibrate",
        help="record your neutral posture as a profile",
        description="Guided calibration: sit supported and upright, feet flat, "
        "lower back against the backrest; the monitor collects a few seconds of "
        "samples, checks them and saves a profile.",
    )
    options.add_source_option(p)
    p.add_argument(
        "--profile", default="default", help="profile name or .json path (default: default)"
    )
    p.add_argument(
        "--start", type=options.number(0, 24 * 3600), default=0.0,
        help="for a file: where to start, in seconds (0 or more)",
    )  # fmt: skip
    p.add_argument(
        "--seconds",
        type=_calibration_seconds,
        default=None,
        help=f"how long to collect, {_CALIBRATE_S['min']:g} to {_CALIBRATE_S['max']:g} s "
        "(default: posture.calibrate_s)",
    )
    p.add_argument(
        "--countdown",
        type=int,
        default=3,
        help="seconds of countdown before collecting (camera only)",
    )
    p.add_argument("--db", type=Path, help="database recording calibrations (default: user data)")
    options.add_model_option(p)
    options.add_settings_options(p)


@options.command("replay")
def replay_command(args: argparse.Namespace) -> int:
    from monitor.app import recorded_replay, replay
    from monitor.storage import lock, profiles

    settings = options.load_settings(args).settings
    model_path = options.model(args)
    # A profile of the other mirroring is refused: its tilts would have the other sign.
    profile = profiles.load(args.profile, settings.camera.mirrored) if args.profile else None
    max_fps = settings.sampling.fps if args.fps is None else (args.fps or None)

    def calibration_failed(exc: ProfileError) -> None:
        # The recording is still worth a timeline: presence and sitting
        # do not need a baseline.
        print(
            f"posture-monitor: warning: calibration failed: {exc}; posture is not judged",
            file=sys.stderr,
        )

    def into_store(estimated: Estimated, used: Profile | None) -> Timeline:
        if held is not None:
            held.hold_file(create=True)  # one made just now is held through every path too
        calibrated = used is not None and used is not profile  # built from --calibrate
        return recorded_replay.record(
            estimated, settings, used, db=args.db, start=args.start, model=str(model_path),
            calibrated_at=args.calibrate[0] if calibrated else None,
        )  # fmt: skip

    # Recording to a database is recording like `run`: one at a time, or the
    # day counts twice. Taken before the slow analysis, so a clash says so at once.
    with lock.recording(args.db, "replay") if args.db else nullcontext() as held:
        if args.db:
            recorded_replay.refuse_early(args.video, args.db, args.start)
        timeline = replay.analyse(
            args.video, model_path, max_fps, settings, profile, calibrate=args.calibrate,
            progress_label="replay", on_calibration_error=calibration_failed,
            track_with=into_store if args.db else None,
        )  # fmt: skip
    if args.json:
        timeline.write(args.json)
    if profile is None and args.calibrate is None:
        # Unlike run, replay takes no saved profile unasked: a recording may be anyone's.
        yours = profiles.path_for(profiles.DEFAULT_NAME).exists()
        print("posture-monitor: note: posture is not judged without a baseline: add "
              f"--profile NAME{' (yours: --profile default)' if yours else ''} or "
              "--calibrate START:END", file=sys.stderr)  # fmt: skip
    elif profile is not None and args.calibrate is not None:
        print(f"posture-monitor: note: --calibrate replaced --profile {args.profile}",
              file=sys.stderr)  # fmt: skip
    print(replay.summary(timeline))
    if args.json:
        print(f"wrote {args.json}")
    return 0


@options.command("calibrate")
def calibrate_command(args: argparse.Namespace) -> int:
    from monitor.app import calibration
    from monitor.storage.store import Store

    settings = options.load_settings(args).settings
    seconds = args.seconds or settings.posture.calibrate_s
    # The history of calibrations (for the report) is opened first, so that a
    # database that cannot be written fails before the user sits still and
    # before a profile is saved.
    with Store.open(args.db) as store:
        profile, path = calibration.guided(
            args.source, args.profile, options.model(args), seconds, args.start, args.countdown,
            mirrored=settings.camera.mirrored,
        )  # fmt: skip
        print(
            f"saved profile '{profile.name}' ({profile.view.value} view, {profile.samples} "
            f"samples, {len(profile.baseline)} metrics) to {path}"
        )
        if profile.note:
            print(f"note: {profile.note}")
        store.add_calibration(time.time(), profile)
    return 0
