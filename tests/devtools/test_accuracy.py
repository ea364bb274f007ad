"""Golden figures on the real recordings (issues 3 and 4), so accuracy cannot
regress silently.

Each clip is analysed once per session (conftest.estimated), calibrated on
the stretch labels.json names and tracked with the default settings, as
`evaluate` does (replay.timeline_of), and scored with monitor.devtools.evaluate.score
against the hand labels. The floors sit a little under what was measured
when these tests were written (in the comments), so that one or two frames
may change but a real regression fails.

Measured at 2 frames a second (the frailty sit-to-stand clip at 5, the rate
test_pose.py also uses, so the two share one model run):

| clip | seated | standing | good | drift |
|---|---|---|---|---|
| sitstand/frailty_chair_stands.mp4 | 100% (17) | 100% (17) | - | - |
| side/jonz21_office_chair.mp4 | 100% (24) | - | 100% (16/16) | 62% (5/8) |
| side/joylinwq_slump_to_upright.mp4 | 100% (40) | - | 100% (26) | 100% (14) |
| front/deepa_interview.mp4 | 100% (45) | - | 100% (9) | - |
| front/gaze_analyser.mov | 100% (8) | - | - | - |

jonz21's misses are its "recline" (12-13 s): his head tipped back with the trunk as
calibrated, which `chin_up` would call, but his calibration stretch walks and its
head-pitch spread puts the threshold at 42° (calibration/README.md).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import DATA, cli_env, clip, estimated, run_cli

from monitor.app import replay
from monitor.capture.sources import ImageFolderSource
from monitor.core import profile as P
from monitor.core.posture import OLD_NAMES, PostureMonitor
from monitor.core.values import PostureState
from monitor.devtools import evaluate, stills
from monitor.settings import DEFAULTS

LABELS = evaluate.load_labels(DATA / "labels.json")
FRAILTY = "sitstand/frailty_chair_stands.mp4"
FPS = {FRAILTY: 5.0}


def timeline(name: str, settings=DEFAULTS) -> dict:
    """What `evaluate` scores, from the session's cached estimate of the clip."""
    calibrate = LABELS[name].get("calibrate")
    run = estimated(name, FPS.get(name, 2.0))
    return replay.timeline_of(run, settings, calibrate=calibrate, name=Path(name).stem).to_json()


# (clip, {presence class: floor}, {posture class: floor})
GOLDEN = {
    FRAILTY: ({"seated": 0.9, "standing": 0.9}, {}),
    "side/jonz21_office_chair.mp4": ({"seated": 0.95}, {"good": 0.9, "drift": 0.5}),
    "side/joylinwq_slump_to_upright.mp4": ({"seated": 0.95}, {"good": 0.9, "drift": 0.85}),
    "front/deepa_interview.mp4": ({"seated": 0.95}, {"good": 0.85}),
    "front/gaze_analyser.mov": ({"seated": 0.85}, {}),
}


@pytest.mark.parametrize(("name", "presence", "posture"), [(k, *v) for k, v in GOLDEN.items()])
def test_golden_accuracy(name, presence, posture):
    found_presence, found_posture = evaluate.score(timeline(name), LABELS[name])
    for truth, floor in presence.items():
        accuracy = found_presence.accuracy(truth)
        assert accuracy is not None and accuracy >= floor, (truth, found_presence.to_json())
    for truth, floor in posture.items():
        accuracy = found_posture.accuracy(truth)
        assert accuracy is not None and accuracy >= floor, (truth, found_posture.to_json())
    # every labelled class is scored: no class silently vanished from the labels
    assert set(found_presence.totals) == set(presence)
    assert set(found_posture.totals) == set(posture)


@pytest.mark.parametrize(
    "name", ["side/jonz21_office_chair.mp4", "side/joylinwq_slump_to_upright.mp4"]
)
def test_drift_is_named_as_labelled(name):
    """Where a labelled drift segment is judged drift, the issue is the labelled kind."""
    samples = timeline(name)["samples"]
    drifts = [s for s in LABELS[name]["segments"] if s.get("posture") == "drift"]
    judged = 0
    for segment in drifts:
        for sample in samples:
            if segment["start"] <= sample["t"] <= segment["end"] and sample["posture"] == "drift":
                judged += 1
                kind = OLD_NAMES.get(segment["kind"], segment["kind"])  # the labels say slouch
                assert kind in sample["issues"], (sample["t"], sample["issues"])
    # jonz21: his 5 slouch samples (6-8 s), not his recline; joylinwq: all 14.
    assert judged >= 5


def test_frailty_sit_to_stand_bouts_and_breaks():
    """Five sit-to-stand cycles with the rules scaled down to seconds.

    Measured: 5 bouts (0-1, 1.8-2.8, 3.6-4.6, 5.4-6.4, 7.4-8.2 s) and
    5 breaks (1-1.8, 2.8-3.6, 4.6-5.4, 6.4-7.4, 8.2-9.5 s).
    """
    quick = dataclasses.replace(
        DEFAULTS,
        sitting=dataclasses.replace(DEFAULTS.sitting, ignore_shorter_s=0.3, min_break_s=0.5),
    )
    found = timeline(FRAILTY, quick)
    bouts = [(b["start"], b["end"]) for b in found["bouts"]]
    breaks = [(b["start"], b["end"]) for b in found["breaks"]]
    assert 4 <= len(bouts) <= 6, bouts
    assert 4 <= len(breaks) <= 6, breaks
    segments = LABELS[FRAILTY]["segments"]
    standing = [(s["start"] + s["end"]) / 2 for s in segments if s["presence"] == "standing"]
    seated = [(s["start"] + s["end"]) / 2 for s in segments if s["presence"] == "seated"]
    for t in standing:
        assert any(a <= t <= b for a, b in breaks), (t, breaks)
        assert not any(a <= t <= b for a, b in bouts), (t, bouts)
    for t in seated[:-1]:  # the last sit starts 0.3 s before the end: not yet a bout
        assert any(a <= t <= b for a, b in bouts), (t, bouts)


# -- stills: one photo at a time, each judged by a fresh monitor --------------------------------

NV = "stills/nvinayvarma"


def still_names(folder: str) -> list[str]:
    return [p.name for p in ImageFolderSource(str(DATA / folder)).files]


def judge_stills(folder: str, profile: P.Profile) -> dict[str, object]:
    samples = estimated(folder, None).samples
    return {
        name: PostureMonitor(DEFAULTS.posture, profile).step(sample, seated=True)
        for name, sample in zip(still_names(folder), samples, strict=True)
    }


@pytest.fixture(scope="module")
def nv_profile() -> P.Profile:
    samples = estimated(NV, None).samples
    straight = [
        s for n, s in zip(still_names(NV), samples, strict=True) if n.startswith("straight")
    ]
    assert len(straight) == 3
    return P.build(straight, "nv")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("straight", None), ("hunchback", "slump"), ("recline", "recline")],
)
def test_nvinayvarma_stills(nv_profile, prefix, expected):
    """Calibrated on straight*.jpg; measured: all 4 hunchback photos slouch (and
    forward_head), all 4 recline photos recline, the 3 straight ones good."""
    judged = {n: s for n, s in judge_stills(NV, nv_profile).items() if n.startswith(prefix)}
    assert len(judged) >= 3
    for name, step in judged.items():
        if expected is None:
            assert step.state is PostureState.GOOD, (name, step.issues, step.metrics)
        else:
            assert expected in step.issues, (name, step.issues, step.metrics)


@pytest.fixture(scope="module")
def vincent_profile() -> P.Profile:
    return P.build(estimated("stills/vincent_neck_pose/case4", None).samples, "vincent")


@pytest.mark.parametrize(
    ("case", "drift_at_least", "good_at_least"),
    [
        (1, 5, 0),  # worst head poke: measured 6/6 drift (head_down + forward_head)
        (2, 5, 0),  # second worst: measured 6/6 drift
        (3, 0, 5),  # limit of acceptable: measured 6/6 good
        (4, 0, 6),  # the calibration photos themselves
        (5, 0, 5),  # acceptable extension: measured 6/6 good
        (6, 3, 0),  # worst extension: measured 3/6 chin_up here, 5/6 in the set (6/6 good before)
    ],
)
def test_vincent_neck_stills(vincent_profile, case, drift_at_least, good_at_least):
    steps = judge_stills(f"stills/vincent_neck_pose/case{case}", vincent_profile).values()
    drift = [s for s in steps if s.state is PostureState.DRIFT]
    good = [s for s in steps if s.state is PostureState.GOOD]
    assert len(drift) >= drift_at_least and len(good) >= good_at_least, [s.issues for s in steps]
    expected = {"chin_up"} if case == 6 else {"head_down", "forward_head"}
    for step in drift:
        assert expected & set(step.issues), step.issues


# (set folder, {posture class: floor}); measured in the comments (2026-12, issue 18)
STILL_SETS = {
    "stills/ekamn_front/A1": {"good": 1.0, "drift": 0.8},  # 3/3 good, 6/6 drift
    "stills/ekamn_front/A2": {"good": 1.0, "drift": 0.85},  # 2/2 good, 14/14 drift
    "stills/nvinayvarma": {"good": 1.0, "drift": 0.85},  # 3/3 (in-sample), 8/8
    "stills/vincent_neck_pose": {"good": 0.9, "drift": 0.75},  # 12/12, 15/18
}


@pytest.fixture(scope="module")
def still_sets() -> dict[str, stills.StillSet]:
    return {s.folder: s for s in stills.all_sets(DATA)}


@pytest.mark.parametrize(("folder", "floors"), STILL_SETS.items())
def test_still_sets_golden(still_sets, folder, floors):
    """Each still set as `evaluate` scores it: calibrated on its listed photos,
    every other photo judged alone against that calibration."""
    still_set = still_sets[folder]
    samples = {}
    for sub in {Path(f).parent.as_posix() for f in still_set.files}:
        where = folder if sub == "." else f"{folder}/{sub}"
        for name, sample in zip(still_names(where), estimated(where, None).samples, strict=True):
            samples[name if sub == "." else f"{sub}/{name}"] = sample
    result = stills.score_set(still_set, samples, DEFAULTS)
    assert result.note == ""  # calibrated
    for truth, floor in floors.items():
        accuracy = result.posture.accuracy(truth)
        assert accuracy is not None and accuracy >= floor, (truth, result.judged)
    assert set(result.posture.totals) == set(floors)
    assert result.presence.accuracy("seated") == 1.0


def test_every_labelled_person_is_scored():
    """The clips and sets cover the people the leave-one-person-out check holds out."""
    names = [*LABELS, *(s.folder for s in stills.all_sets(DATA))]
    assert {stills.person(n) for n in names} == {
        "jonz21", "joylinwq", "frailty", "deepa", "gaze", "nvinayvarma", "vincent", "ekamn",
    }  # fmt: skip


def test_evaluate_finds_the_shared_labels_from_any_folder(tmp_path):
    """The default labels are the shared data beside the repository, not ../ of
    wherever the command runs."""
    scored = run_cli("evaluate", "front/gaze_analyser.mov", "--model", "lite", "--fps", "1",
                     env=cli_env(tmp_path), cwd=tmp_path)  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert scored.stdout.splitlines()[1].startswith("front/gaze_analyser.mov ")


def test_evaluate_scores_a_saved_timeline_like_a_replay(tmp_path):
    """`evaluate --timeline` scores what `replay --json` wrote, naming the clip by its source."""
    env = cli_env(tmp_path)
    out = tmp_path / "gaze.json"
    replayed = run_cli("replay", clip("front/gaze_analyser.mov"), "--model", "lite",
                       "--json", out, env=env)
    assert replayed.returncode == 0, replayed.stderr
    labels = DATA / "labels.json"
    scored = run_cli("evaluate", "--labels", labels, "--timeline", out, "--json",
                     tmp_path / "scores.json", env=env)
    assert scored.returncode == 0, scored.stderr
    scores = json.loads((tmp_path / "scores.json").read_text())
    seated = scores["front/gaze_analyser.mov"]["presence"]["per_class"]["seated"]
    assert seated == 1.0
    (tmp_path / "other.json").write_text('{"source": "elsewhere.mp4", "samples": []}')
    refused = run_cli("evaluate", "--labels", labels, "--timeline", tmp_path / "other.json",
                      env=env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("posture-monitor: error: no labels for the source")


def test_evaluate_calibrates_a_clip_without_a_calibrate_stretch_on_its_first_good_segment(tmp_path):
    """Labels made elsewhere may name no calibration stretch: the first seated,
    good-posture segment is the neutral posture a user would calibrate on, so
    posture is judged instead of all 'unknown' (scored wrong)."""
    name = "side/jonz21_office_chair.mp4"
    labelled = {k: v for k, v in LABELS[name].items() if k != "calibrate"}
    labelled["file"] = str(DATA / name)
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"clips": [labelled]}))
    assert evaluate.calibration_span(labelled, 5.0) == (1.6, 5.4)
    assert evaluate.calibration_span(labelled, 2.0) == (1.6, 3.6)
    assert evaluate.calibration_span(LABELS[name], 2.0) == (1.6, 5.2)  # a stretch given wins
    assert evaluate.calibration_span(LABELS["sitstand/frailty_chair_stands.mp4"], 5.0) is None
    scored = run_cli("evaluate", "--labels", labels, "--json", tmp_path / "scores.json",
                     env=cli_env(tmp_path))  # the full model: lite finds no drift here
    assert scored.returncode == 0, scored.stderr
    assert "calibrating on its first good-posture segment, 1.6-5.4 s" in scored.stderr
    posture = json.loads((tmp_path / "scores.json").read_text())[str(DATA / name)]["posture"]
    assert posture["per_class"]["good"] >= 0.5 and posture["per_class"]["drift"] >= 0.25, posture


def test_evaluate_judges_a_clip_without_a_profile_when_its_guessed_segment_cannot_calibrate(
    tmp_path,
):
    """A guessed stretch too short to calibrate on is not the labels' fault:
    the clip is scored uncalibrated, with a note, and the run goes on."""
    name = "side/jonz21_office_chair.mp4"
    labelled = {k: v for k, v in LABELS[name].items() if k != "calibrate"}
    labelled["file"] = str(DATA / name)
    labelled["segments"] = [dict(labelled["segments"][0], end=1.7), *labelled["segments"][1:]]
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"clips": [labelled]}))
    scored = run_cli("evaluate", "--labels", labels, "--model", "lite", "--json",
                     tmp_path / "scores.json", env=cli_env(tmp_path))  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert "cannot calibrate on that segment (" in scored.stderr
    assert "judged without a profile" in scored.stderr
    posture = json.loads((tmp_path / "scores.json").read_text())[str(DATA / name)]["posture"]
    assert posture["per_class"]["good"] == 0.0  # uncalibrated: nothing is judged good


def test_evaluate_ignores_the_users_camera_mirrored(tmp_path, monkeypatch):
    """The labelled clips are other people's recordings, not the user's camera:
    a config with camera.mirrored = true must not mirror them."""
    from monitor import cli

    name = "front/gaze_analyser.mov"
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"clips": [dict(LABELS[name], file=str(DATA / name))]}))
    config = tmp_path / "config.toml"
    config.write_text("[camera]\nmirrored = true\n")
    seen: list[bool] = []
    real = replay.timeline_of

    def noting(estimated: replay.Estimated, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(estimated.mirrored)  # as the pose model ran: the profile records it too
        return real(estimated, *args, **kwargs)

    monkeypatch.setattr(replay, "timeline_of", noting)
    argv = ["evaluate", "--labels", str(labels), "--config", str(config), "--model", "lite"]
    assert cli.main(argv) == 0
    assert seen == [False]


def test_leaning_in_to_the_laptop_is_drift_and_sitting_back_is_not():
    """deepa_interview leans in to her laptop around 6-17 s and sits back around
    18-23 s (MANIFEST; labels.json leaves these unlabelled for posture).
    Measured at 2 frames a second: lean_in from 6.5 to 18 s, face_size up 0.10-0.14
    on a 0.07 threshold and face_scale up 0.026-0.049 (the head nearer than the
    shoulders) on 0.015; good from 18.5 s, face_size 0.03-0.05 under its baseline."""
    samples = timeline("front/deepa_interview.mp4")["samples"]
    leaning = [s for s in samples if 8.0 <= s["t"] <= 16.0]
    back = [s for s in samples if s["t"] >= 19.5]
    assert len(leaning) >= 15 and len(back) >= 7
    assert all("lean_in" in s["issues"] for s in leaning), [(s["t"], s["issues"]) for s in leaning]
    assert all(s["posture"] == "good" for s in back), [(s["t"], s["issues"]) for s in back]
