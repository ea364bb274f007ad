"""Commands of the live monitor: `run`, and `pause`, `resume`, `snooze` for one running."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from monitor import settings as config
from monitor.cli import options
from monitor.errors import MonitorError


def add_parsers(sub: options.Subparsers) -> None:
    p = sub.add_parser(
        "run",
        help="monitor live from the webcam (the main job)",
        description="Watch from the webcam (or a recording paced like one): sitting time, "
        "breaks and posture drift, with a status line, alerts with sound, and everything "
        "recorded locally. Ctrl-C stops it and prints a summary.",
    )
    options.add_source_option(p)
    p.add_argument(
        "--profile", default=None, help="calibration profile name or path (default: default)"
    )
    p.add_argument(
        "--preview", action="store_true", help="show a window with the skeleton and metrics"
    )
    p.add_argument("--db", type=Path, help="database file (default: in the user data folder)")
    p.add_argument("--loop", action="store_true", help="with a video file: start over at the end")
    p.add_argument("--quiet", action="store_true", help="no chimes (alerts are still recorded)")
    p.add_argument(
        "--no-tray", dest="tray", action="store_false",
        help="no tray icon (default: one where there is a desktop; also desktop.tray)",
    )  # fmt: skip
    p.add_argument(  # also after the command: `posture-monitor run --verbose`
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="log more detail on stderr",
    )  # fmt: skip
    options.add_model_option(p)
    options.add_settings_options(p)

    p = sub.add_parser(
        "pause", help="pause a running monitor (camera released), e.g. 'pause 30m'",
        description="Pause monitoring for a while (a meeting): the camera is "
        "released and no alerts sound; monitoring resumes by itself.",
    )  # fmt: skip
    p.add_argument("duration", help="how long: 90s, 30m, 1h, 1h30m (a bare number is minutes)")
    sub.add_parser("resume", help="end a pause early")
    p = sub.add_parser(
        "snooze", help="postpone the next break alert, e.g. 'snooze 15m'",
        description="Postpone the next break alert of a running monitor "
        "(default: alerts.snooze_s).",
    )  # fmt: skip
    p.add_argument(
        "duration", nargs="?",
        help="how long: 90s, 15m, 1h, a bare number in minutes (default: alerts.snooze_s)",
    )  # fmt: skip


@options.command("run")
def run_command(args: argparse.Namespace) -> int:
    from monitor.app import session

    settings = options.load_settings(args).settings
    return session.run(
        args.source,
        settings,
        options.model(args),
        profile_name=args.profile or "default",
        profile_explicit=args.profile is not None,
        db=args.db,
        loop=args.loop,
        preview=args.preview,
        quiet=args.quiet,
        tray=args.tray,
    )


@options.command("pause")
def pause_command(args: argparse.Namespace) -> int:
    from monitor.storage import control

    until = control.request("pause", _duration(args.duration))
    print(f"paused until {_clock(until)}; 'posture-monitor resume' ends it early{_nobody()}")
    return 0


@options.command("resume")
def resume_command(args: argparse.Namespace) -> int:
    from monitor.storage import control

    print("resumed" if control.cancel("pause") else "was not paused")
    return 0


@options.command("snooze")
def snooze_command(args: argparse.Namespace) -> int:
    from monitor.storage import control

    seconds = _duration(args.duration) if args.duration else config.load().settings.alerts.snooze_s
    print(f"break alerts snoozed until {_clock(control.request('snooze', seconds))}{_nobody()}")
    return 0


def _nobody() -> str:
    """A note when no monitor runs: the request waits for the next one."""
    from monitor.storage import lock

    holder = lock.recorder(None)
    if holder is not None and holder.command in lock.MONITORS:  # replay and forget obey no pause
        return ""
    return (
        " (no monitor is running on the default database; a monitor on another "
        "database, or the next one started before then, obeys it)"
    )


def _duration(text: str) -> float:
    from monitor.core import quiet

    try:
        return quiet.parse_duration(text)
    except ValueError as exc:
        raise MonitorError(str(exc)) from None


def _clock(epoch: float) -> str:
    """A local time to the second, with the day when it is not today."""
    when, now = time.localtime(epoch), time.localtime()
    same_day = (when.tm_year, when.tm_yday) == (now.tm_year, now.tm_yday)
    return time.strftime("%H:%M:%S" if same_day else "%a %d %b %H:%M:%S", when)
