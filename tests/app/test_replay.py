"""replay.timeline_of: the one calibrate-then-track sequence that replay,
evaluate and the golden accuracy tests share."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import estimated

from monitor.app import replay
from monitor.core import profile as profiles
from monitor.core.profile import Profile
from monitor.errors import ProfileError
from monitor.report.timeline import Timeline
from monitor.settings import DEFAULTS

GAZE = "front/gaze_analyser.mov"  # 3.9 s, seated, facing the camera


def run() -> replay.Estimated:
    return estimated(GAZE, 5, "lite")  # shared with test_faults


def test_calibrate_builds_the_profile_from_the_stretch_and_judges_posture_with_it() -> None:
    timeline = replay.timeline_of(run(), DEFAULTS, calibrate=(0.5, 2.5), name="gaze")
    assert timeline.extra["profile"]["name"] == "gaze"
    assert any(s.posture.value != "unknown" for s in timeline.samples)
    assert timeline.analysed_frames == len(run().samples)


def test_without_calibrate_the_given_profile_is_used_and_none_judges_no_posture() -> None:
    given = profiles.build(run().samples[:12], "given")  # before her second glance
    assert replay.timeline_of(run(), DEFAULTS, given).extra["profile"]["name"] == "given"
    bare = replay.timeline_of(run(), DEFAULTS)
    assert "profile" not in bare.extra
    assert all(s.posture.value == "unknown" for s in bare.samples)


def test_a_failed_calibration_raises_or_goes_to_the_handler_and_the_profile_stays() -> None:
    nowhere = (100.0, 200.0)  # after the clip's end: no frames to calibrate on
    with pytest.raises(ProfileError, match="no analysed frames between 100 s and 200 s"):
        replay.timeline_of(run(), DEFAULTS, calibrate=nowhere)
    given = profiles.build(run().samples[:12], "given")  # before her second glance
    failures: list[ProfileError] = []
    timeline = replay.timeline_of(
        run(), DEFAULTS, given, calibrate=nowhere, on_calibration_error=failures.append
    )
    assert len(failures) == 1
    assert timeline.extra["profile"]["name"] == "given"


def test_a_profile_calibrated_on_a_mirrored_estimate_says_so() -> None:
    """So that a run or replay with the other camera.mirrored refuses it (`profile.load`)."""
    seen: list[Profile | None] = []

    def record(estimated: replay.Estimated, profile: Profile | None) -> Timeline:
        seen.append(profile)
        return replay.track(estimated, DEFAULTS, profile)

    for mirrored in (False, True):
        estimate = dataclasses.replace(run(), mirrored=mirrored)
        replay.timeline_of(estimate, DEFAULTS, calibrate=(0.5, 2.5), track_with=record)
    assert [p.mirrored if p else None for p in seen] == [False, True]


def test_track_with_gets_the_calibrated_profile() -> None:
    seen: list[Profile | None] = []

    def record(estimated: replay.Estimated, profile: Profile | None) -> Timeline:
        seen.append(profile)
        return replay.track(estimated, DEFAULTS, profile)

    replay.timeline_of(run(), DEFAULTS, calibrate=(0.5, 2.5), name="gaze", track_with=record)
    assert [p.name if p else None for p in seen] == ["gaze"]


def test_a_stretch_running_past_the_end_says_what_it_calibrated_on(caplog) -> None:
    end = run().duration_s
    timeline = replay.timeline_of(run(), DEFAULTS, calibrate=(1.0, 30.0), name="gaze")
    assert timeline.extra["profile"]["name"] == "gaze"  # the part that exists is used
    assert [r.getMessage() for r in caplog.records] == [
        f"the calibration stretch 1-30 s runs past the recording's end: calibrating on "
        f"1-{end:.1f} s"
    ]
    caplog.clear()
    replay.timeline_of(run(), DEFAULTS, calibrate=(0.5, 2.5), name="gaze")
    assert caplog.records == []  # a stretch inside the recording says nothing
