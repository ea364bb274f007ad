"""Starting the monitor with the desktop session: one file per platform.

Linux: an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/posture-monitor.desktop`),
which the desktop session runs at login with its display and D-Bus session
(so the tray and notifications work; a systemd user unit may start before the
session's environment exists). macOS: a LaunchAgent plist. Windows: a .cmd
in the Startup folder. Each runs `python -m monitor run` with the absolute path
of this interpreter, so the monitor finds the same config, profile and
database as from a terminal, and logs to its own log file.

Every file carries a marker line: `disable` removes a file only if it is ours.
"""

from __future__ import annotations

import os
import plistlib
import sys
from dataclasses import dataclass
from pathlib import Path

from monitor import paths
from monitor.errors import MonitorError

MARKER = "written by posture-monitor autostart"
LABEL = "local.posture-monitor"  # the LaunchAgent's label
PLATFORMS = ("linux", "darwin", "win32")


def platform_key(platform: str = sys.platform) -> str:
    if platform.startswith("linux"):
        return "linux"
    if platform in PLATFORMS:
        return platform
    raise MonitorError(f"autostart: unsupported platform {platform!r} (linux, darwin or win32)")


def entry_path(platform: str = sys.platform) -> Path:
    """Where the platform looks for things to start at login."""
    key = platform_key(platform)
    home = Path.home()
    if key == "linux":
        config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        return Path(config) / "autostart" / "posture-monitor.desktop"
    if key == "darwin":
        return home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    appdata = os.environ.get("APPDATA") or str(home / "AppData" / "Roaming")
    startup = Path(appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
    return startup / "posture-monitor.cmd"


def command(
    run_args: tuple[str, ...] = (), python: str | None = None, platform: str = sys.platform
) -> list[str]:
    """What starts the monitor: this interpreter, absolute, `-m monitor run ...`.

    On Windows `pythonw.exe` beside `python.exe`, where there is one, so no
    console window opens at login.
    """
    exe = python or sys.executable
    if platform_key(platform) == "win32" and exe.lower().endswith("python.exe"):
        windowless = exe[: -len("python.exe")] + "pythonw.exe"
        if Path(windowless).exists():
            exe = windowless
    return [str(Path(exe).absolute()), "-m", "monitor", "run", *run_args]


def environment() -> dict[str, str]:
    """Variables the login must set for `-m monitor` to find this copy of the
    package: PYTHONPATH when that is how it was found (a checkout run in place)."""
    root = str(paths.REPO)
    wanted = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if any(Path(p).resolve() == Path(root) for p in wanted):
        return {"PYTHONPATH": root}
    return {}


def _desktop_quote(arg: str) -> str:
    """An Exec argument quoted as the Desktop Entry spec says."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return '"' + escaped.replace("%", "%%") + '"'


def render_desktop(argv: list[str], env: dict[str, str]) -> str:
    prefix = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []
    exec_line = " ".join(_desktop_quote(a) for a in [*prefix, *argv])
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=posture-monitor\n"
        "Comment=Webcam posture and sitting monitor (starts with the session)\n"
        f"Exec={exec_line}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
        f"# {MARKER}\n"
    )


def render_plist(argv: list[str], env: dict[str, str]) -> str:
    agent: dict[str, object] = {
        "Label": LABEL,
        "Comment": MARKER,
        "ProgramArguments": argv,
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    if env:
        agent["EnvironmentVariables"] = env
    return plistlib.dumps(agent).decode("utf-8")


def _cmd_quote(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in ' &()^%!,;=') or not arg else arg


def render_cmd(argv: list[str], env: dict[str, str]) -> str:
    lines = ["@echo off", f"rem {MARKER}"]
    lines += [f'set "{k}={v}"' for k, v in env.items()]
    # `start` returns at once, so the login goes on; "" is the window title.
    lines.append('start "" /min ' + " ".join(_cmd_quote(a) for a in argv))
    return "\r\n".join(lines) + "\r\n"


def render(argv: list[str], env: dict[str, str], platform: str = sys.platform) -> str:
    key = platform_key(platform)
    if key == "linux":
        return render_desktop(argv, env)
    if key == "darwin":
        return render_plist(argv, env)
    return render_cmd(argv, env)


@dataclass(frozen=True)
class Status:
    path: Path
    installed: bool
    ours: bool
    current: bool  # the same as `enable` would write now

    def describe(self) -> str:
        if not self.installed:
            return f"not installed (enable writes {self.path})"
        if not self.ours:
            return f"{self.path} exists but was not written by posture-monitor; left alone"
        if not self.current:
            return (
                f"installed at {self.path}, but it runs another interpreter or options "
                "than now: 'posture-monitor autostart enable' rewrites it"
            )
        return f"installed at {self.path}: the monitor starts when you log in"


def expected(run_args: tuple[str, ...] = (), platform: str = sys.platform) -> str:
    return render(command(run_args, platform=platform), environment(), platform)


def status(run_args: tuple[str, ...] = (), platform: str = sys.platform) -> Status:
    path = entry_path(platform)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Status(path, False, False, False)
    except (OSError, UnicodeDecodeError):
        return Status(path, True, False, False)
    ours = MARKER in text
    return Status(path, True, ours, ours and text == expected(run_args, platform))


def enable(run_args: tuple[str, ...] = (), platform: str = sys.platform) -> tuple[Path, bool]:
    """Write the entry; (its path, whether anything changed). Twice is harmless."""
    current = status(run_args, platform)
    if current.installed and not current.ours:
        raise MonitorError(f"autostart: {current.path} exists and is not ours; not overwritten")
    if current.current:
        return current.path, False
    current.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = current.path.with_name(current.path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        out.write(expected(run_args, platform))
    os.replace(tmp, current.path)
    return current.path, True


def disable(platform: str = sys.platform) -> Path | None:
    """Remove the entry `enable` wrote (only that file); its path, or None if none was there."""
    current = status(platform=platform)
    if not current.installed:
        return None
    if not current.ours:
        raise MonitorError(f"autostart: {current.path} was not written by posture-monitor; "
                           "left alone")  # fmt: skip
    current.path.unlink()
    return current.path
