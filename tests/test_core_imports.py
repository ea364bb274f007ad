"""The core (state machines, metrics, settings, timeline) runs without OpenCV or MediaPipe.

Each module is imported in a fresh interpreter, so one module's imports
cannot hide another's. If this fails, move the edge import into the
function that needs it (or into an edge module); do not weaken the test.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

CORE = [
    "monitor.core.presence",
    "monitor.core.sitting",
    "monitor.core.alerts",
    "monitor.core.metrics",
    "monitor.core.posture",
    "monitor.core.profile",
    "monitor.core.tracker",
    "monitor.settings",
    "monitor.report.timeline",
]
EDGES = ("cv2", "mediapipe")

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
print(",".join(m for m in {edges!r} if m in sys.modules))
"""


def imported_edges(module: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(edges=EDGES), module],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [m for m in result.stdout.strip().split(",") if m]


@pytest.mark.parametrize("module", CORE)
def test_the_core_does_not_import_opencv_or_mediapipe(module):
    assert imported_edges(module) == []


def test_the_probe_does_see_an_edge_module():
    # the check itself works: the pose adapter does pull in both
    assert imported_edges("monitor.capture.pose") == list(EDGES)
