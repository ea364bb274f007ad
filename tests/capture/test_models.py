"""Pose models: which file is used, refusing bad ones, listing and downloading.

Downloads are tested against a local HTTP server on 127.0.0.1; nothing here
touches the internet, and XDG_DATA_HOME points into tmp_path (conftest).
"""

from __future__ import annotations

import functools
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FULL_MODEL, LITE_MODEL, MODELS, cli_env, run_cli

from monitor.capture import models
from monitor.errors import ModelError

# --- which model is used -------------------------------------------------------


def test_the_default_is_the_bundled_full_model():
    assert models.resolve() == FULL_MODEL


def test_the_bundled_files_match_the_checksums_in_code_and_readme():
    readme = (MODELS / "README.md").read_text()
    for name, expected in models.BUNDLED_SHA256.items():
        assert models.sha256_of(MODELS / name) == expected
        assert expected in readme
    assert models.VARIANTS["lite"].sha256 == models.BUNDLED_SHA256["pose_landmarker_lite.task"]


@pytest.mark.parametrize(
    ("model", "env", "expected"),
    [
        (None, None, FULL_MODEL),
        ("lite", None, LITE_MODEL),
        (None, "lite", LITE_MODEL),
        ("full", "lite", FULL_MODEL),  # --model beats the environment
        (str(LITE_MODEL), None, LITE_MODEL),
        (None, str(LITE_MODEL), LITE_MODEL),
        (LITE_MODEL, "full", LITE_MODEL),  # a Path works as well as a string
    ],
)
def test_model_option_and_environment_override_the_default(monkeypatch, model, env, expected):
    if env is not None:
        monkeypatch.setenv(models.ENV_VAR, env)
    assert models.resolve(model) == expected


def test_a_model_file_elsewhere_is_used_after_a_structural_check(tmp_path, monkeypatch):
    copy = tmp_path / "my model.task"
    copy.write_bytes(LITE_MODEL.read_bytes())
    monkeypatch.setenv(models.ENV_VAR, str(copy))
    assert models.resolve() == copy


def test_a_variant_that_is_not_installed_says_how_to_get_it():
    with pytest.raises(ModelError, match="'heavy' pose model is not installed") as caught:
        models.resolve("heavy")
    assert "posture-monitor models download heavy" in str(caught.value)


# --- refusing bad files ----------------------------------------------------------


def _missing(tmp: Path) -> Path:
    return tmp / "nowhere" / "pose.task"


def _truncated(tmp: Path) -> Path:
    data = LITE_MODEL.read_bytes()
    path = tmp / "half.task"
    path.write_bytes(data[: len(data) // 2])
    return path


def _text(tmp: Path) -> Path:
    path = tmp / "notes.task"
    path.write_text("not a model\n")
    return path


def _zip_without_members(tmp: Path) -> Path:
    path = tmp / "other.task"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("pose_detector.tflite", b"only one of the two")
    return path


BAD_FILES = [
    ("missing", _missing, "model file not found"),
    ("first half only", _truncated, "is not a pose model bundle"),
    ("text file", _text, "is not a pose model bundle"),
    ("zip lacking the members", _zip_without_members, "not a complete PoseLandmarker bundle"),
]


@pytest.mark.parametrize(("what", "make", "words"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_model_file_names_the_path_and_the_fix(tmp_path, what, make, words):
    path = make(tmp_path)
    with pytest.raises(ModelError) as caught:
        models.resolve(path)
    message = str(caught.value)
    assert words in message
    assert str(path) in message
    assert "posture-monitor models download" in message
    assert "--model PATH" in message


@pytest.fixture
def fake_bundled(tmp_path, monkeypatch) -> Path:
    """A models/ folder whose 'full' file is a valid bundle with the wrong bytes."""
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "pose_landmarker_full.task").write_bytes(LITE_MODEL.read_bytes())
    (folder / "pose_landmarker_lite.task").write_bytes(LITE_MODEL.read_bytes())
    monkeypatch.setattr(models, "bundled_dir", lambda: folder)
    return folder


def test_a_bundled_file_with_a_wrong_checksum_is_refused(fake_bundled):
    with pytest.raises(ModelError, match=r"is damaged \(sha256 .* expected dd24385d65fb"):
        models.resolve()
    assert models.resolve("lite") == fake_bundled / "pose_landmarker_lite.task"


def test_the_checksum_holds_however_the_bundled_path_is_spelled(fake_bundled, monkeypatch):
    monkeypatch.chdir(fake_bundled)
    with pytest.raises(ModelError, match="is damaged"):
        models.resolve("pose_landmarker_full.task")
    with pytest.raises(ModelError, match="is damaged"):
        models.resolve(f"../{fake_bundled.name}/pose_landmarker_full.task")


# --- downloading from a local server -----------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; /truncated/NAME promises the whole file and sends half."""

    def do_GET(self) -> None:
        if self.path.startswith("/truncated/"):
            data = (Path(self.directory) / self.path.removeprefix("/truncated/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """http://127.0.0.1:PORT serving a copy of the lite bundle, and a wrong one."""
    root = tmp_path_factory.mktemp("served")
    (root / "pose_landmarker_lite.task").write_bytes(LITE_MODEL.read_bytes())
    (root / "wrong").mkdir()
    (root / "wrong" / "pose_landmarker_lite.task").write_bytes(FULL_MODEL.read_bytes())
    handler = functools.partial(_Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_a_download_lands_in_the_data_folder_and_is_used_first(server, tmp_path):
    progress: list[tuple[int, int | None]] = []
    path = models.download(
        "lite", url=f"{server}/pose_landmarker_lite.task", progress=lambda *a: progress.append(a)
    )
    folder = tmp_path / "xdg_data_home" / "posture-monitor" / "models"
    assert path == folder / "pose_landmarker_lite.task"
    assert path.read_bytes() == LITE_MODEL.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["pose_landmarker_lite.task"]
    size = LITE_MODEL.stat().st_size
    assert progress[-1] == (size, size)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert models.installed()["lite"] == path
    assert models.resolve("lite") == path


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ("missing/pose_landmarker_lite.task", "HTTP Error 404"),
        ("truncated/pose_landmarker_lite.task", "stopped at 2888873 of 5777746 bytes"),
        ("wrong/pose_landmarker_lite.task", "is not a valid 'lite' model"),
    ],
    ids=["404", "truncated body", "wrong checksum"],
)
def test_a_failed_download_leaves_nothing_behind(server, tmp_path, route, words):
    folder = tmp_path / "downloads"
    with pytest.raises(ModelError, match=words):
        models.download("lite", url=f"{server}/{route}", folder=folder)
    assert list(folder.iterdir()) == []  # no partial file, no temporary left over


def test_a_failed_download_keeps_the_previous_good_file(server, tmp_path):
    folder = tmp_path / "downloads"
    good = models.download("lite", url=f"{server}/pose_landmarker_lite.task", folder=folder)
    with pytest.raises(ModelError):
        models.download("lite", url=f"{server}/truncated/pose_landmarker_lite.task", folder=folder)
    assert good.read_bytes() == LITE_MODEL.read_bytes()
    assert [p.name for p in folder.iterdir()] == [good.name]


def test_an_unknown_variant_is_refused_before_any_network():
    with pytest.raises(ModelError, match="unknown model variant 'huge'; choose one of lite"):
        models.download("huge", url="http://127.0.0.1:9/never")


# --- the command line ----------------------------------------------------------------


def test_models_lists_variants_urls_and_what_is_installed(tmp_path):
    result = run_cli("models", env=cli_env(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = {line[2:8].strip(): line for line in lines[0:6:2]}  # "* name   note   where"
    assert set(rows) == {"lite", "full", "heavy"}
    assert rows["full"].startswith("*")  # the default, in use
    assert rows["full"].endswith(str(FULL_MODEL))
    assert rows["lite"].endswith(str(LITE_MODEL))
    assert rows["heavy"].endswith("not installed")
    for variant in models.VARIANTS.values():
        assert variant.url in result.stdout
    assert "POSTURE_MONITOR_MODEL" in lines[-1]


def test_models_marks_the_variant_chosen_by_the_environment(tmp_path):
    result = run_cli("models", env=cli_env(tmp_path, POSTURE_MONITOR_MODEL="lite"))
    assert result.returncode == 0, result.stderr
    marked = [line[2:8].strip() for line in result.stdout.splitlines() if line.startswith("*")]
    assert marked == ["lite"]


def test_models_download_into_a_pipe_says_done_in_one_plain_line(server, tmp_path):
    env = cli_env(tmp_path)
    url = f"{server}/pose_landmarker_lite.task"
    result = run_cli("models", "download", "lite", "--url", url, env=env)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "xdg_data_home" / "posture-monitor" / "models" / "pose_landmarker_lite.task"
    assert result.stdout.strip() == f"installed lite at {target}"
    # stderr is a pipe here: no carriage-return bar piling up, one plain line.
    size_mb = LITE_MODEL.stat().st_size / 1e6
    assert result.stderr == f"downloading lite: {size_mb:.1f} MB done\n"
    assert target.read_bytes() == LITE_MODEL.read_bytes()

    listing = run_cli("models", env=env).stdout
    assert str(target) in listing


def test_models_download_failure_is_a_one_line_error(server, tmp_path):
    result = run_cli(
        "models", "download", "lite", "--url", f"{server}/missing.task", env=cli_env(tmp_path)
    )
    assert result.returncode == 1
    assert result.stderr.startswith("posture-monitor: error: could not download the 'lite' model")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    folder = tmp_path / "xdg_data_home" / "posture-monitor" / "models"
    assert not folder.exists() or list(folder.iterdir()) == []
