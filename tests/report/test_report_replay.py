"""End to end on a real recording: replay into a database, then report, export, forget.

The frailty clip (five sit-to-stand cycles) is replayed once per module with
short debounce settings so it yields several bouts and breaks; it is placed
at 01:59:55 BST on the day the clocks go back, so it runs into the repeated
hour. The report's figures are checked against the replay's own timeline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from simulated_day import AWAY, DRIFT, GOOD, SEATED, STANDING, run, settings, stretch

from monitor.storage.recorder import Recorder
from monitor.storage.store import Store

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CLIP = DATA / "sitstand" / "frailty_chair_stands.mp4"
START = "2026-10-25T01:59:55+01:00"
DAY = "2026-10-25"
TZ = "Europe/London"
CHROMIUM = "/usr/bin/chromium"


def cli(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The database and the timeline of one replay of the frailty clip."""
    assert CLIP.exists(), f"recording missing: {CLIP}"
    folder = tmp_path_factory.mktemp("replay")
    db, timeline = folder / "monitor.db", folder / "timeline.json"
    cli(
        "replay", CLIP, "--fps", "5", "--db", db, "--start", START, "--json", timeline,
        "--set", "sitting.ignore_shorter_s=0.3", "--set", "sitting.min_break_s=0.5",
    )  # fmt: skip
    return db, json.loads(timeline.read_text())


@pytest.fixture(scope="module")
def report(replayed: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> dict:
    db, _ = replayed
    out = tmp_path_factory.mktemp("report")
    result = cli("report", "--db", db, "--date", DAY, "--tz", TZ, "--json", out / "r.json",
                 "--csv", out / "r.csv")  # fmt: skip
    body = json.loads((out / "r.json").read_text())
    return {"text": result.stdout, "day": body["days"][0], "csv": (out / "r.csv").read_text()}


def weighted_seconds(timeline: dict, presence: str, max_gap_s: float = 5.0) -> float:
    """Seconds in `presence` as the timeline's frames say (each until the next frame)."""
    samples = timeline["samples"]
    ends = [s["t"] for s in samples[1:]] + [timeline["duration_s"]]
    return sum(
        min(end - s["t"], max_gap_s)
        for s, end in zip(samples, ends, strict=True)
        if s["presence"] == presence
    )


def test_the_replay_has_several_bouts_and_breaks(replayed: tuple[Path, dict]) -> None:
    _, timeline = replayed
    assert len(timeline["bouts"]) >= 4 and len(timeline["breaks"]) >= 4


def test_report_matches_the_timeline(replayed: tuple[Path, dict], report: dict) -> None:
    _, timeline = replayed
    day = report["day"]
    bouts = [b["end"] - b["start"] for b in timeline["bouts"]]
    assert day["bouts"] == len(bouts)
    assert day["breaks"] == len(timeline["breaks"])
    assert day["bout_longest_s"] == pytest.approx(max(bouts), abs=2e-3)
    assert day["bout_mean_s"] == pytest.approx(sum(bouts) / len(bouts), abs=2e-3)
    assert sorted(day["bout_lengths_s"]) == pytest.approx(sorted(bouts), abs=2e-3)
    assert day["monitored_s"] == pytest.approx(timeline["duration_s"], abs=2e-3)
    for key in ("seated", "standing", "away"):
        assert day[f"{key}_s"] == pytest.approx(weighted_seconds(timeline, key), abs=0.01)
    assert day["breaks_per_sitting_hour"] == pytest.approx(
        len(timeline["breaks"]) / (day["seated_s"] / 3600)
    )
    assert day["alerts_raised"] == 0 and day["bouts_30"] == 0
    assert day["usable_pose_share"] == pytest.approx(1.0)
    assert day["pelvic_tilt_median_deg"] is None  # no calibration: said, not guessed
    # The clip runs from 01:59:55 BST into the repeated hour, 01:00 GMT.
    monitored = [h["hour"] for h in day["hourly"] if h["monitored_s"] > 0]
    assert monitored == ["01 BST", "01 GMT"]
    assert day["stand_hours"] == 2


def test_terminal_table_and_csv(replayed: tuple[Path, dict], report: dict) -> None:
    text = report["text"]
    assert "Sitting report for Sunday 25 October 2026 (Europe/London)" in text
    for label in ("monitored", "sitting", "breaks", "sitting bouts", "stand hours",
                  "break alerts", "posture", "pelvic tilt", "data quality"):  # fmt: skip
        assert f"\n  {label} " in text
    assert "posture not judged: no calibration" in text  # the cause, not the hips
    rows = report["csv"].splitlines()
    assert rows[0].startswith("local_time,utc_epoch,monitored_s,seated_s")
    assert rows[1].startswith("2026-10-25T01:59+01:00") and rows[-1].startswith(
        "2026-10-25T01:00+00:00"
    )
    assert sum(float(r.split(",")[2]) for r in rows[1:]) == pytest.approx(9.5, abs=0.1)


def test_html_report_renders_in_a_real_browser(replayed: tuple[Path, dict], tmp_path: Path) -> None:
    # Chromium is part of the set-up (setup.sh); its absence is a failure, not a skip.
    assert Path(CHROMIUM).exists(), "chromium is missing: apt-get install -y chromium"
    db = tmp_path / "m.db"
    shutil.copy(replayed[0], db)
    # A simulated Saturday before it, so the trend chart has two days.
    config = settings()
    sat = date(2026, 10, 24)
    with Store.open(db) as store:
        t0 = datetime(2026, 10, 24, 9, tzinfo=ZoneInfo(TZ)).timestamp()
        rec = Recorder(store, source="sim", model="full", settings=config, started_at=t0)
        schedule = [
            stretch(3000, SEATED, GOOD),
            stretch(300, STANDING),
            stretch(2000, SEATED, DRIFT, ("slouch",)),
            stretch(900, AWAY),
        ]
        run(rec, schedule, config)
    html = tmp_path / "report.html"
    cli("report", "--db", db, "--date", DAY, "--days", "2", "--tz", TZ, "--html", html)
    page = html.read_text()
    assert "http://" not in page and "https://" not in page  # self-contained
    assert page.count("data:image/png;base64,") == 5
    assert sat.isoformat() in page
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1200,2000", f"file://{html}"],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (2000, 1200)
    charts = image[550:, :]  # below the figures table
    assert charts.std() > 20
    # The seated blue (#3b6fb6) of the ribbon, grid and histogram is really drawn.
    blue = np.all(np.abs(charts.astype(int) - (0xB6, 0x6F, 0x3B)) < 12, axis=2)
    assert blue.sum() > 2000


def test_data_export_and_forget(replayed: tuple[Path, dict], tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    shutil.copy(replayed[0], db)
    out = tmp_path / "export"
    cli("data", "export", "--db", db, "--out", out)
    samples = (out / "samples.csv").read_text().splitlines()
    assert len(samples) == 1 + 10 and samples[0].startswith("session_id,t,dur_s")
    events = (out / "events.csv").read_text()
    _, timeline = replayed
    assert events.count(",bout,") == len(timeline["bouts"])
    assert events.count(",break,") == len(timeline["breaks"])
    result = cli("data", "forget", "--db", db, "--before", "2026-10-26", "--tz", TZ)
    assert result.stdout.startswith("deleted ")
    day = cli("report", "--db", db, "--date", DAY, "--tz", TZ).stdout
    assert "no monitoring recorded on this day" in day


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["report", "--date", "2026-13-01"], 1, "not a date: '2026-13-01'"),
        (["report", "--days", "0"], 2, "must be from 1 to 366"),
        (["report", "--tz", "Mars/Olympus"], 1, "unknown time zone"),
        (["replay", "x.mp4", "--start", "noon"], 2, "expected an ISO date-time"),
        (["data", "forget"], 2, "required: --before"),
    ],
)
def test_bad_arguments_give_one_line_errors(
    tmp_path: Path, args: list[str], status: int, message: str
) -> None:
    result = cli(*args, "--db", tmp_path / "m.db", check=False)
    assert result.returncode == status
    assert message in result.stderr


def test_a_damaged_database_is_a_clean_error(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    db.write_bytes(b"not a database at all" * 100)
    result = cli("report", "--db", db, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("posture-monitor: error: database ")
    assert "damaged" in result.stderr and len(result.stderr.splitlines()) == 1
    assert db.read_bytes() == b"not a database at all" * 100


def test_a_stretch_already_recorded_is_not_recorded_twice(
    replayed: tuple[Path, dict], tmp_path: Path
) -> None:
    db = tmp_path / "copy.db"
    shutil.copy(replayed[0], db)
    again = cli("replay", CLIP, "--fps", "5", "--db", db, "--start", "2026-10-25T01:59:58+01:00",
                check=False)  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1].endswith(
        "(a replay recorded before?); choose another --start, or another --db"
    )
    with Store.open(db) as store:
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    later = cli("replay", CLIP, "--fps", "5", "--db", db, "--start", "2026-10-25T02:10:00+01:00")
    assert later.returncode == 0
