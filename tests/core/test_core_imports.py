"""The core runs on numpy and the standard library alone.

Every module of `monitor.core` is imported in a fresh interpreter, so one
module's imports cannot hide another's, and must load no edge library (OpenCV,
MediaPipe, SQLite, matplotlib) and no monitor module outside the core and the
pure shared modules. If this fails, move the edge import into the edge; do not
weaken the test.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest
from conftest import REPO

import monitor.core

CORE = sorted(f"monitor.core.{m.name}" for m in pkgutil.iter_modules(monitor.core.__path__))
# The pure modules the core may use besides its own: settings are plain
# frozen values (loading a file is a function the core never calls).
SHARED = {"monitor", "monitor.core", "monitor.settings", "monitor.errors", "monitor.paths"}
EDGES = ("cv2", "mediapipe", "sqlite3", "_sqlite3", "matplotlib")

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("monitor",) + {edges!r})))
"""


def imported(module: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(edges=EDGES), module],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def outside_the_core(modules: list[str]) -> list[str]:
    return [m for m in modules if not (m in SHARED or m.startswith("monitor.core."))]


def test_the_core_has_its_modules():
    assert {"monitor.core.posture", "monitor.core.sitting", "monitor.core.tracker"} <= set(CORE)


# Pure modules outside the core, and what of the monitor each may use besides it.
PURE = {
    "monitor.settings": set(),
    "monitor.report.figures": {"monitor.report", "monitor.storage", "monitor.storage.rows"},
}


@pytest.mark.parametrize("module", CORE + list(PURE))
def test_the_core_imports_no_edge_and_nothing_outside_it(module):
    modules = imported(module)
    assert [m for m in modules if m.split(".")[0] in EDGES] == []
    assert set(outside_the_core(modules)) - {module} <= PURE.get(module, set())


def test_the_probe_does_see_an_edge_module():
    # the check itself works (without loading MediaPipe: this is the pure tier):
    # the frame sources pull in OpenCV, the store SQLite, both outside the core
    assert "cv2" in imported("monitor.capture.sources")
    assert "sqlite3" in imported("monitor.storage.store")
    assert "monitor.capture.sources" in outside_the_core(imported("monitor.capture.sources"))
