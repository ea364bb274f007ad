"""The `posture-monitor` command line: a thin layer over the library.

Each command builds objects, calls the library, and turns the named errors
of `monitor.errors` into a one-line message and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from monitor import __version__
from monitor import settings as config
from monitor.errors import MonitorError, ProfileError

log = logging.getLogger("monitor")

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register


def _number(lo: float, hi: float, whole: bool = False, above_lo: bool = False):  # type: ignore[no-untyped-def]
    """An argparse type for a number in a range, with an error that says the range."""
    kind, allowed = (int, "a whole number") if whole else (float, "a number")
    bound = f"more than {lo:g} and at most {hi:g}" if above_lo else f"from {lo:g} to {hi:g}"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {allowed}: {text!r}") from None
        if value < lo or value > hi or (above_lo and value == lo):
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    return parse


_fps = _number(0, 1000)
_days = _number(1, 366, whole=True)
_seconds = _number(0, 3600, above_lo=True)
_volume = _number(0, 1)


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
    p.add_argument("--json", type=Path, metavar="OUT", help="write the timeline as JSON")
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
        help="with --db: the wall-clock time the video starts at (default: now)",
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
        "--start", type=float, default=0.0, help="for a file: where to start, in seconds"
    )
    p.add_argument(
        "--seconds",
        type=_seconds,
        default=None,
        help="how long to collect (default: posture.calibrate_s)",
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
    p.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
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
        description="Replay each labelled clip (calibrating on its labelled "
        "neutral stretch when it has one) and score presence and posture.",
    )
    p.add_argument("clips", nargs="*", help="clip files as named in the labels (default: all)")
    p.add_argument("--labels", type=Path, default=Path("../shared/data/labels.json"))
    p.add_argument("--fps", type=_fps, default=None, help="as for replay")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the scores as JSON")
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
    p.add_argument("--json", type=Path, metavar="OUT", help="write the figures as JSON")
    p.add_argument("--html", type=Path, metavar="OUT", help="write a self-contained HTML report")
    p.add_argument("--csv", type=Path, metavar="OUT", help="write the per-minute timeline as CSV")

    p = sub.add_parser(
        "data",
        help="export or delete recorded data",
        description="'data export --out DIR|FILE.csv' writes samples, events and sessions "
        "as CSV; 'data forget --before DATE' deletes everything recorded before that "
        "local date and compacts the database.",
    )
    p.add_argument("action", choices=["export", "forget"])
    _add_db_option(p)
    p.add_argument("--out", type=Path, help="export: a folder, or a .csv file for the samples")
    p.add_argument("--before", help="forget: YYYY-MM-DD, today or yesterday (local time)")
    p.add_argument("--tz", help="time zone for --before (default: the system's)")

    p = sub.add_parser("pause", help="pause a running monitor (camera released), e.g. 'pause 30m'",
                       description="Pause monitoring for a while (a meeting): the camera is "
                       "released and no alerts sound; monitoring resumes by itself.")
    p.add_argument("duration", help="how long: 90s, 30m, 1h, 1h30m")
    sub.add_parser("resume", help="end a pause early")
    p = sub.add_parser("snooze", help="postpone the next break alert, e.g. 'snooze 15m'",
                       description="Postpone the next break alert of a running monitor "
                       "(default: alerts.snooze_s).")
    p.add_argument("duration", nargs="?", help="how long: 90s, 15m, 1h (default: alerts.snooze_s)")

    p = sub.add_parser("config", help="show every setting, its value and where it came from")
    _add_settings_options(p)
    return parser


def load_settings(args: argparse.Namespace) -> config.Loaded:
    return config.load(args.config, args.assignments)


def _model(args: argparse.Namespace) -> Path:
    from monitor import models

    return models.resolve(args.model)


@command("replay")
def replay_command(args: argparse.Namespace) -> int:
    from monitor import profile as profiles
    from monitor import replay
    from monitor.sources import open_source

    settings = load_settings(args).settings
    model = _model(args)
    profile = profiles.load(args.profile) if args.profile else None
    fps = settings.sampling.fps if args.fps is None else (args.fps or None)
    source = open_source(args.video)
    try:
        estimated = replay.estimate(source, model, fps, replay.stderr_progress("replay"))
    finally:
        source.close()
        sys.stderr.write("\n")
    if args.calibrate:
        try:
            profile = replay.calibrate_from(estimated.samples, *args.calibrate, name="replay")
        except ProfileError as exc:
            # The recording is still worth a timeline: presence and sitting
            # do not need a baseline.
            print(f"posture-monitor: warning: calibration failed: {exc}; posture is not "
                  "judged", file=sys.stderr)
    if args.db:
        timeline = _replay_into_store(args, estimated, settings, profile, str(model))
    else:
        timeline = replay.track(estimated, settings, profile)
    if args.json:
        timeline.write(args.json)
    print(replay.summary(timeline))
    return 0


@command("calibrate")
def calibrate_command(args: argparse.Namespace) -> int:
    from monitor import calibrate

    settings = load_settings(args).settings
    seconds = args.seconds or settings.posture.calibrate_s
    profile, path = calibrate.guided(
        args.source, args.profile, _model(args), seconds, args.start, args.countdown
    )
    print(
        f"saved profile '{profile.name}' ({profile.view.value} view, {profile.samples} "
        f"samples, {len(profile.baseline)} metrics) to {path}"
    )
    import time

    from monitor.store import Store

    with Store.open(args.db) as store:  # the history of calibrations, for the report
        store.add_calibration(time.time(), profile)
    return 0


@command("models")
def models_command(args: argparse.Namespace) -> int:
    from monitor import models

    if args.action == "download":
        if not args.variant:
            raise MonitorError("which variant? 'posture-monitor models download lite|full|heavy'")
        path = models.download(
            args.variant, url=args.url, progress=models.progress_bar(f"downloading {args.variant}")
        )
        print(f"installed {args.variant} at {path}")
        return 0
    have = models.installed()
    default = models.resolve_name()
    for variant in models.VARIANTS.values():
        where = str(have[variant.name]) if variant.name in have else "not installed"
        mark = "*" if variant.name == default else " "
        print(f"{mark} {variant.name:6} {variant.note:36} {where}")
        print(f"         {variant.url}")
    print(f"(* in use; override with --model or ${models.ENV_VAR})")
    return 0


@command("bench")
def bench_command(args: argparse.Namespace) -> int:
    from monitor import bench

    chosen = args.live_minutes or args.startup or args.memory_minutes or args.alerts
    report = bench.run(
        Path(args.video), _model(args), args.fps or None, max(1, args.repeat),
        replay=args.replay or not chosen, live_minutes=args.live_minutes,
        startup=args.startup, memory_minutes=args.memory_minutes,
        alerts_seconds=args.alerts, calibrate=args.calibrate,
    )  # fmt: skip
    print(bench.format_report(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


@command("evaluate")
def evaluate_command(args: argparse.Namespace) -> int:
    from monitor import evaluate, replay
    from monitor.sources import open_source

    settings = load_settings(args).settings
    model = _model(args)
    labels = evaluate.load_labels(args.labels)
    names = args.clips or list(labels)
    unknown = [n for n in names if n not in labels]
    if unknown:
        raise MonitorError(f"no labels for {', '.join(unknown)} in {args.labels}")
    fps = settings.sampling.fps if args.fps is None else (args.fps or None)
    rows, results = [], {}
    total_presence, total_posture = evaluate.Score(), evaluate.Score()
    for name in names:
        clip = labels[name]
        source = open_source(str(args.labels.parent / name))
        try:
            estimated = replay.estimate(source, model, fps)
        finally:
            source.close()
        profile = None
        if "calibrate" in clip:
            profile = replay.calibrate_from(
                estimated.samples, *clip["calibrate"], name=Path(name).stem
            )
        timeline = replay.track(estimated, settings, profile).to_json()
        presence, posture = evaluate.score(timeline, clip)
        total_presence.merge(presence)
        total_posture.merge(posture)
        rows.append((name, presence, posture))
        results[name] = {"presence": presence.to_json(), "posture": posture.to_json()}
    rows.append(("all", total_presence, total_posture))
    results["all"] = {"presence": total_presence.to_json(), "posture": total_posture.to_json()}
    print(evaluate.table(rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


@command("sound")
def sound_command(args: argparse.Namespace) -> int:
    from monitor import sound

    settings = load_settings(args).settings.sound
    volume = settings.volume if args.volume is None else args.volume
    backend = sound.play_once(args.kind, args.repeat, volume, settings.retry_s)
    print(f"played the {args.kind} chime through {backend}")
    return 0


def _replay_into_store(args, estimated, settings, profile, model: str):  # type: ignore[no-untyped-def]
    import time

    from monitor import metrics, replay
    from monitor.recorder import Recorder
    from monitor.store import Store

    started_at = time.time() if args.start is None else args.start
    with Store.open(args.db) as store:
        if profile is not None and args.calibrate:
            store.add_calibration(started_at + args.calibrate[0], profile)
        recorder = Recorder(
            store, source=estimated.source, model=model, settings=settings,
            started_at=started_at, profile=profile.name if profile else None,
        )
        timeline = replay.track(
            estimated, settings, profile,
            on_step=lambda step, sample: recorder.add(step, metrics.hips_visible(sample)),
            on_finish=recorder.close,
        )
    if recorder.failed:
        log.warning(recorder.failed)
    return timeline


@command("report")
def report_command(args: argparse.Namespace) -> int:
    from monitor import export, report
    from monitor.store import Store

    tz = export.local_zone(args.tz)
    last = export.parse_day(args.date, tz)
    with Store.open(args.db) as store:
        reports, samples = export.reports(store, last, args.days, tz)
        if args.csv:
            export.write_minutes(args.csv, store, last, args.days, tz)
    print(report.format_text(reports[-1]))
    if args.days > 1:
        print()
        print(report.format_trend(reports))
    if args.json:
        export.write_json(args.json, reports)
    if args.html:
        from monitor import report_html

        export.write_text(args.html, report_html.render(reports, samples, tz))
    return 0


@command("data")
def data_command(args: argparse.Namespace) -> int:
    from datetime import datetime, time

    from monitor import export
    from monitor.store import Store

    if args.action == "export":
        if not args.out:
            raise MonitorError("where to? 'posture-monitor data export --out DIR|FILE.csv'")
        with Store.open(args.db) as store:
            written = export.export_data(store, args.out)
        print("wrote " + ", ".join(str(p) for p in written))
        return 0
    if not args.before:
        raise MonitorError("before when? 'posture-monitor data forget --before YYYY-MM-DD'")
    tz = export.local_zone(args.tz)
    day = export.parse_day(args.before, tz)
    before = datetime.combine(day, time(0), tzinfo=tz).timestamp()
    with Store.open(args.db) as store:
        removed = store.forget(before)
    print(f"deleted {removed} records from before {day.isoformat()} and compacted {store.path}")
    return 0


@command("run")
def run_command(args: argparse.Namespace) -> int:
    from monitor import runner

    settings = load_settings(args).settings
    return runner.run(
        args.source,
        settings,
        _model(args),
        profile_name=args.profile or "default",
        profile_explicit=args.profile is not None,
        db=args.db,
        loop=args.loop,
        preview=args.preview,
        quiet=args.quiet,
    )


@command("pause")
def pause_command(args: argparse.Namespace) -> int:
    from monitor import control

    until = control.request("pause", _duration(args.duration))
    print(f"paused until {_clock(until)}; 'posture-monitor resume' ends it early")
    return 0


@command("resume")
def resume_command(args: argparse.Namespace) -> int:
    from monitor import control

    print("resumed" if control.cancel("pause") else "was not paused")
    return 0


@command("snooze")
def snooze_command(args: argparse.Namespace) -> int:
    from monitor import control

    seconds = _duration(args.duration) if args.duration else config.load().settings.alerts.snooze_s
    print(f"break alerts snoozed until {_clock(control.request('snooze', seconds))}")
    return 0


def _duration(text: str) -> float:
    from monitor import quiet

    try:
        return quiet.parse_duration(text)
    except ValueError as exc:
        raise MonitorError(str(exc)) from None


def _clock(epoch: float) -> str:
    import time

    return time.strftime("%H:%M", time.localtime(epoch))


@command("config")
def config_command(args: argparse.Namespace) -> int:
    loaded = load_settings(args)
    print(f"config file: {loaded.path}{'' if loaded.path.exists() else ' (not present)'}")
    for key, f in config.keys().items():
        value = config.value_of(loaded.settings, key)
        print(f"{key:28} = {value!s:10} [{loaded.sources[key]}]  {f.metadata['doc']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        os.environ["POSTURE_MONITOR_NATIVE_LOGS"] = "1"
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    # The terminal gets warnings (all with --verbose); a log file may take more.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    if not args.command:
        parser.print_help()
        return 2
    if argv is None and not (args.command == "models" and args.action == "download"):
        # Run as a program: nothing but `models download` may reach the network.
        from monitor import offline

        offline.forbid_network()
    try:
        return COMMANDS[args.command](args)
    except MonitorError as exc:
        print(f"posture-monitor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("posture-monitor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `posture-monitor report | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
