"""The `posture-monitor` command line: a thin layer over the library.

Each group module declares its commands' options next to what they do;
`main` parses, runs the command, and turns the named errors of
`monitor.errors` into a one-line message and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import suppress

from monitor import __version__
from monitor.cli import (
    configuration,
    desktop,
    development,
    history,
    monitoring,
    recordings,
)
from monitor.cli.options import COMMANDS, Parser
from monitor.errors import MonitorError

__all__ = ["COMMANDS", "build_parser", "main"]

GROUPS = (monitoring, recordings, history, configuration, desktop, development)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="posture-monitor",
        description="Webcam posture-and-sitting monitor: knows how long you have sat, notices "
        "posture drift from your calibrated neutral, and tells you before the damage is done.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Everything we, or a library we load, write is the user's alone (files
    # 0600, folders 0700), whatever the umask: with a permissive one,
    # MediaPipe's matplotlib made ~/.config world-writable for another user's
    # config to land in. Our own files set their modes too. (Run as a program
    # only: a caller of main() in-process keeps its own umask.)
    if argv is None and hasattr(os, "umask"):
        os.umask(os.umask(0o077) | 0o077)
    if argv is None:
        # A path's bytes that are not UTF-8 (a Latin-1 name) print as they are
        # on disk rather than stopping the command (stderr already escapes them).
        with suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(errors="surrogateescape")  # type: ignore[union-attr]
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
        from monitor.app import offline

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
