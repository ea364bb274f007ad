"""`posture-monitor bench` modes: the figures come out with min, median and max.

Functional only: a benchmark is a command, so no figure here is held to a
time limit; the tests check that each mode runs and reports its figures.
"""

from __future__ import annotations

import json

from conftest import cli_env, run_cli

SPREAD = {"min", "median", "max"}


def test_bench_live_startup_and_alert_modes_write_their_figures(short_video, tmp_path):
    out = tmp_path / "bench.json"
    result = run_cli(
        "bench", short_video, "--startup", "--live-minutes", "0.05", "--alerts", "3",
        "--repeat", "1", "--model", "lite", "--json", out, env=cli_env(tmp_path),
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
