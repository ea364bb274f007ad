"""Property tests: whatever a config, profile, labels file or timeline holds, the parser
returns a value or raises the project's named error, never another exception.

Inputs are random text and bytes, random JSON, and valid documents with one part
replaced by something random, removed, or cut short (the mutations a hand edit
or a half-written file produce).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor import settings as config
from monitor.core import profile
from monitor.devtools import evaluate
from monitor.errors import LabelsError, ProfileError, SettingsError
from monitor.storage import profiles

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

SPECIAL = [math.inf, -math.inf, math.nan, 1e308, -1, 0, 0.5, "", "front", [], {}, True, None]
json_values = st.recursive(
    st.sampled_from(SPECIAL) | st.none() | st.booleans() | st.integers() | st.floats()
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=12,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else []
    for key, child in items:
        out += _paths(child, (*prefix, key))
    return out


VALID_PROFILE: dict[str, Any] = {
    "version": 1,
    "name": "home",
    "created": "2026-01-01T00:00:00+00:00",
    "view": "side",
    "samples": 12,
    "camera": {"frame_width": 640, "frame_height": 480, "anchor_x_px": 300.0,
               "anchor_y_px": 310.0, "scale_px": 140.0, "shoulder_y_px": 200.0,
               "shoulder_width_px": 30.0},
    "baseline": {"trunk_incl_deg": {"mean": 4.0, "std": 1.5},
                 "neck_flex_deg": {"mean": 12.0, "std": 2.0}},
}
VALID_LABELS: dict[str, Any] = {"clips": [
    {"file": "side/a.mp4", "calibrate": [1.0, 4.0],
     "segments": [{"start": 0.0, "end": 5.0, "presence": "seated", "posture": "good"},
                  {"start": 5.0, "end": 9.0, "presence": "standing"}]},
]}
VALID_TIMELINE: dict[str, Any] = {
    "source": "a.mp4", "duration_s": 9.0, "analysed_frames": 3,
    "samples": [{"t": 0.5, "presence": "seated", "posture": "good", "issues": [], "metrics": {}},
                {"t": 6.0, "presence": "standing", "posture": "unknown", "issues": [],
                 "metrics": {}},
                {"t": 8.0, "presence": "away", "posture": "unknown", "issues": [],
                 "metrics": {}}],
    "bouts": [], "breaks": [], "alerts": [],
}


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one to three values anywhere replaced by random ones, or removed."""
    doc = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            return draw(json_values)
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            if draw(st.integers(0, 4)) == 0:
                del parent[path[-1]]
            else:
                parent[path[-1]] = draw(st.sampled_from(SPECIAL) | json_values)
        except (KeyError, IndexError, TypeError):  # an earlier mutation moved it
            pass
    return doc


# One value of each JSON type: a section or field swapped for a value of another type is
# the hand edit that once leaked "AttributeError: 'str' object has no attribute 'items'".
ONE_OF_EACH_TYPE = ["x", "", 3, 2.5, True, None, [], [1, "a"], {}, {"a": 1}]


def _json_type(value: Any) -> str:
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else (
        type(value).__name__)


@st.composite
def type_swapped(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one to three of its sections or fields replaced by another JSON type."""
    doc = json.loads(json.dumps(document))
    chosen = draw(st.lists(st.sampled_from([p for p in _paths(doc) if p]), min_size=1,
                           max_size=3, unique=True))
    swapped: list[tuple] = []
    for path in chosen:
        if any(path[:len(done)] == done for done in swapped):  # inside a section swapped away
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        old = parent[path[-1]]
        parent[path[-1]] = draw(st.sampled_from(
            [v for v in ONE_OF_EACH_TYPE if _json_type(v) != _json_type(old)]))
        swapped.append(path)
    return doc


# A message that speaks Python rather than naming the field and what it should be.
PYTHON_WORDS = re.compile(r"[A-Z]\w*(Error|Exception)\b|has no attribute|not subscriptable"
                          r"|not iterable|<class |argument must be|invalid literal|unhashable")


def json_text(document: Any) -> st.SearchStrategy[str]:
    whole = mutated(document).map(json.dumps)
    cut = st.builds(lambda text, n: text[:n], st.just(json.dumps(document)),
                    st.integers(0, len(json.dumps(document))))
    return st.one_of(whole, cut, st.text(max_size=40), json_values.map(json.dumps))


# --- configs (TOML) ----------------------------------------------------------------------------

KEYS = sorted(config.keys())
toml_values = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.floats().map(lambda x: "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
                    if math.isinf(x) else repr(x)),
    st.booleans().map(lambda b: str(b).lower()),
    st.text(max_size=12).map(json.dumps),
    st.just("1979-05-27T07:32:00Z"), st.just("[1, 2]"), st.just("{ a = 1 }"),
    st.just("07:32:00"), st.just("[]"),
)


@st.composite
def toml_configs(draw: st.DrawFn) -> str:
    lines = []
    for key in draw(st.lists(st.sampled_from([*KEYS, "sitting.nope", "x.y.z", "plain"]),
                             max_size=5, unique=True)):
        section, _, name = key.rpartition(".")
        value = draw(toml_values)
        lines.append(f"[{section}]\n{name} = {value}" if section else f"{name} = {value}")
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):  # a hand edit gone wrong
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=4)) + text[at:]
    return text


@FUZZ
@given(text=st.one_of(toml_configs(), st.text(max_size=60)),
       assignments=st.lists(st.text(max_size=20), max_size=2))
def test_a_config_loads_or_says_what_is_wrong(tmp_path_factory, text: str,
                                              assignments: list[str]) -> None:
    path = Path(tmp_path_factory.mktemp("cfg")) / "config.toml"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = config.load(path, assignments)
    except SettingsError as exc:
        assert str(exc)
        return
    for key, f in config.keys().items():  # every value that loads is within its range
        value = config.value_of(loaded.settings, key)
        assert isinstance(value, type(f.default))
        if f.metadata["min"] is not None:
            assert f.metadata["min"] <= value <= f.metadata["max"]


# --- profiles (JSON) ---------------------------------------------------------------------------


@FUZZ
@given(text=json_text(VALID_PROFILE) | type_swapped(VALID_PROFILE).map(json.dumps))
def test_a_profile_loads_or_raises_profile_error(tmp_path_factory, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("profile")) / "home.json"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = profiles.load(str(path))
    except ProfileError as exc:
        assert not PYTHON_WORDS.search(str(exc)), str(exc)
        return
    assert loaded.scale_px > 0 and all(math.isfinite(b.mean) for b in loaded.baseline.values())


@FUZZ
@given(data=type_swapped(VALID_PROFILE))
def test_a_type_swapped_profile_names_the_field_and_the_type_it_should_be(data: Any) -> None:
    """Any section or field of the wrong type is refused, with the field's name in the message.

    (A profile whose every swap happened to be ignored, e.g. a metric's extra key, still
    loads; there are none in the valid profile, so every swap here is refused.)
    """
    try:
        profile.Profile.from_json(data, origin="profile home.json", name_or_path="home")
    except ProfileError as exc:
        message = str(exc)
        assert not PYTHON_WORDS.search(message), message
        assert re.search(r"'[a-z_.]+' (should be|is missing)|version", message), message
        assert message.endswith("recalibrate with 'posture-monitor calibrate --profile home'") \
            or message.endswith("Recalibrate with 'posture-monitor calibrate --profile home'")
        return
    raise AssertionError(f"a type-swapped profile loaded: {data}")


@FUZZ
@given(data=st.binary(max_size=200))
def test_profile_bytes_that_are_not_text_raise_profile_error(tmp_path_factory, data) -> None:
    path = Path(tmp_path_factory.mktemp("profile")) / "home.json"
    path.write_bytes(data)
    with contextlib.suppress(ProfileError):
        profiles.load(str(path))


@given(name=st.text(max_size=20))
def test_a_profile_name_never_leaves_the_profiles_folder(name: str) -> None:
    try:
        path = profiles.path_for(name)
    except ProfileError:
        return
    if not name.endswith(".json"):
        assert path.parent == profiles.profiles_dir() and path.name == f"{name}.json"


# --- labels and timelines for the evaluate scorer ---------------------------------------------


@FUZZ
@given(text=json_text(VALID_LABELS))
def test_a_labels_file_loads_or_raises_labels_error(tmp_path_factory, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("labels")) / "labels.json"
    path.write_text(text, encoding="utf-8")
    try:
        clips = evaluate.load_labels(path)
    except LabelsError:
        return
    timeline = VALID_TIMELINE
    for clip in clips.values():  # whatever loads can be scored, and calibrated on
        evaluate.score(timeline, clip)
        span = evaluate.calibration_span(clip, 5.0)
        assert span is None or span[0] < span[1]


@FUZZ
@given(timeline=mutated(VALID_TIMELINE), clip=mutated(VALID_LABELS["clips"][0]))
def test_scoring_a_timeline_gives_scores_or_labels_error(timeline: Any, clip: Any) -> None:
    try:
        presence, posture = evaluate.score(timeline, clip)
    except LabelsError:
        return
    for score in (presence, posture):
        assert all(0 <= score.hits[c] <= score.totals[c] for c in score.totals)
