"""Developer commands: `bench` (what the monitor costs) and `evaluate` (how right it is)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from monitor import paths
from monitor.cli import options
from monitor.errors import MonitorError
from monitor.storage import files


def add_parsers(sub: options.Subparsers) -> None:
    p = sub.add_parser(
        "bench",
        help="measure per-stage cost on a recording",
        description="Time each stage (decode, colour conversion, inference, the "
        "rest) on a recording and report the pipeline's overhead over bare inference.",
    )
    p.add_argument("video")
    p.add_argument(
        "--fps", type=options.fps, default=0.0,
        help="frames per second of video to analyse (0: all)",
    )  # fmt: skip
    p.add_argument(
        "--repeat", type=int, default=3, help="repeat the measurement N times (default 3)"
    )
    p.add_argument("--json", type=options.output, metavar="OUT", help="write the figures as JSON")
    p.add_argument(
        "--replay", action="store_true",
        help="per-stage cost of analysing every frame (the default when no mode is chosen)",
    )  # fmt: skip
    p.add_argument(
        "--startup", action="store_true", help="time from 'run' to its first analysed sample"
    )
    for flag, metavar, what in (
        ("--live-minutes", "N", "CPU and memory of 'run --source VIDEO --loop' over N minutes"),
        ("--memory-minutes", "N", "resident memory of a looping run, sampled every minute"),
        ("--alerts", "SECONDS", "alert latency of the live loop, with short alert settings"),
    ):
        p.add_argument(flag, type=float, default=0.0, metavar=metavar, help=what)
    p.add_argument(
        "--calibrate", type=options.span, metavar="START:END",
        help="with --alerts: calibrate posture on this stretch so posture alerts can fire",
    )  # fmt: skip
    options.add_model_option(p)

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
    )  # fmt: skip
    p.add_argument(
        "--stills", type=Path, default=None, metavar="JSON",
        help="the still-photo labels (default: stills_labels.json beside --labels); "
        "each set is calibrated on its listed photos and every other photo judged "
        "alone. Scored, with the sets MANIFEST.md labels by name, when no clip is named "
        "(or name a set's folder)",
    )  # fmt: skip
    p.add_argument("--fps", type=options.fps, default=None, help="as for replay")
    p.add_argument("--json", type=options.output, metavar="OUT", help="write the scores as JSON")
    p.add_argument(
        "--timeline", type=Path, action="append", default=[], metavar="JSON",
        help="score this timeline (from 'replay --json') instead of replaying; its "
        "source names the clip (repeatable)",
    )  # fmt: skip
    options.add_model_option(p)
    options.add_settings_options(p)


@options.command("bench")
def bench_command(args: argparse.Namespace) -> int:
    from monitor.devtools import bench

    chosen = args.live_minutes or args.startup or args.memory_minutes or args.alerts
    report = bench.run(
        Path(args.video), options.model(args), args.fps or None, max(1, args.repeat),
        replay=args.replay or not chosen, live_minutes=args.live_minutes,
        startup=args.startup, memory_minutes=args.memory_minutes,
        alerts_seconds=args.alerts, calibrate=args.calibrate,
    )  # fmt: skip
    print(bench.format_report(report))
    if args.json:
        files.write_text(args.json, json.dumps(report, indent=1) + "\n")
    return 0


@options.command("evaluate")
def evaluate_command(args: argparse.Namespace) -> int:
    from monitor.devtools import evaluate, stills

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
    settings = options.load_settings(args).settings
    max_fps = settings.sampling.fps if args.fps is None else (args.fps or None)
    rows, results, people, found = evaluate.evaluate_all(
        args.labels, labels, timelines, sets, options.model(args), max_fps, settings
    )
    print(evaluate.table(rows))
    if len(people) > 1:
        print()
        print(evaluate.table([(f"person {who}", *scores) for who, scores in people.items()]))
    if not args.clips and not args.timeline:  # every person: the held-out check too
        from monitor.devtools import tuning

        print()
        print("leave one person out: each person judged with the thresholds chosen on the others")
        print("\n".join(tuning.held_out(found)))
    if args.json:
        files.write_text(args.json, json.dumps(results, indent=1) + "\n")
    return 0
