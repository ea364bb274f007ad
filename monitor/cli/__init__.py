"""The `posture-monitor` command line: one module per group of commands.

`main` builds the parser from each group's options, runs the chosen
command, and turns the named errors of `monitor.errors` into one-line
messages with a non-zero status.
"""

from monitor.cli.main import main

__all__ = ["main"]
