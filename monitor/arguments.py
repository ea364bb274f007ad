"""The command line's grammar: every command, option and argument type.

`monitor.cli` holds what each command does; this module only says what a
user may type, with types that reject bad values in the user's own terms.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from monitor import __version__, files, paths, settings
from monitor.errors import OutputError


def _number(lo: float, hi: float, whole: bool = False, why: str = "") -> Callable[[str], float]:
    """An argparse type for a number in a range, with an error that says the range (and `why`)."""
    kind, allowed = (int, "a whole number") if whole else (float, "a number")
    because = f": {why}" if why else ""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {allowed}: {text!r}") from None
        if not math.isfinite(value) or value < lo or value > hi:
            raise argparse.ArgumentTypeError(f"must be from {lo:g} to {hi:g}, got {text}{because}")
        return value

    return parse


_fps = _number(0, 1000)
_days = _number(1, 366, whole=True)
_volume = _number(0, 1)


# calibrate --seconds overrides posture.calibrate_s, so it takes that setting's range.
_CALIBRATE_S = settings.keys()["posture.calibrate_s"].metadata
_calibration_seconds = _number(
    _CALIBRATE_S["min"], _CALIBRATE_S["max"], why="as for posture.calibrate_s"
)


def _output(text: str) -> Path:
    """A file to write, refused at once (not after the work) when it cannot be written."""
    try:
        return files.require_writable(Path(text))
    except OutputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instant(text: str) -> float:
    """An ISO date-time (local time when it has no offset) as UTC epoch seconds."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date-time such as 2026-10-25T09:00 or "
            f"2026-10-25T09:00+01:00, got {text!r}"
        ) from None


def _add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", type=Path, metavar="PATH",
        help="the database (default: monitor.db in the platform's data folder)",
    )


def _span(text: str) -> tuple[float, float]:
    start, sep, end = text.partition(":")
    try:
        a, b = float(start), float(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END in seconds, got {text!r}") from None
    if not sep or a < 0 or b <= a:
        raise argparse.ArgumentTypeError(f"expected START:END with 0 <= START < END, got {text!r}")
    return a, b


def _add_settings_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", type=Path, help="TOML config file (default: the platform's config folder)"
    )
    p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. --set sitting.min_break_s=60 (repeatable)",
    )


def _add_model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        help="pose model: a variant (lite, full, heavy) or a .task file "
        "(default: $POSTURE_MONITOR_MODEL, else full)",
    )


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line on stderr, like every other error."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("the following arguments are required"):
            # Say what the command line should look like, not only what is missing.
            usage = " ".join(self.format_usage().split()[1:])
            self.exit(2, f"posture-monitor: error: {message}; usage: {usage}\n")
        self.exit(2, f"posture-monitor: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="posture-monitor",
        description="Webcam posture-and-sitting monitor: knows how long you have sat, notices "
        "posture drift from your calibrated neutral, and tells you before the damage is done.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "run",
        help="monitor live from the webcam (the main job)",
        description="Watch from the webcam (or a recording paced like one): sitting time, "
        "breaks and posture drift, with a status line, alerts with sound, and everything "
        "recorded locally. Ctrl-C stops it and prints a summary.",
    )
    p.add_argument("--source", default="0", help="camera index or video file (default: 0)")
    p.add_argument(
        "--profile", default=None, help="calibration profile name or path (default: default)"
    )
    p.add_argument(
        "--preview", action="store_true", help="show a window with the skeleton and metrics"
    )
    p.add_argument("--db", type=Path, help="database file (default: in the user data folder)")
    p.add_argument("--loop", action="store_true", help="with a video file: start over at the end")
    p.add_argument("--quiet", action="store_true", help="no chimes (alerts are still recorded)")
    p.add_argument(  # also after the command: `posture-monitor run --verbose`
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
        help="log more detail on stderr",
    )
    _add_model_option(p)
    _add_settings_options(p)

    p = sub.add_parser(
        "replay",
        help="run a recording through the monitor and summarise it",
        description="Analyse a video (or folder of images) on video time, as fast "
        "as the machine allows; print a summary and optionally write a timeline.",
    )
    p.add_argument("video", help="video file, or folder/glob of images")
    p.add_argument(
        "--fps",
        type=_fps,
        default=None,
        help="analyse at most N frames per second of video (0: every frame; default: sampling.fps)",
    )
    p.add_argument("--json", type=_output, metavar="OUT", help="write the timeline as JSON")
    p.add_argument(
        "--calibrate",
        type=_span,
        metavar="START:END",
        help="calibrate the neutral posture from this stretch (seconds) first",
    )
    p.add_argument("--profile", help="use a saved calibration profile (name or path)")
    p.add_argument(
        "--db", type=Path, metavar="PATH",
        help="record the replay into this database (for `report`)",
    )
    p.add_argument(
        "--start", type=_instant, metavar="ISO-DATETIME",
        help="with --db: the wall-clock time the video starts at (default: now, or where "
        "the database's recording ends if that is later)",
    )
    _add_model_option(p)
    _add_settings_options(p)

    p = sub.add_parser(
        "calibrate",
        help="record your neutral posture as a profile",
        description="Guided calibration: sit supported and upright, feet flat, "
        "lower back against the backrest; the monitor collects a few seconds of "
        "samples, checks them and saves a profile.",
    )
    p.add_argument("--source", default="0", help="camera index or video file (default: 0)")
    p.add_argument(
        "--profile", default="default", help="profile name or .json path (default: default)"
    )
    p.add_argument(
        "--start", type=_number(0, 24 * 3600), default=0.0,
        help="for a file: where to start, in seconds (0 or more)",
    )
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
    _add_model_option(p)
    _add_settings_options(p)

    p = sub.add_parser(
        "models",
        help="list pose model variants, or download one",
        description="List the pose model variants and what is installed; "
        "'models download VARIANT' fetches one (the only network access).",
    )
    p.add_argument("action", nargs="?", choices=["list", "download"], default="list")
    p.add_argument("variant", nargs="?", help="lite, full or heavy (for download)")
    p.add_argument("--url", help=argparse.SUPPRESS)

    p = sub.add_parser(
        "bench",
        help="measure per-stage cost on a recording",
        description="Time each stage (decode, colour conversion, inference, the "
        "rest) on a recording and report the pipeline's overhead over bare inference.",
    )
    p.add_argument("video")
    p.add_argument(
        "--fps", type=_fps, default=0.0, help="frames per second of video to analyse (0: all)"
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="repeat the measurement N times (default 3)"
    )
    p.add_argument("--json", type=_output, metavar="OUT", help="write the figures as JSON")
    p.add_argument(
        "--replay", action="store_true",
        help="per-stage cost of analysing every frame (the default when no mode is chosen)",
    )
    p.add_argument(
        "--live-minutes", type=float, default=0.0, metavar="N",
        help="CPU and memory of 'run --source VIDEO --loop' over N minutes",
    )
    p.add_argument(
        "--startup", action="store_true", help="time from 'run' to its first analysed sample"
    )
    p.add_argument(
        "--memory-minutes", type=float, default=0.0, metavar="N",
        help="resident memory of a looping run, sampled every minute for N minutes",
    )
    p.add_argument(
        "--alerts", type=float, default=0.0, metavar="SECONDS",
        help="alert latency of the live loop over SECONDS, with short alert settings",
    )
    p.add_argument(
        "--calibrate", type=_span, metavar="START:END",
        help="with --alerts: calibrate posture on this stretch so posture alerts can fire",
    )
    _add_model_option(p)

    p = sub.add_parser(
        "evaluate",
        help="score replays against hand labels",
        description="Replay each labelled clip (calibrating on its \"calibrate\" "
        "stretch, or else on the first seconds of its first segment labelled seated "
        "in good posture) and score presence and posture, and the still-photo sets; "
        "print per clip and set, overall, and per person (the rows a leave-one-person-out "
        "check compares). The clips are other "
        "people's recordings, so camera.mirrored does not apply to them.",
    )
    p.add_argument("clips", nargs="*", help="clip files as named in the labels (default: all)")
    p.add_argument(
        "--labels", type=Path, default=paths.REPO.parent / "shared" / "data" / "labels.json",
        help="the labels file (default: the shared data beside this repository, %(default)s)",
    )
    p.add_argument(
        "--stills", type=Path, default=None, metavar="JSON",
        help="the still-photo labels (default: stills_labels.json beside --labels); "
        "each set is calibrated on its listed photos and every other photo judged "
        "alone. Scored, with the sets MANIFEST.md labels by name, when no clip is named "
        "(or name a set's folder)",
    )
    p.add_argument("--fps", type=_fps, default=None, help="as for replay")
    p.add_argument("--json", type=_output, metavar="OUT", help="write the scores as JSON")
    p.add_argument(
        "--timeline", type=Path, action="append", default=[], metavar="JSON",
        help="score this timeline (from 'replay --json') instead of replaying; its "
        "source names the clip (repeatable)",
    )
    _add_model_option(p)
    _add_settings_options(p)

    p = sub.add_parser(
        "sound",
        help="play an alert chime once, to test your speakers",
        description="Play the break or posture chime once through the best sound "
        "backend that works (simpleaudio, then paplay/aplay/afplay or winsound, then "
        "the terminal bell) and say which one; exit 1 with the reason if none could.",
    )
    p.add_argument(
        "kind", nargs="?", choices=["break", "posture"], default="break", help="default: break"
    )
    p.add_argument("--repeat", action="store_true", help="the more insistent repeat variant")
    p.add_argument("--volume", type=_volume, metavar="V", help="0 to 1 (default: sound.volume)")
    _add_settings_options(p)

    p = sub.add_parser(
        "report",
        help="the daily sitting report: terminal table, HTML, JSON, CSV",
        description="How you sat on a day (local time): monitored, sitting, standing and "
        "away time; breaks and sitting bouts; break alerts heeded; posture drift and "
        "pelvic tilt; and how good the data was.",
    )
    p.add_argument(
        "--date", default="today", help="YYYY-MM-DD, today or yesterday (default: today)"
    )
    p.add_argument(
        "--days", type=_days, default=1, help="N days ending with --date, with a trend (default 1)"
    )
    p.add_argument("--tz", help="time zone for days, e.g. Europe/London (default: the system's)")
    _add_db_option(p)
    p.add_argument("--json", type=_output, metavar="OUT", help="write the figures as JSON")
    p.add_argument("--html", type=_output, metavar="OUT", help="write a self-contained HTML report")
    p.add_argument(
        "--csv", type=_output, metavar="OUT", help="write the per-minute timeline as CSV"
    )

    p = sub.add_parser(
        "data",
        help="export or delete recorded data",
        description="'data export --out DIR|FILE.csv' writes samples, events and sessions "
        "as CSV; 'data forget --before DATE' deletes everything recorded before that "
        "local date and compacts the database.",
    )
    # Each action has its own options, --out or --before required: a command
    # line without it is a usage error (status 2), like any other.
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser(
        "export", help="write the recorded data as CSV files",
        description="Write samples, events and sessions as CSV: into a folder, as "
        "samples.csv, events.csv and sessions.csv; or, given FILE.csv, as FILE.csv (the "
        "samples) with FILE-events.csv and FILE-sessions.csv beside it.",
    )  # fmt: skip
    _add_db_option(a)
    a.add_argument(
        "--out", type=Path, required=True, metavar="DIR|FILE.csv",
        help="where to: a folder (made if missing), or FILE.csv for the samples, with "
        "FILE-events.csv and FILE-sessions.csv beside it",
    )  # fmt: skip
    a = actions.add_parser(
        "forget", help="delete everything recorded before a date",
        description="Delete everything recorded before a local date and compact the database.",
    )  # fmt: skip
    _add_db_option(a)
    a.add_argument(
        "--before", required=True, metavar="DATE",
        help="delete what was recorded before this local date: YYYY-MM-DD, today or yesterday",
    )  # fmt: skip
    a.add_argument("--tz", help="time zone for --before (default: the system's)")

    p = sub.add_parser("pause", help="pause a running monitor (camera released), e.g. 'pause 30m'",
                       description="Pause monitoring for a while (a meeting): the camera is "
                       "released and no alerts sound; monitoring resumes by itself.")
    p.add_argument("duration", help="how long: 90s, 30m, 1h, 1h30m (a bare number is minutes)")
    sub.add_parser("resume", help="end a pause early")
    p = sub.add_parser("snooze", help="postpone the next break alert, e.g. 'snooze 15m'",
                       description="Postpone the next break alert of a running monitor "
                       "(default: alerts.snooze_s).")
    p.add_argument(
        "duration", nargs="?",
        help="how long: 90s, 15m, 1h, a bare number in minutes (default: alerts.snooze_s)",
    )

    p = sub.add_parser("config", help="show every setting, its value and where it came from")
    _add_settings_options(p)
    return parser
