"""`posture-monitor bench` modes: the figures come out with min, median and max.

Functional only: a benchmark is a command, so no figure here is held to a
time limit; the tests check that each mode runs and reports its figures.
"""

from __future__ import annotations

import json

import pytest
from conftest import cli_env, run_cli

from monitor.devtools.process_meter import memory_figures

SPREAD = {"min", "median", "max"}


def test_bench_live_startup_and_alert_modes_write_their_figures(short_video, tmp_path):
    out = tmp_path / "bench.json"
    result = run_cli(
        "bench", short_video, "--startup", "--live-minutes", "0.05", "--alerts", "3",
        "--calibrate", "0.5:2.5", "--repeat", "1", "--model", "lite", "--json", out,
        env=cli_env(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["modes"] == ["startup", "live", "alerts"]  # no replay unless asked
    assert report["machine"]["nproc"] >= 1
    figures = report["figures"]
    for key in ("startup_s", "cpu_percent", "rss_mb", "break_alerts", "posture_alerts"):
        assert set(figures[key]) == SPREAD, key
        assert 0 <= figures[key]["min"] <= figures[key]["median"] <= figures[key]["max"]
    assert figures["startup_s"]["min"] > 0
    assert figures["rss_mb"]["min"] > 10  # a real process with a model loaded
    assert "decode_ms" not in figures
    for heading in ("startup:", "live:", "alerts:", "startup_s", "cpu_percent"):
        assert heading in result.stdout


# -- the memory soak's arithmetic (the soak itself is too long for the suite) ------------------


def minutes_of(*levels: float, per_minute: int = 12) -> list[float]:
    """Readings of a soak whose RSS sits at each level for one minute."""
    return [level for level in levels for _ in range(per_minute)]


def test_a_reading_taken_mid_frame_does_not_move_its_minute_but_is_the_peak() -> None:
    readings = minutes_of(*[200.0] * 20)
    readings[5 * 12 + 7] = 201.0  # a frame's buffers in flight at one reading
    figures = memory_figures(readings)
    assert figures["rss_samples_mb"] == [200.0] * 20
    assert figures["memory_rss_mb"] == 200.0
    assert figures["memory_growth_mb"] == 0.0
    assert figures["memory_peak_mb"] == 201.0


def test_growth_in_the_last_ten_minutes_is_growth() -> None:
    levels = [200.0] * 50 + [200.0 + 0.1 * i for i in range(1, 11)]  # the last ten rise 1 MB
    figures = memory_figures(minutes_of(*levels))
    assert len(figures["rss_samples_mb"]) == 60
    assert figures["memory_first_mb"] == 200.0
    assert figures["memory_last_mb"] == pytest.approx(201.0)
    assert figures["memory_growth_mb"] == pytest.approx(1.0)
    assert figures["memory_rss_mb"] == pytest.approx(201.0)


def test_the_reading_past_the_last_whole_minute_is_not_a_minute() -> None:
    readings = [*minutes_of(*[200.0] * 60), 201.0]  # 721 readings: the hour's end lands mid-frame
    figures = memory_figures(readings)
    assert len(figures["rss_samples_mb"]) == 60
    assert figures["memory_growth_mb"] == 0.0
    assert figures["memory_peak_mb"] == 201.0


def test_a_rise_inside_the_first_ten_minutes_is_not_growth() -> None:
    levels = [199.0] * 3 + [200.0] * 57  # settles in the first minutes, then flat
    figures = memory_figures(minutes_of(*levels))
    assert figures["memory_first_mb"] == figures["memory_last_mb"] == 200.0
    assert figures["memory_growth_mb"] == 0.0


def test_a_short_soak_compares_its_halves() -> None:
    figures = memory_figures(minutes_of(200.0, 200.0, 200.0, 202.0, 202.0, 202.0))
    assert (figures["memory_first_mb"], figures["memory_last_mb"]) == (200.0, 202.0)
    assert figures["memory_growth_mb"] == 2.0


def test_bench_on_a_file_that_is_not_a_video_says_so_in_one_line(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video\n")
    result = run_cli("bench", fake, "--repeat", "1", env=cli_env(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        f"posture-monitor: error: cannot open {fake} as a video (not a video, or unreadable)\n"
    )  # and no traceback from a pose model left open
