"""Commands that fit the monitor into the desktop: `autostart`."""

from __future__ import annotations

import argparse
import sys

from monitor.cli.options import Subparsers, command


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser(
        "autostart",
        help="start the monitor when you log in (enable, disable, status)",
        description="Start 'posture-monitor run' with your desktop session: an XDG "
        "autostart entry on Linux, a LaunchAgent on macOS, a Startup-folder .cmd on "
        "Windows. 'enable' twice is harmless; 'disable' removes exactly what 'enable' "
        "wrote; 'status' says what is installed.",
    )
    p.add_argument("action", choices=["enable", "disable", "status"])
    p.add_argument(
        "--profile", help="with enable: the profile to monitor with (default: your default)"
    )
    p.add_argument(
        "--source", help="with enable: camera index or video file (default: camera 0)"
    )
    p.add_argument(
        "--platform", choices=["linux", "darwin", "win32"], default=None,
        help="write or read the entry of another platform (default: this one's)",
    )  # fmt: skip


def run_args(args: argparse.Namespace) -> tuple[str, ...]:
    """The options `run` gets at login."""
    out: list[str] = []
    if args.profile:
        out += ["--profile", args.profile]
    if args.source:
        out += ["--source", args.source]
    return tuple(out)


@command("autostart")
def autostart_command(args: argparse.Namespace) -> int:
    from monitor.desktop import autostart

    platform = args.platform or sys.platform
    if args.action == "enable":
        path, changed = autostart.enable(run_args(args), platform)
        print(f"{'wrote' if changed else 'already installed:'} {path}; the monitor starts "
              "when you log in ('posture-monitor autostart disable' undoes it)")  # fmt: skip
    elif args.action == "disable":
        removed = autostart.disable(platform)
        print(f"removed {removed}" if removed else "autostart was not installed")
    else:
        print(autostart.status(run_args(args), platform).describe())
    return 0
