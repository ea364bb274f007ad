"""Sound that is really played: into ALSA's `file` plugin, read back and measured.

A temporary HOME holds an .asoundrc that turns the default PCM into a raw
file, so simpleaudio (or aplay) plays for real with no sound card, and the
test reads back exactly what reached the "speaker". Nothing here is skipped:
a missing simpleaudio or aplay fails the test.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import wave
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from monitor.core.quiet import OUTSIDE_HOURS, QuietTime
from monitor.core.values import Alert
from monitor.errors import SoundError
from monitor.settings import Sound
from monitor.sound import announcer as sound
from monitor.sound import chimes, players

RATE = chimes.SAMPLE_RATE
VOLUME = Sound().volume
# Runs the CLI; "block" first makes simpleaudio unimportable, as if not installed.
CLI = (
    "import sys\n"
    "if sys.argv[1] == 'block': sys.modules['simpleaudio'] = None\n"
    "from monitor.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


def alsa_home(tmp_path: Path, pcm: str | None = None) -> tuple[Path, Path]:
    home, raw = tmp_path / "home", tmp_path / "out.raw"
    home.mkdir(parents=True)
    pcm = pcm or f'type file; slave.pcm "null"; file "{raw}"; format "raw"'
    (home / ".asoundrc").write_text(f"pcm.!default {{ {pcm} }}\n")
    return home, raw


def bin_dir(tmp_path: Path, **programs: str) -> Path:
    """A folder to use as PATH, holding only the given programs (name -> target or script)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, target in programs.items():
        if target.startswith("#!"):
            (folder / name).write_text(target)
            (folder / name).chmod(0o755)
        else:
            (folder / name).symlink_to(target)
    return folder


def run_cli(
    args: list[str], home: Path, path: Path, block: bool = False, **kw: object
) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": str(path)}
    return subprocess.run(
        [sys.executable, "-c", CLI, "block" if block else "-", *args],
        env=env,
        text=True,
        timeout=60,
        start_new_session=True,  # no controlling terminal: /dev/tty cannot ring
        **({"stdout": subprocess.PIPE, "stderr": subprocess.PIPE} | kw),  # type: ignore[arg-type]
    )


def read_pcm(raw: Path) -> np.ndarray:
    # format "raw" writes the stream as opened: S16_LE, mono, at chimes.SAMPLE_RATE.
    return np.frombuffer(raw.read_bytes(), dtype="<i2")


def measure(pcm: np.ndarray) -> dict[str, float]:
    return {
        "length_s": round(len(pcm) / RATE, 3),
        "rms": round(chimes.rms(pcm), 4),
        "dominant_hz": round(chimes.dominant_hz(pcm), 1),
    }


def assert_is_chime(pcm: np.ndarray, kind: str, insistent: bool = False, volume=VOLUME) -> None:
    expected = chimes.chime(kind, insistent, volume)
    figures = measure(pcm)
    print(kind, "insistent" if insistent else "", figures)  # shown with pytest -s
    assert figures["length_s"] == pytest.approx(len(expected) / RATE, rel=0.02)
    assert figures["rms"] > 0.05 * volume / VOLUME
    assert figures["rms"] == pytest.approx(chimes.rms(expected), rel=0.05)
    assert figures["dominant_hz"] == pytest.approx(chimes.MAIN_NOTE_HZ[kind], rel=0.02)


def test_simpleaudio_is_installed() -> None:
    import simpleaudio  # noqa: F401  (a missing simpleaudio must fail, not skip)


@pytest.mark.parametrize(
    ("kind", "repeat"), [("break", False), ("posture", False), ("break", True)]
)
def test_simpleaudio_really_plays(tmp_path: Path, kind: str, repeat: bool) -> None:
    home, raw = alsa_home(tmp_path)
    args = ["sound", kind, *(["--repeat"] if repeat else [])]
    done = run_cli(args, home, bin_dir(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"played the {kind} chime through simpleaudio"
    assert_is_chime(read_pcm(raw), kind, repeat)


def test_break_and_posture_sound_different(tmp_path: Path) -> None:
    pcms = {}
    for kind in chimes.KINDS:
        home, raw = alsa_home(tmp_path / kind)
        assert run_cli(["sound", kind], home, tmp_path).returncode == 0
        pcms[kind] = read_pcm(raw)
    brk, pos = measure(pcms["break"]), measure(pcms["posture"])
    assert brk["dominant_hz"] > 1.5 * pos["dominant_hz"]
    assert abs(brk["length_s"] - pos["length_s"]) > 0.2


def test_volume_option_scales_loudness(tmp_path: Path) -> None:
    home, raw = alsa_home(tmp_path)
    assert run_cli(["sound", "posture", "--volume", "0.2"], home, tmp_path).returncode == 0
    assert_is_chime(read_pcm(raw), "posture", volume=0.2)


def test_falls_back_to_a_real_aplay(tmp_path: Path) -> None:
    aplay = shutil.which("aplay")
    assert aplay, "aplay (alsa-utils) is needed: ./setup.sh installs it"
    home, raw = alsa_home(tmp_path)
    done = run_cli(["sound", "break"], home, bin_dir(tmp_path, aplay=aplay), block=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "played the break chime through aplay"
    # aplay fills its last period with silence: check that, then measure the chime.
    pcm, n = read_pcm(raw), len(chimes.chime("break", volume=VOLUME))
    assert len(pcm) - n < 0.1 * RATE and not pcm[n:].any()
    assert_is_chime(pcm[:n], "break")


def test_fallback_order_and_one_log_line(tmp_path: Path) -> None:
    """simpleaudio missing: a (fake) aplay gets a private temp WAV, deleted after."""
    calls = tmp_path / "calls"
    script = (
        "#!/bin/sh\n"
        f'echo "$@" >> {calls}\n'
        f'for a; do f="$a"; done; {shutil.which("cp")} "$f" {tmp_path}/copy.wav\n'
        f'{shutil.which("stat")} -c %a "$({shutil.which("dirname")} "$f")" > {tmp_path}/mode\n'
    )
    home, _ = alsa_home(tmp_path)
    done = run_cli(["sound", "posture"], home, bin_dir(tmp_path, aplay=script), block=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "played the posture chime through aplay"
    lines = [line for line in done.stderr.splitlines() if "sound:" in line]
    assert len(lines) == 1, done.stderr
    assert "playing through aplay, not simpleaudio: not installed" in lines[0]
    assert "paplay: not on PATH" in lines[0]
    flag, wav_path = calls.read_text().split()
    assert flag == "-q" and wav_path.endswith(".wav")
    assert not Path(wav_path).exists() and not Path(wav_path).parent.exists()
    assert (tmp_path / "mode").read_text().strip() == "700"
    with wave.open(str(tmp_path / "copy.wav")) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert np.array_equal(pcm, chimes.chime("posture", volume=VOLUME))


def test_no_player_rings_the_terminal_bell(tmp_path: Path) -> None:
    home, _ = alsa_home(tmp_path)
    master, slave = os.openpty()
    try:
        done = run_cli(["sound"], home, bin_dir(tmp_path), block=True, stderr=slave, stdout=-1)
        os.close(slave)
        terminal = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other end is closed
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(master)
    assert done.returncode == 0
    assert done.stdout.strip() == "played the break chime through bell"
    assert b"\a" in terminal
    assert b"playing through bell, not simpleaudio: not installed" in terminal


def test_nothing_can_play_one_line_reason(tmp_path: Path) -> None:
    # A default PCM on a card that does not exist: simpleaudio and aplay both fail.
    home, _ = alsa_home(tmp_path, pcm="type hw; card 99")
    path = bin_dir(tmp_path, aplay=shutil.which("aplay") or "/usr/bin/aplay")
    done = run_cli(["sound", "break"], home, path)
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()  # one line: libasound's own chatter is silenced
    assert line.startswith("posture-monitor: error: nothing could play the sound: simpleaudio: ")
    assert "; aplay: exited with status 1" in line and line.endswith("bell: no terminal to ring")


# In-process: the fallback chain and the Announcer, with controllable backends.


class Fake:
    def __init__(self, name: str, fail: bool = False, gate: threading.Event | None = None):
        self.name, self.fail, self.gate, self.calls = name, fail, gate, 0

    def play(self, samples: np.ndarray, rate: int) -> None:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(10)  # a device that blocks until the test lets it go
        if self.fail:
            raise SoundError(f"{self.name}: device unplugged")


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_failed_backend_is_retried_after_backoff(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "monitor")
    bad, good, clock = Fake("headset", fail=True), Fake("speaker"), Clock()
    player = players.Player([bad, good], retry_s=60, clock=clock)
    for _ in range(5):
        assert player.play(np.zeros(10, np.int16)) == "speaker"
        clock.t += 10
    assert (bad.calls, good.calls) == (1, 5)  # not once per call
    clock.t = 61
    bad.fail = False
    assert player.play(np.zeros(10, np.int16)) == "headset"
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "sound: playing through speaker, not headset: device unplugged",
        "sound: playing through headset",
    ]


def test_simpleaudio_unavailable_falls_back_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "simpleaudio", None)
    path = bin_dir(tmp_path, aplay="#!/bin/sh\n", paplay="#!/bin/sh\n")
    found, missing = players.candidates("linux", str(path))
    assert [b.name for b in found] == ["paplay", "aplay", "bell"]
    assert missing["simpleaudio"].startswith("not installed")
    found, missing = players.candidates("linux", str(tmp_path / "empty"))
    assert [b.name for b in found] == ["bell"]
    assert missing["aplay"] == missing["paplay"] == "not on PATH"
    found, _ = players.candidates("darwin", str(tmp_path / "empty"))
    assert [b.name for b in found] == ["bell"]


def announcer(backend: Fake, policy: QuietTime | None = None, **sound_kw) -> sound.Announcer:
    settings = Sound(**({"notify": False} | sound_kw))
    return sound.Announcer(settings, policy, players.Player([backend], retry_s=60))


ALERT = Alert(3000.0, "break", "You have been sitting for 50 min. Stand up.")


def test_announce_returns_at_once_while_the_device_blocks() -> None:
    gate = threading.Event()
    slow = Fake("slow", gate=gate)
    out = announcer(slow)
    started = time.perf_counter()
    results = [out.announce(ALERT, repeat=i) for i in range(3)]
    elapsed_s = time.perf_counter() - started
    gate.set()
    assert elapsed_s < 0.2
    # One plays, one waits, the third is dropped rather than piling up.
    assert results == ["played", "played", "failed: still playing earlier alerts"]
    assert out.wait(5) and slow.calls == 2


def test_announce_never_raises() -> None:
    out = announcer(Fake("broken", fail=True))
    assert out.announce(ALERT) == "played"  # handed over; the failure shows next time
    assert out.wait(5)
    assert out.announce(ALERT).startswith("failed: broken: device unplugged; retrying in")

    class Exploding(QuietTime):
        def reason_muted(self, now: datetime) -> str | None:
            raise RuntimeError("bug")

    assert announcer(Fake("ok"), Exploding()).announce(ALERT) == "failed: bug"


@pytest.mark.parametrize(
    ("policy", "sound_kw", "result", "notified"),
    [
        (QuietTime(quiet=True), {}, "muted: quiet", True),
        (QuietTime.from_text(working_hours="09:00-10:00"), {}, f"muted: {OUTSIDE_HOURS}", False),
        (QuietTime(), {"enabled": False}, "muted: sound off", True),
        (QuietTime(), {}, "played", True),
    ],
)
def test_quiet_time_mutes_sound_and_keeps_notifying(
    tmp_path: Path, policy: QuietTime, sound_kw: dict, result: str, notified: bool
) -> None:
    log = tmp_path / "notified"
    fake = bin_dir(tmp_path, **{"notify-send": f'#!/bin/sh\nprintf "%s|" "$@" > {log}\n'})
    backend = Fake("speaker")
    out = sound.Announcer(
        Sound(**sound_kw),
        policy,
        players.Player([backend]),
        sound.Notifier.find(True, str(fake)),
    )
    assert out.announce(ALERT, t_wall=datetime(2025, 3, 4, 10, 30)) == result
    assert out.wait(5)
    assert backend.calls == (result == "played")
    deadline = time.monotonic() + 5
    while notified and not log.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert log.exists() == notified
    if notified:
        assert log.read_text() == f"--app-name=posture-monitor|Time for a break|{ALERT.detail}|"


def test_announcer_plays_for_real(tmp_path: Path) -> None:
    home, raw = alsa_home(tmp_path)
    code = (
        "from monitor.sound.announcer import Announcer\n"
        "from monitor.settings import Sound\n"
        "from monitor.core.values import Alert\n"
        "a = Announcer(Sound(notify=False))\n"
        "print(a.announce(Alert(0.0, 'posture', 'Sit back.'), repeat=1), a.wait(10))\n"
    )
    env = {"HOME": str(home), "PATH": str(bin_dir(tmp_path))}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "played True", done.stderr
    assert_is_chime(read_pcm(raw), "posture", insistent=True)
    assert stat.S_ISREG(raw.stat().st_mode)
