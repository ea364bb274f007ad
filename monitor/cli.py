"""The `posture-monitor` command line: a thin layer over the library.

Each command builds objects, calls the library, and turns the named errors
of `monitor.errors` into a one-line message and a non-zero exit status. What
a user may type is declared in `monitor.arguments`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import files
from monitor import settings as config
from monitor.arguments import build_parser
from monitor.errors import MonitorError, ProfileError

if TYPE_CHECKING:
    from monitor.profile import Profile
    from monitor.replay import Estimated
    from monitor.store import Store
    from monitor.timeline import Timeline

log = logging.getLogger("monitor")

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register


def load_settings(args: argparse.Namespace) -> config.Loaded:
    return config.load(args.config, args.assignments)


def _model(args: argparse.Namespace) -> Path:
    from monitor import models

    return models.resolve(args.model)


@command("replay")
def replay_command(args: argparse.Namespace) -> int:
    from monitor import lock, replay
    from monitor import profile as profiles

    settings = load_settings(args).settings
    model = _model(args)
    # A profile of the other mirroring is refused: its tilts would have the other sign.
    profile = profiles.load(args.profile, settings.camera.mirrored) if args.profile else None
    fps = settings.sampling.fps if args.fps is None else (args.fps or None)

    def calibration_failed(exc: ProfileError) -> None:
        # The recording is still worth a timeline: presence and sitting
        # do not need a baseline.
        print(
            f"posture-monitor: warning: calibration failed: {exc}; posture is not judged",
            file=sys.stderr,
        )

    def into_store(estimated: Estimated, used: Profile | None) -> Timeline:
        calibrated = used is not None and used is not profile  # built from --calibrate
        return _replay_into_store(args, estimated, settings, used, str(model), calibrated)

    # Recording to a database is recording like `run`: one at a time, or the
    # day counts twice. Taken before the slow analysis, so a clash says so at once.
    with lock.recording(args.db, "replay") if args.db else nullcontext():
        if args.db:
            _refuse_recorded_early(args)
        timeline = replay.analyse(
            args.video, model, fps, settings, profile, calibrate=args.calibrate,
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
    return 0


@command("calibrate")
def calibrate_command(args: argparse.Namespace) -> int:
    import time

    from monitor import calibrate
    from monitor.store import Store

    settings = load_settings(args).settings
    seconds = args.seconds or settings.posture.calibrate_s
    # The history of calibrations (for the report) is opened first, so that a
    # database that cannot be written fails before the user sits still and
    # before a profile is saved.
    with Store.open(args.db) as store:
        profile, path = calibrate.guided(
            args.source, args.profile, _model(args), seconds, args.start, args.countdown,
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
        files.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0


@command("evaluate")
def evaluate_command(args: argparse.Namespace) -> int:
    from monitor import evaluate, replay, stills

    labels = evaluate.load_labels(args.labels)
    sets = stills.all_sets(args.labels.parent, args.stills) if not args.timeline else []
    if args.clips:
        sets = [s for s in sets if s.folder in args.clips]
    if args.timeline:
        timelines = [evaluate.load_timeline(path, labels) for path in args.timeline]
    else:
        names = [c for c in args.clips if c not in {s.folder for s in sets}]
        names = names if args.clips else list(labels)
        unknown = [n for n in names if n not in labels]
        if unknown:
            raise MonitorError(f"no labels for {', '.join(unknown)} in {args.labels}")
        timelines = [(name, None) for name in names]
    settings = load_settings(args).settings
    fps = settings.sampling.fps if args.fps is None else (args.fps or None)
    rows, results = [], {}
    total_presence, total_posture = evaluate.Score(), evaluate.Score()
    for name, timeline in timelines:
        clip = labels[name]
        if timeline is None:
            span = evaluate.calibration_span(clip, settings.posture.calibrate_s)
            guessed = span is not None and clip.get("calibrate") is None
            if guessed:
                print(f"{name}: no calibrate stretch, calibrating on its first good-posture "
                      f"segment, {span[0]:g}-{span[1]:g} s", file=sys.stderr)

            def uncalibrated(exc: ProfileError, name: str = name) -> None:
                print(f"{name}: cannot calibrate on that segment ({exc}); "
                      "judged without a profile", file=sys.stderr)  # fmt: skip

            # A labelled stretch that fails is the labels' error; a guessed one
            # leaves the clip uncalibrated, as it was without the guess. The clips
            # are others' recordings, not the user's camera: never camera.mirrored.
            timeline = replay.analyse(
                str(args.labels.parent / name), _model(args), fps, settings,
                calibrate=span, name=Path(name).stem,
                on_calibration_error=uncalibrated if guessed else None, mirrored=False,
            ).to_json()  # fmt: skip
        presence, posture = evaluate.score(timeline, clip)
        total_presence.merge(presence)
        total_posture.merge(posture)
        rows.append((name, presence, posture))
        results[name] = {"presence": presence.to_json(), "posture": posture.to_json()}
    for still_set in sets:
        samples = stills.estimate_set(still_set, args.labels.parent, _model(args))
        result = stills.score_set(still_set, samples, settings)
        if result.note:
            print(f"{still_set.folder}: {result.note}", file=sys.stderr)
        total_presence.merge(result.presence)
        total_posture.merge(result.posture)
        rows.append((still_set.folder, result.presence, result.posture))
        results[still_set.folder] = {
            "presence": result.presence.to_json(), "posture": result.posture.to_json()
        }
    people = evaluate.by_person(rows, stills.person)
    results["by_person"] = {who: post.to_json() for who, (_, post) in people.items()}
    rows.append(("all", total_presence, total_posture))
    results["all"] = {"presence": total_presence.to_json(), "posture": total_posture.to_json()}
    print(evaluate.table(rows))
    if len(people) > 1:
        print()
        print(evaluate.table([(f"person {who}", *scores) for who, scores in people.items()]))
    if args.json:
        files.write_text(args.json, json.dumps(results, indent=1) + "\n")
    return 0


@command("sound")
def sound_command(args: argparse.Namespace) -> int:
    from monitor import sound

    settings = load_settings(args).settings.sound
    volume = settings.volume if args.volume is None else args.volume
    backend = sound.play_once(args.kind, args.repeat, volume, settings.retry_s)
    print(f"played the {args.kind} chime through {backend}")
    return 0


def _replay_start(args: argparse.Namespace, store: Store, duration_s: float) -> float:
    """When a replay of `duration_s` recorded into `store` starts.

    `--start`, or now, or after what the database already has if later
    (replays in a row). Refused if the database has any of that stretch: it
    would be counted twice in the report.
    """
    import time

    def stamp(t: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))

    started_at = args.start
    if started_at is None:
        span = store.span()
        started_at = max(time.time(), span[1] if span else 0.0)
    if store.recorded_within(started_at, started_at + duration_s):
        raise MonitorError(
            f"{args.db} already has monitoring recorded between {stamp(started_at)} and "
            f"{stamp(started_at + duration_s)} (a replay recorded before?); "
            "choose another --start, or another --db"
        )
    return started_at


def _refuse_recorded_early(args: argparse.Namespace) -> None:
    """`_replay_start`'s refusal before the slow analysis, on the length the video claims.

    The exact check follows the analysis (a truncated file claims more than it holds).
    """
    from monitor.sources import open_source
    from monitor.store import Store, database_path

    if not database_path(args.db).exists():
        return  # nothing recorded there yet, and nothing is made before the analysis
    source = open_source(args.video)
    try:
        claimed_s = float(getattr(source, "duration_s", 0.0))  # a camera claims none
    finally:
        source.close()
    with Store.open(args.db, create=False) as store:
        _replay_start(args, store, claimed_s)


def _replay_into_store(
    args: argparse.Namespace,
    estimated: Estimated,
    settings: config.Settings,
    profile: Profile | None,
    model: str,
    calibrated: bool,
) -> Timeline:
    from monitor import metrics, replay
    from monitor.recorder import Recorder
    from monitor.store import Store

    with Store.open(args.db) as store:
        started_at = _replay_start(args, store, estimated.duration_s)
        if profile is not None and calibrated:
            store.add_calibration(started_at + args.calibrate[0], profile)
        recorder = Recorder(
            store, source=estimated.source, model=model, settings=settings,
            started_at=started_at, profile=profile.name if profile else None,
        )  # fmt: skip
        timeline = replay.track(
            estimated, settings, profile,
            on_step=lambda step, sample: recorder.add(step, metrics.hips_visible(sample)),
            on_finish=recorder.close,
        )  # fmt: skip
    if recorder.failed:
        log.warning(recorder.failed)
    return timeline


@command("report")
def report_command(args: argparse.Namespace) -> int:
    import time

    from monitor import export, report
    from monitor.store import Store

    tz = export.local_zone(args.tz)
    last = export.parse_day(args.date, tz)
    with Store.open_to_read(args.db) as store:  # a mistyped --db is not created
        # Made now: a running monitor's bout under way is in it, marked ongoing.
        reports, samples = export.reports(store, last, args.days, tz, now=time.time())
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

        files.write_text(args.html, report_html.render(reports, samples, tz))
    return 0


@command("data")
def data_command(args: argparse.Namespace) -> int:
    from datetime import datetime, time

    from monitor import export, lock
    from monitor.store import Store

    # --out and --before are required by the parser. Neither action creates a database.
    if args.action == "export":
        with Store.open_to_read(args.db) as store:
            written = export.export_data(store, args.out)
        print("wrote " + ", ".join(str(p) for p in written))
        return 0
    tz = export.local_zone(args.tz)
    day = export.parse_day(args.before, tz)
    before = datetime.combine(day, time(0), tzinfo=tz).timestamp()
    # Never under a recorder: its session may be deleted (a --before in the
    # future), its writes may time out waiting on the VACUUM.
    with (
        Store.open(args.db, create=False) as store,
        lock.recording(
            args.db, "data forget", "stop it first, then run `posture-monitor data forget` again"
        ),
    ):
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
    print(f"paused until {_clock(until)}; 'posture-monitor resume' ends it early{_nobody()}")
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
    print(f"break alerts snoozed until {_clock(control.request('snooze', seconds))}{_nobody()}")
    return 0


def _nobody() -> str:
    """A note when no monitor runs: the request waits for the next one."""
    from monitor import lock

    holder = lock.recorder(None)
    if holder is not None and holder.command in lock.MONITORS:  # replay and forget obey no pause
        return ""
    return (
        " (no monitor is running on the default database; a monitor on another "
        "database, or the next one started before then, obeys it)"
    )


def _duration(text: str) -> float:
    from monitor import quiet

    try:
        return quiet.parse_duration(text)
    except ValueError as exc:
        raise MonitorError(str(exc)) from None


def _clock(epoch: float) -> str:
    """A local time to the second, with the day when it is not today."""
    import time

    when, now = time.localtime(epoch), time.localtime()
    same_day = (when.tm_year, when.tm_yday) == (now.tm_year, now.tm_yday)
    return time.strftime("%H:%M:%S" if same_day else "%a %d %b %H:%M:%S", when)


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
    if args.command == "replay" and args.start is not None and args.db is None:
        parser.error("--start needs --db: it dates the replay recorded there")
    if args.verbose:
        os.environ["POSTURE_MONITOR_NATIVE_LOGS"] = "1"
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    # The terminal gets warnings (all with --verbose); a log file may take more.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    if not args.verbose:  # mediapipe imports matplotlib, which may announce its font cache
        logging.getLogger("matplotlib").setLevel(logging.ERROR)
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
