"""Pose model bundles: which exist, which is used, checking and downloading them.

The default model ships in the repository's `models/` folder, so the monitor
works offline. Nothing here touches the network except `download`, which runs
only when the user asks for it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitor import paths
from monitor.errors import ModelError

ENV_VAR = "POSTURE_MONITOR_MODEL"
MEMBERS = frozenset({"pose_detector.tflite", "pose_landmarks_detector.tflite"})
_URL = "https://storage.googleapis.com/mediapipe-models/pose_landmarker/{0}/float16/1/{0}.task"


@dataclass(frozen=True)
class Variant:
    name: str
    url: str
    note: str
    # sha256 of the official file where we know it; otherwise a download is
    # validated by its zip members.
    sha256: str | None = None

    @property
    def filename(self) -> str:
        return f"pose_landmarker_{self.name}.task"


VARIANTS = {
    v.name: v
    for v in (
        Variant(
            "lite",
            _URL.format("pose_landmarker_lite"),
            "fastest, a little less accurate",
            "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",
        ),
        Variant("full", _URL.format("pose_landmarker_full"), "balanced (default)"),
        Variant(
            "heavy", _URL.format("pose_landmarker_heavy"), "most accurate, several times slower"
        ),
    )
}
DEFAULT_VARIANT = "full"

# Checksums of the files committed in models/ (see models/README.md).
BUNDLED_SHA256 = {
    "pose_landmarker_full.task": "dd24385d65fb2d515baacad0accb89896c676a93845851acf8f0c9a75e102465",
    "pose_landmarker_lite.task": "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a",
}


def bundled_dir() -> Path:
    return paths.REPO / "models"


def download_dir() -> Path:
    return paths.data_dir() / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fix(variant: str = DEFAULT_VARIANT) -> str:
    return (
        f"run 'posture-monitor models download {variant}', or pass --model PATH "
        f"(or set {ENV_VAR}) to a PoseLandmarker .task bundle"
    )


def validate(path: Path, expected_sha256: str | None = None) -> Path:
    """Check that `path` is a PoseLandmarker bundle; raise ModelError saying why not."""
    if not path.is_file():
        raise ModelError(f"model file not found: {path}; {_fix()}")
    if expected_sha256 is not None:
        actual = sha256_of(path)
        if actual != expected_sha256:
            raise ModelError(
                f"model file {path} is damaged (sha256 {actual[:12]}…, expected "
                f"{expected_sha256[:12]}…); {_fix()}"
            )
        return path
    try:
        with zipfile.ZipFile(path) as bundle:
            names = set(bundle.namelist())
            broken = bundle.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path} is not a pose model bundle ({exc}); {_fix()}") from None
    if not names >= MEMBERS or broken is not None:
        raise ModelError(
            f"{path} is not a complete PoseLandmarker bundle (needs {sorted(MEMBERS)}); {_fix()}"
        )
    return path


def installed() -> dict[str, Path]:
    """Variant name -> the file that would be used for it, downloads first."""
    found = {}
    for variant in VARIANTS.values():
        for folder in (download_dir(), bundled_dir()):
            candidate = folder / variant.filename
            if candidate.is_file():
                found[variant.name] = candidate
                break
    return found


def resolve_name(model: str | None = None) -> str:
    """What the user asked for: --model, else the environment, else the default."""
    return model or os.environ.get(ENV_VAR) or DEFAULT_VARIANT


def resolve(model: str | os.PathLike[str] | None = None) -> Path:
    """The model to load: --model, else $POSTURE_MONITOR_MODEL, else the default.

    A value that names a variant ("lite", "full", "heavy") means that
    variant's installed file. The file is validated before it is returned.
    """
    choice = resolve_name(os.fspath(model) if model is not None else None)
    if choice in VARIANTS:
        path = installed().get(choice)
        if path is None:
            raise ModelError(f"the '{choice}' pose model is not installed; {_fix(choice)}")
    else:
        path = Path(choice).expanduser()
    # A bundled file is checked by its checksum however its path is spelled.
    bundled = path.resolve().parent == bundled_dir().resolve()
    expected = BUNDLED_SHA256.get(path.name) if bundled else None
    return validate(path, expected)


ProgressFn = Callable[[int, int | None], None]


def progress_bar(label: str) -> ProgressFn:
    """A minimal progress bar on stderr: done/total bytes, redrawn in place on a
    terminal; into a pipe or a log file, one plain line when done."""

    def show(done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            if total is not None and done >= total:
                sys.stderr.write(f"{label}: {done / 1e6:.1f} MB done\n")
                sys.stderr.flush()
            return
        if total:
            filled = int(30 * done / total)
            text = f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {done * 100 // total:3d}%"
        else:
            text = f"\r{label} {done / 1e6:.1f} MB"
        sys.stderr.write(text)
        if total is not None and done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def download(
    name: str,
    *,
    url: str | None = None,
    folder: Path | None = None,
    progress: ProgressFn | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Fetch a variant, validate it, and move it into place atomically.

    The file appears under its final name only once it is complete and
    valid, so an interrupted download never leaves a half model behind.
    """
    if name not in VARIANTS:
        raise ModelError(f"unknown model variant '{name}'; choose one of {', '.join(VARIANTS)}")
    variant = VARIANTS[name]
    folder = paths.private_dir(folder or download_dir())
    target = folder / variant.filename
    fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".task", dir=folder)
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url or variant.url, timeout=timeout_s) as response,
        ):
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while block := response.read(1 << 16):
                out.write(block)
                done += len(block)
                if progress:
                    progress(done, total)
            if total is not None and done != total:
                raise ModelError(
                    f"download of {name} stopped at {done} of {total} bytes; try again"
                )
        try:
            validate(tmp, variant.sha256)
        except ModelError:  # say where it came from, not the temporary name
            raise ModelError(
                f"the file downloaded from {url or variant.url} is not a valid '{name}' "
                "model (wrong checksum or not a complete bundle); nothing was installed"
            ) from None
        os.replace(tmp, target)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise ModelError(
            f"could not download the '{name}' model from {url or variant.url}: {exc}"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
