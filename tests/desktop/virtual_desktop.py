"""A desktop of our own for the tests: Xvfb, a private D-Bus session bus, a
notification daemon (dunst) and a tray (trayer), all real programs from the
distribution (setup.sh installs them). A missing one fails the test: CI must
have them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from PIL import Image

PROGRAMS = ("Xvfb", "dbus-daemon", "dunst", "dunstctl", "trayer", "xdotool", "import")
# trayer docks in the top-right corner, an icon 32 px high.
TRAY_BOX = (640, 0, 800, 40)  # left, top, right, bottom on the 800x600 screen


def require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    assert not missing, f"missing {missing}: run ./setup.sh (APT_PACKAGES)"


def _start(stack: ExitStack, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = stack.enter_context(open(log, "wb"))  # noqa: SIM115 (closed by the stack)
    child = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    def end() -> None:
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()

    stack.callback(end)
    return child


@contextmanager
def virtual_desktop(
    tmp_path: Path, env: dict[str, str], tray: bool = True, notifications: bool = True
) -> Iterator[dict[str, str]]:
    """`env` with DISPLAY and DBUS_SESSION_BUS_ADDRESS of a fresh desktop."""
    require(*PROGRAMS)
    env = dict(env)
    env.pop("WAYLAND_DISPLAY", None)
    with ExitStack() as stack:
        read, write = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "800x600x24", "-nolisten", "tcp"],
            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(lambda: (xvfb.terminate(), xvfb.wait(5)))
        os.close(write)
        with os.fdopen(read) as displayfd:
            env["DISPLAY"] = ":" + displayfd.readline().strip()
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        address, pid = bus.stdout.split()
        stack.callback(lambda: _kill(int(pid)))
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        if notifications:
            _start(stack, ["dunst"], env, tmp_path / "dunst.log")
            wait_for(lambda: subprocess.run(["dunstctl", "count"], env=env,
                                            capture_output=True).returncode == 0)  # fmt: skip
        if tray:
            _start(
                stack,
                ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
                 "--width", "120", "--height", "32", "--transparent", "false",
                 "--tint", "0xffffff", "--SetDockType", "true"],
                env, tmp_path / "trayer.log",
            )  # fmt: skip
            time.sleep(0.5)
        yield env


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, 15)


def wait_for(check, timeout_s: float = 15.0, every_s: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every_s)
    return False


def screenshot(env: dict[str, str], path: Path) -> Image.Image:
    subprocess.run(["import", "-window", "root", str(path)], env=env, check=True, timeout=30)
    return Image.open(path).convert("RGB")


def colour_at_tray(image: Image.Image, colours: dict) -> tuple[object, tuple[int, int]] | None:
    """The state whose colour covers most of the tray's pixels, and where it is."""
    box = image.crop(TRAY_BOX)
    counts: dict[object, list[tuple[int, int]]] = {}
    pixels = box.load()
    for y in range(box.height):
        for x in range(box.width):
            pixel = pixels[x, y]
            for state, rgb in colours.items():
                if all(abs(a - b) <= 6 for a, b in zip(pixel, rgb, strict=True)):
                    counts.setdefault(state, []).append((x, y))
    if not counts:
        return None
    state, where = max(counts.items(), key=lambda kv: len(kv[1]))
    if len(where) < 100:  # a disc of ~28 px across, not a stray pixel
        return None
    xs, ys = zip(*where, strict=True)
    return state, (TRAY_BOX[0] + sum(xs) // len(xs), TRAY_BOX[1] + sum(ys) // len(ys))
