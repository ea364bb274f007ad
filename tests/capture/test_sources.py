"""Frame sources: video files on their own time, sampling without decoding, bad input."""

from __future__ import annotations

import glob
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import DATA, clip

from monitor.capture.sources import (
    CameraSource,
    ImageFolderSource,
    VideoFileSource,
    _Pacer,
    available_cameras,
    open_source,
)
from monitor.errors import SourceError

JONZ = "side/jonz21_office_chair.mp4"  # 30 fps, 527 frames, cheap to decode, index at the front
DEEPA = "front/deepa_interview.mp4"  # 20 fps, 467 frames, index at the end
GAZE = "front/gaze_analyser.mov"  # variable frame rate, about 17 fps
STILLS = DATA / "stills" / "nvinayvarma"


def times(source: VideoFileSource | ImageFolderSource, max_fps: float | None) -> list[float]:
    try:
        return [frame.t_s for frame in source.frames(max_fps)]
    finally:
        source.close()


# --- video files -------------------------------------------------------------


def test_a_video_file_is_stamped_with_its_own_frame_times():
    source = VideoFileSource(clip(DEEPA))
    assert source.frame_count == 467
    assert source.fps == pytest.approx(20.0)
    t = times(source, None)
    assert len(t) == 467 == source.frames_read == source.frames_decoded
    assert t[0] == 0.0
    assert np.diff(t) == pytest.approx(np.full(466, 0.05), abs=1e-3)
    assert source.duration_s == pytest.approx(467 / 20, abs=0.06)


def test_a_replay_of_a_file_is_repeatable():
    first = times(VideoFileSource(clip(GAZE)), 5)
    second = times(VideoFileSource(clip(GAZE)), 5)
    assert first == second
    assert len(first) >= 15


def test_frames_are_bgr_images_the_size_of_the_video():
    source = VideoFileSource(clip(JONZ))
    frame = next(source.frames())
    source.close()
    assert frame.t_s == 0.0
    assert frame.image.shape == (1280, 720, 3)  # portrait 720x1280
    assert frame.image.dtype == np.uint8


def test_sampling_at_5_fps_grabs_every_frame_but_decodes_only_the_analysed_ones():
    source = VideoFileSource(clip(JONZ))
    t = times(source, 5)
    assert source.frames_read == source.frame_count == 527
    assert source.frames_decoded == len(t)
    # 17.6 s at 5 a second, every sixth of 30 fps frames
    assert len(t) == pytest.approx(17.57 * 5, abs=2)
    assert source.frames_decoded <= source.frames_read / 6 + 1
    assert np.diff(t) == pytest.approx(np.full(len(t) - 1, 0.2), abs=0.02)


def test_sampling_a_variable_frame_rate_file_keeps_the_average_rate():
    source = VideoFileSource(clip(GAZE))  # 66 frames in 3.85 s, unevenly spaced
    t = times(source, 5)
    gaps = np.diff(t)
    assert source.frames_read == 66
    assert gaps.min() > 0.15
    assert gaps.max() < 0.25
    assert gaps.mean() == pytest.approx(0.2, abs=0.01)


# --- the pacer that picks which frames to analyse --------------------------------

PACER_CASES = [
    # (max_fps, frame times, expected analysed times)
    (None, [0.0, 0.1, 0.2], [0.0, 0.1, 0.2]),
    (0, [0.0, 0.1, 0.2], [0.0, 0.1, 0.2]),
    (5, [round(i / 30, 3) for i in range(13)], [0.0, 0.2, 0.4]),  # rounded stamps still hit
    (2, [0.0, 0.1, 0.5, 0.6, 1.0, 1.5], [0.0, 0.5, 1.0, 1.5]),
    # after a 10 s gap the schedule restarts (half an interval on) instead of
    # letting a burst through to catch up
    (5, [0.0, *(round(10 + i / 20, 2) for i in range(11))], [0.0, 10.0, 10.1, 10.3, 10.5]),
]


@pytest.mark.parametrize(("max_fps", "stamps", "expected"), PACER_CASES)
def test_the_pacer_lets_through_at_most_the_target_rate(max_fps, stamps, expected):
    pacer = _Pacer(max_fps)
    assert [t for t in stamps if pacer.due(t)] == expected


# --- images ------------------------------------------------------------------


def test_a_folder_of_images_gives_one_frame_a_second_in_name_order():
    source = open_source(str(STILLS))
    assert isinstance(source, ImageFolderSource)
    assert source.stills
    names = [p.name for p in source.files]
    assert names == sorted(names)
    assert len(names) == 13
    t = times(source, None)
    assert t == [float(i) for i in range(13)]
    assert source.duration_s == 13.0


def test_a_glob_of_images_selects_only_the_matches():
    source = open_source(str(STILLS / "straight*.jpg"))
    assert [p.name for p in source.files] == [
        "straight_flip.jpg",
        "straight_hf.jpg",
        "straight_hf_flip.jpg",
    ]
    frames = list(source.frames())
    assert [f.image.shape for f in frames] == [(1280, 720, 3)] * 3


def test_a_single_image_path_is_a_one_frame_source():
    source = open_source(str(STILLS / "straight_hf.jpg"))
    assert isinstance(source, ImageFolderSource)
    assert len(list(source.frames())) == 1


# --- bad input ---------------------------------------------------------------


def _text_mp4(tmp: Path) -> Path:
    path = tmp / "notes.mp4"
    path.write_text("these are meeting notes, not a video\n")
    return path


def _random_mp4(tmp: Path) -> Path:
    path = tmp / "noise.mp4"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 200_000, dtype=np.uint8).tobytes())
    return path


def _missing(tmp: Path) -> Path:
    return tmp / "no such video.mp4"


def _empty_folder(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    (tmp / "empty" / "readme.txt").write_text("no pictures here")
    return tmp / "empty"


def _unmatched_glob(tmp: Path) -> Path:
    return tmp / "*.jpg"


def _truncated_tail_index(tmp: Path) -> Path:
    # deepa's index (moov atom) sits at the end: 40 % of it cannot be opened at all
    path = tmp / "deepa_first40.mp4"
    data = clip(DEEPA).read_bytes()
    path.write_bytes(data[: len(data) * 4 // 10])
    return path


BAD_INPUTS = [
    # (what, make it, expected words in the message)
    ("missing file", _missing, "video not found"),
    ("text file named .mp4", _text_mp4, "cannot open"),
    ("random bytes named .mp4", _random_mp4, "cannot open"),
    ("truncated, index at the end", _truncated_tail_index, "cannot open"),
    ("folder without images", _empty_folder, "no images found"),
    ("glob matching nothing", _unmatched_glob, "no images found"),
]


@pytest.mark.parametrize(("what", "make", "words"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_a_source_error_naming_the_path(tmp_path, what, make, words):
    path = make(tmp_path)
    with pytest.raises(SourceError) as caught:
        source = open_source(str(path))
        list(source.frames())
    assert words in str(caught.value)
    assert str(path) in str(caught.value)


def test_an_unreadable_image_in_a_folder_is_named_and_skipped(tmp_path, caplog):
    # Issue 22: one damaged still no longer aborts the folder (a damaged video is
    # analysed up to the damage too); it is named in a warning, its second a gap.
    cv2.imwrite(str(tmp_path / "a.jpg"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "b.jpg").write_bytes(b"not a jpeg")
    cv2.imwrite(str(tmp_path / "c.jpg"), np.zeros((8, 8, 3), np.uint8))
    with caplog.at_level("WARNING"):
        times = [f.t_s for f in open_source(str(tmp_path)).frames()]
    assert times == [0.0, 2.0]
    assert [r.getMessage() for r in caplog.records] == [
        f"skipping {tmp_path / 'b.jpg'}: it cannot be read as an image"
    ]
    (tmp_path / "a.jpg").write_bytes(b"not a jpeg either")
    (tmp_path / "c.jpg").unlink()
    with pytest.raises(SourceError, match=r"none of the images at .* can be read"):
        list(open_source(str(tmp_path)).frames())


def test_a_truncated_video_yields_the_frames_before_the_damage_then_ends(tmp_path, caplog):
    data = clip(JONZ).read_bytes()
    damaged = tmp_path / "jonz_first40.mp4"
    damaged.write_bytes(data[: len(data) * 4 // 10])

    source = VideoFileSource(damaged)
    assert source.frame_count == 527  # the header still announces the whole clip
    with caplog.at_level(logging.WARNING, logger="monitor.capture.sources"):
        t = times(source, 5)

    assert t[0] == 0.0
    assert 3.0 < t[-1] < 0.6 * 17.57
    assert np.diff(t) == pytest.approx(np.full(len(t) - 1, 0.2), abs=0.02)
    assert source.frames_read < source.frame_count
    # the duration is what could be read, not what the header promised
    assert source.duration_s == pytest.approx(t[-1], abs=0.25)
    assert any("truncated or damaged" in r.getMessage() for r in caplog.records)


def test_a_complete_video_logs_no_damage_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="monitor.capture.sources"):
        times(VideoFileSource(clip(GAZE)), 5)
    assert not caplog.records


def test_a_camera_that_does_not_exist_lists_the_available_ones():
    with pytest.raises(SourceError) as caught:
        open_source("7")
    message = str(caught.value)
    assert message.startswith("camera 7 does not exist (cameras available: ")
    found = available_cameras(exclude=7)
    assert 7 not in found
    listing = ", ".join(map(str, found)) if found else "none found"
    assert message.endswith(f"{listing})")
    if not glob.glob("/dev/video[0-9]*"):  # this machine has no camera at all
        assert "none found" in message


def test_a_camera_index_opens_a_camera_source(monkeypatch):
    class FakeCapture:
        def __init__(self, index):
            self.index = index
            self.grabs = 0
            self.retrieves = 0

        def isOpened(self):
            return True

        def set(self, prop, value):
            return True

        def grab(self):
            self.grabs += 1
            return True

        def retrieve(self):
            self.retrieves += 1
            return True, np.zeros((4, 4, 3), np.uint8)

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)
    clock = iter(np.arange(0, 10, 1 / 30)).__next__  # a 30 fps camera on a fake clock
    source = CameraSource(3, clock=clock)
    frames = source.frames(max_fps=5)
    t = [next(frames).t_s for _ in range(5)]
    assert t == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8], abs=0.02)
    # the dropped frames were grabbed, never decoded
    assert source._cap.retrieves == 5
    assert source._cap.grabs >= 25
    assert source.name == "camera 3"
