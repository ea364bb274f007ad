"""Sound backends and the fallback chain that picks the best one that works.

Backends in order of preference: simpleaudio (in-process, no files), a
command-line player the platform has (paplay, aplay, afplay; winsound on
Windows), and last the terminal bell. A backend that fails is skipped for
`retry_s` and then tried again, so an unplugged headset costs one failure a
minute, not one per frame. The chain logs which backend plays, and why the
better ones do not, once each time that changes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from monitor.errors import SoundError
from monitor.sound import chimes

log = logging.getLogger(__name__)

# Command-line players per platform, best first, and how each plays a WAV file.
PLAYERS: dict[str, list[tuple[str, list[str]]]] = {
    "linux": [("paplay", []), ("aplay", ["-q"])],
    "darwin": [("afplay", [])],
}
PREFERENCE = ("simpleaudio", "paplay", "aplay", "afplay", "winsound", "bell")


class Backend(Protocol):
    name: str

    def play(self, samples: np.ndarray, rate: int) -> None:
        """Play mono int16 `samples` to the end; raise SoundError if that fails."""


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return buffer.getvalue()


class SimpleaudioBackend:
    name = "simpleaudio"

    def __init__(self) -> None:
        import simpleaudio  # ImportError here means "not available"

        self._sa = simpleaudio
        _silence_alsa()

    def play(self, samples: np.ndarray, rate: int) -> None:
        try:
            self._sa.play_buffer(np.ascontiguousarray(samples), 1, 2, rate).wait_done()
        except Exception as exc:  # SimpleaudioError: no device, device busy, ...
            raise SoundError(f"simpleaudio: {exc}") from None


_alsa_handler: object = None  # keeps the C callback alive


def _silence_alsa() -> None:
    """Stop libasound printing its own errors on stderr; we report them in one line."""
    global _alsa_handler
    if _alsa_handler is not None or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        asound = ctypes.cdll.LoadLibrary("libasound.so.2")
    except OSError:
        return
    handler_type = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )
    _alsa_handler = handler_type(lambda *_: None)
    asound.snd_lib_error_set_handler(_alsa_handler)


class CommandBackend:
    """A player program given a WAV file in a private temporary folder, deleted after."""

    def __init__(self, program: str, args: list[str]) -> None:
        self.name = Path(program).name
        self._command = [program, *args]

    def play(self, samples: np.ndarray, rate: int) -> None:
        timeout_s = len(samples) / rate + 10
        with tempfile.TemporaryDirectory(prefix="posture-monitor-sound-") as folder:
            path = Path(folder, "chime.wav")  # mkdtemp folders are mode 0700
            path.write_bytes(wav_bytes(samples, rate))
            try:
                done = subprocess.run(
                    [*self._command, str(path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=timeout_s,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise SoundError(f"{self.name}: {exc}") from None
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            why = lines[-1] if lines else "no message"
            raise SoundError(f"{self.name}: exited with status {done.returncode}: {why}")


class WinsoundBackend:
    name = "winsound"

    def __init__(self) -> None:
        import winsound

        self._ws = winsound

    def play(self, samples: np.ndarray, rate: int) -> None:
        try:
            self._ws.PlaySound(wav_bytes(samples, rate), self._ws.SND_MEMORY)
        except Exception as exc:
            raise SoundError(f"winsound: {exc}") from None


class BellBackend:
    """The terminal bell: heard only where a terminal is attached."""

    name = "bell"

    def play(self, samples: np.ndarray, rate: int) -> None:
        # One byte straight to the descriptor, not through sys.stderr's text
        # buffer, which the status line and the log fill from other threads:
        # there a bell ends up glued into a line ("2.0 fps^GWARNING ...").
        if sys.stderr is not None and sys.stderr.isatty():
            with contextlib.suppress(OSError):
                os.write(sys.stderr.fileno(), b"\a")
                return
        try:
            fd = os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY)
        except OSError:
            raise SoundError("bell: no terminal to ring") from None
        try:
            os.write(fd, b"\a")
        finally:
            os.close(fd)


def candidates(
    platform: str = sys.platform, path: str | None = None
) -> tuple[list[Backend], dict[str, str]]:
    """The backends this machine has, best first, and why the others are missing."""
    found: list[Backend] = []
    missing: dict[str, str] = {}
    try:
        found.append(SimpleaudioBackend())
    except ImportError as exc:
        missing["simpleaudio"] = f"not installed ({exc})"
    key = "linux" if platform.startswith("linux") else platform
    for program, args in PLAYERS.get(key, []):
        where = shutil.which(program, path=path)
        if where:
            found.append(CommandBackend(where, args))
        else:
            missing[program] = "not on PATH"
    if platform == "win32":
        try:
            found.append(WinsoundBackend())
        except ImportError as exc:
            missing["winsound"] = f"not available ({exc})"
    found.append(BellBackend())
    return found, missing


class Player:
    """The chosen backend with its fallbacks; `play` uses the best one that works."""

    def __init__(
        self,
        backends: list[Backend],
        missing: dict[str, str] | None = None,
        retry_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backends = backends
        self.retry_s = retry_s
        self._clock = clock
        self._why_not: dict[str, str] = dict(missing or {})
        self._retry_at: dict[str, float] = {}
        self._reported: str | None = None
        # Best first: the known backends in PREFERENCE order, then any others as given.
        names = [b.name for b in backends]
        self._order = sorted(
            {*names, *self._why_not},
            key=lambda n: (
                PREFERENCE.index(n) if n in PREFERENCE else len(PREFERENCE) + names.index(n)
            ),
        )
        self._lock = threading.Lock()  # the CLI and the Announcer's worker may share one

    def unavailable(self) -> str | None:
        """Why nothing can play right now (all backends failed recently), or None."""
        now = self._clock()
        if any(self._retry_at.get(b.name, 0.0) <= now for b in self.backends):
            return None
        wait_s = min(self._retry_at.values()) - now
        return f"{self._reasons()}; retrying in {wait_s:.0f} s"

    def _reasons(self, names: list[str] | None = None) -> str:
        keys = self._order if names is None else names
        return "; ".join(f"{n}: {self._why_not[n]}" for n in keys if n in self._why_not)

    def play(self, samples: np.ndarray, rate: int = chimes.SAMPLE_RATE) -> str:
        """Play through the best working backend and return its name; SoundError if none."""
        with self._lock:
            for backend in self.backends:
                if self._retry_at.get(backend.name, 0.0) > self._clock():
                    continue  # failed recently: do not hammer a broken device
                try:
                    backend.play(samples, rate)
                except Exception as exc:  # a bug in one backend must not silence the rest
                    self._why_not[backend.name] = str(exc).removeprefix(f"{backend.name}: ")
                    self._retry_at[backend.name] = self._clock() + self.retry_s
                    continue
                self._retry_at.pop(backend.name, None)
                self._why_not.pop(backend.name, None)
                self._report(backend.name)
                return backend.name
            raise SoundError(f"nothing could play the sound: {self._reasons()}")

    def _report(self, name: str) -> None:
        if name == self._reported:
            return
        self._reported = name
        better = self._order[: self._order.index(name)]
        why = self._reasons([n for n in better if n in self._why_not])
        if why:
            log.warning("sound: playing through %s, not %s", name, why)
        else:
            log.info("sound: playing through %s", name)
