"""Every command is documented: in the README's command table and by its own --help."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from conftest import REPO

from monitor.cli import COMMANDS, build_parser

README = (REPO / "README.md").read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return dict(actions[0].choices)


COMMAND_NAMES = sorted(subcommands())


def test_the_parser_defines_the_foundation_commands():
    assert {"replay", "calibrate", "models", "bench", "evaluate", "config"} <= set(COMMAND_NAMES)


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_command_is_in_the_readme(name):
    assert f"`posture-monitor {name}" in README, f"add `posture-monitor {name}` to README.md"


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_command_has_a_handler(name):
    assert name in COMMANDS


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_command_has_help_that_exits_0(name, capsys):
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([name, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: posture-monitor {name}")
    assert len(text.splitlines()) > 3


def test_the_command_line_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0
    for name in COMMAND_NAMES:
        assert f"    {name} " in result.stdout or f"    {name}\n" in result.stdout
