"""What the command groups share: argument types, common options, the command registry.

Argument types reject bad values in the user's own terms, as argparse
errors (status 2). Each group module declares its commands' options next to
what they do, and registers its handlers here with `command`.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from monitor import settings as config
from monitor.errors import OutputError
from monitor.storage import files

# What `add_subparsers` returns: each group module adds its commands to it.
Subparsers = argparse._SubParsersAction

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register `fn` as what the command `name` does."""

    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn

    return register


def number(lo: float, hi: float, whole: bool = False, why: str = "") -> Callable[[str], float]:
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


fps = number(0, 1000)


def output(text: str) -> Path:
    """A file to write, refused at once (not after the work) when it cannot be written."""
    try:
        return files.require_writable(Path(text))
    except OutputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def span(text: str) -> tuple[float, float]:
    """START:END in seconds of a recording."""
    start, sep, end = text.partition(":")
    try:
        a, b = float(start), float(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END in seconds, got {text!r}") from None
    if not sep or a < 0 or b <= a:
        raise argparse.ArgumentTypeError(f"expected START:END with 0 <= START < END, got {text!r}")
    return a, b


def add_source_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", default="0", help="camera index or video file (default: 0)")


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db", type=Path, metavar="PATH",
        help="the database (default: monitor.db in the platform's data folder)",
    )  # fmt: skip


def add_settings_options(p: argparse.ArgumentParser) -> None:
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


def add_model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        help="pose model: a variant (lite, full, heavy) or a .task file "
        "(default: $POSTURE_MONITOR_MODEL, else full)",
    )


def load_settings(args: argparse.Namespace) -> config.Loaded:
    return config.load(args.config, args.assignments)


def model(args: argparse.Namespace) -> Path:
    from monitor.capture import models

    return models.resolve(args.model)


class Parser(argparse.ArgumentParser):
    """Usage mistakes are one line on stderr, like every other error."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("the following arguments are required"):
            # Say what the command line should look like, not only what is missing.
            usage = " ".join(self.format_usage().split()[1:])
            self.exit(2, f"posture-monitor: error: {message}; usage: {usage}\n")
        self.exit(2, f"posture-monitor: error: {message} (see '{self.prog} --help')\n")
