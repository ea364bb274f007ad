"""Commands that set up and check this machine: `config`, `models`, `sound`."""

from __future__ import annotations

import argparse

from monitor import settings as config
from monitor.cli import options
from monitor.errors import MonitorError


def add_parsers(sub: options.Subparsers) -> None:
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
    p.add_argument(
        "--volume", type=options.number(0, 1), metavar="V", help="0 to 1 (default: sound.volume)"
    )
    options.add_settings_options(p)

    p = sub.add_parser("config", help="show every setting, its value and where it came from")
    options.add_settings_options(p)


@options.command("models")
def models_command(args: argparse.Namespace) -> int:
    from monitor.capture import models

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


@options.command("sound")
def sound_command(args: argparse.Namespace) -> int:
    from monitor.sound import announcer

    settings = options.load_settings(args).settings.sound
    volume = settings.volume if args.volume is None else args.volume
    backend = announcer.play_once(args.kind, args.repeat, volume, settings.retry_s)
    print(f"played the {args.kind} chime through {backend}")
    return 0


@options.command("config")
def config_command(args: argparse.Namespace) -> int:
    loaded = options.load_settings(args)
    print(f"config file: {loaded.path}{'' if loaded.path.exists() else ' (not present)'}")
    for key, f in config.keys().items():
        value = config.value_of(loaded.settings, key)
        print(f"{key:28} = {value!s:10} [{loaded.sources[key]}]  {f.metadata['doc']}")
    return 0
