"""The synthesised chimes: short, click-free, distinguishable, volume-scaled."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.sound import chimes

RATE = chimes.SAMPLE_RATE
VARIANTS = [(kind, insistent) for kind in chimes.KINDS for insistent in (False, True)]


@pytest.mark.parametrize(("kind", "insistent"), VARIANTS)
def test_short_mono_int16_on_the_main_note(kind: str, insistent: bool) -> None:
    samples = chimes.chime(kind, insistent)
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert 0.3 < chimes.duration_s(samples) < 2.0
    main = chimes.MAIN_NOTE_HZ[kind]
    assert chimes.dominant_hz(samples) == pytest.approx(main, rel=0.02)


@pytest.mark.parametrize(("kind", "insistent"), VARIANTS)
def test_fades_in_and_out_without_clicks(kind: str, insistent: bool) -> None:
    x = chimes.chime(kind, insistent).astype(np.float64)
    peak = np.max(np.abs(x))
    assert x[0] == 0 and x[-1] == 0
    one_ms = RATE // 1000
    assert np.max(np.abs(x[:one_ms])) < 0.05 * peak
    assert np.max(np.abs(x[-one_ms:])) < 0.05 * peak
    # A smooth sum of partials up to 2*f cannot change faster than this per
    # sample; a click (a step) would jump by a large share of the peak.
    slope_bound = 2 * math.pi * 2 * chimes.MAIN_NOTE_HZ[kind] / RATE
    assert np.max(np.abs(np.diff(x))) < slope_bound * peak


def test_break_and_posture_are_told_apart() -> None:
    brk, pos = chimes.chime("break"), chimes.chime("posture")
    # Different main pitch (more than a fifth apart) and a different rhythm.
    assert chimes.dominant_hz(brk) / chimes.dominant_hz(pos) > 1.5
    assert abs(len(brk) - len(pos)) > 0.2 * RATE
    # Break rises over three notes: the pitch at its start is lower than at its end.
    start, end = brk[: RATE // 8], brk[int(0.5 * RATE) : int(0.8 * RATE)]
    assert chimes.dominant_hz(start) < chimes.dominant_hz(end)


@pytest.mark.parametrize("kind", chimes.KINDS)
def test_the_repeat_is_more_insistent(kind: str) -> None:
    first, repeat = chimes.chime(kind), chimes.chime(kind, insistent=True)
    assert len(repeat) > len(first)
    assert np.max(np.abs(repeat)) > np.max(np.abs(first))
    assert len(chimes.score(kind, True)) > len(chimes.score(kind, False))


@given(st.floats(min_value=0.0, max_value=1.0))
def test_volume_scales_the_peak(volume: float) -> None:
    samples = chimes.chime("posture", volume=volume)
    expected = chimes.LEVEL * volume * 32767
    assert abs(int(np.max(np.abs(samples.astype(np.int32)))) - expected) <= 1
    assert samples[0] == samples[-1] == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "dinner"}, "kind='dinner'"),
        ({"kind": "break", "volume": 1.5}, "volume=1.5"),
        ({"kind": "break", "volume": -0.1}, "volume=-0.1"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        chimes.chime(**kwargs)


def test_core_imports_no_edges() -> None:
    code = (
        "import sys, monitor.sound.chimes, monitor.core.quiet; "
        "print(sorted({'cv2', 'mediapipe', 'simpleaudio'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
