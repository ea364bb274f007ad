"""The alert sounds, synthesised with numpy: no audio files ship with the monitor.

Two chimes a listener can tell apart without looking: the break chime rises
over three notes and holds the top one ("get up"); the posture chime is a low
double tap on one note ("sit back"). Each has an insistent variant for repeats,
louder and with more notes. Every note starts and ends on a raised-cosine ramp
and the whole sound starts and ends at exactly zero, so the speaker never
clicks. Output is mono int16 at `SAMPLE_RATE`, ready for any player.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 22050
KINDS = ("break", "posture")

# Equal-tempered pitches, Hz.
C5, E5, G5, C6 = 523.25, 659.26, 783.99, 1046.50
E4 = 329.63

ATTACK_S = 0.008  # long enough to avoid a click, short enough to sound struck
RELEASE_S = 0.03
EDGE_FADE_S = 0.01  # extra fade over the whole sound's first and last moments
LEVEL = 0.55  # peak share of full scale at volume 1 (headroom for overlaps)
INSISTENT_LEVEL = 0.85


@dataclass(frozen=True)
class Note:
    freq_hz: float
    start_s: float
    dur_s: float
    gain: float = 1.0
    decay_s: float = 0.35  # time constant of the bell-like exponential decay


# The held last note carries most energy, so it is the chime's dominant
# frequency (what the playback tests look for).
_BREAK = (Note(C5, 0.0, 0.22), Note(E5, 0.16, 0.22), Note(G5, 0.32, 0.65, decay_s=0.6))
_BREAK_INSISTENT = (
    Note(C5, 0.0, 0.18),
    Note(E5, 0.13, 0.18),
    Note(G5, 0.26, 0.18),
    Note(C5, 0.45, 0.18),
    Note(E5, 0.58, 0.18),
    Note(G5, 0.71, 0.8, decay_s=0.6),
    Note(C6, 0.71, 0.8, gain=0.3, decay_s=0.5),
)
_POSTURE = (Note(E4, 0.0, 0.2, decay_s=0.15), Note(E4, 0.26, 0.3, decay_s=0.2))
_POSTURE_INSISTENT = (
    Note(E4, 0.0, 0.2, decay_s=0.15),
    Note(E4, 0.26, 0.2, decay_s=0.15),
    Note(E4, 0.62, 0.2, decay_s=0.15),
    Note(E4, 0.88, 0.3, decay_s=0.2),
)
_SCORES = {
    ("break", False): _BREAK,
    ("break", True): _BREAK_INSISTENT,
    ("posture", False): _POSTURE,
    ("posture", True): _POSTURE_INSISTENT,
}
MAIN_NOTE_HZ = {"break": G5, "posture": E4}


def raised_cosine(n: int) -> np.ndarray:
    """A ramp from 0 to 1 over `n` samples with zero slope at both ends."""
    if n <= 0:
        return np.ones(0)
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)


def _note(note: Note, rate: int) -> np.ndarray:
    n = round(note.dur_s * rate)
    t = np.arange(n) / rate
    # A quiet octave partial makes it a chime rather than a test tone.
    wave = np.sin(2 * np.pi * note.freq_hz * t) + 0.25 * np.sin(4 * np.pi * note.freq_hz * t)
    env = np.exp(-t / note.decay_s)
    attack, release = int(ATTACK_S * rate), int(RELEASE_S * rate)
    env[:attack] *= raised_cosine(attack)
    env[n - release :] *= raised_cosine(release)[::-1]
    return note.gain * wave * env


def score(kind: str, insistent: bool = False) -> tuple[Note, ...]:
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: expected one of {', '.join(KINDS)}")
    return _SCORES[kind, bool(insistent)]


def chime(
    kind: str, insistent: bool = False, volume: float = 1.0, rate: int = SAMPLE_RATE
) -> np.ndarray:
    """The `kind` chime ("break" or "posture") as mono int16 samples at `rate`."""
    if not (isinstance(volume, (int, float)) and 0.0 <= volume <= 1.0):
        raise ValueError(f"volume={volume!r}: expected a number from 0 to 1")
    notes = score(kind, insistent)
    end_s = max(n.start_s + n.dur_s for n in notes)
    mix = np.zeros(math.ceil(end_s * rate) + 1)
    for note in notes:
        start = round(note.start_s * rate)
        wave = _note(note, rate)
        mix[start : start + len(wave)] += wave
    edge = int(EDGE_FADE_S * rate)
    mix[:edge] *= raised_cosine(edge)
    mix[len(mix) - edge :] *= raised_cosine(edge)[::-1]
    mix[0] = mix[-1] = 0.0
    peak = float(np.max(np.abs(mix))) or 1.0
    level = (INSISTENT_LEVEL if insistent else LEVEL) * volume
    return np.round(mix / peak * level * 32767).astype(np.int16)


def duration_s(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    return len(samples) / rate


def dominant_hz(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """The frequency with the most energy (Hann-windowed FFT)."""
    x = np.asarray(samples, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def rms(samples: np.ndarray) -> float:
    """Root-mean-square level as a share of full scale (0..1)."""
    x = np.asarray(samples, dtype=np.float64) / 32768
    return float(np.sqrt(np.mean(x * x))) if len(x) else 0.0
