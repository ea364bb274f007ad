"""Record one monitoring session into the store, in batches.

Use from any loop that steps a `monitor.core.tracker.Tracker`:

    recorder = Recorder(store, source="camera 0", model="full", profile="default",
                        settings=settings, started_at=time.time(), t0=first_t)
    for each analysed frame:
        step = tracker.step(sample)
        recorder.add(step, metrics.hips_visible(sample))
    recorder.close(last_t, tracker.finish(last_t))

`t` is the tracker's time (video or monotonic seconds); the wall-clock time
of a sample is `started_at + (t - t0)`. Rows are buffered and written in one
transaction once the oldest is `storage.flush_s` old (by sample time), so a
crash loses at most those seconds. Each write also stores the bout under way,
from its start to the last step, as the session's one open bout row, so a
report taken meanwhile (or after a crash) has it; the write that stores the
bout as ended removes that row. A failing disk never stops monitoring:
the recorder logs once, sets `failed` and drops what it would have written.

A session never records over time another session already holds (the
clock set back, by NTP or a dual-boot mix-up, makes "now" a time recorded
before): those seconds, and the alerts in them, are not written, bouts and
breaks keep their part outside them, and the log says so once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import sqlite3
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.core.sitting import BoutEnded, BreakEnded, SittingEvent
from monitor.core.tracker import Step
from monitor.core.values import Alert, Presence, Span, TimelineSample
from monitor.settings import Settings
from monitor.storage.rows import merge, outside

if TYPE_CHECKING:
    from monitor.storage.store import Store

log = logging.getLogger(__name__)

PRESENT = (Presence.SEATED.value, Presence.STANDING.value)


@dataclass
class _Second:
    """What happened during one wall-clock second, in seconds per state."""

    key: int
    presence: dict[str, float] = field(default_factory=dict)
    posture: dict[str, float] = field(default_factory=dict)
    issues: dict[str, float] = field(default_factory=dict)
    hips_s: float = 0.0
    metrics: dict[str, list[float]] = field(default_factory=dict)

    def add(self, sample: TimelineSample, hips: bool, dt: float) -> None:
        p = sample.presence.value
        self.presence[p] = self.presence.get(p, 0.0) + dt
        self.posture[sample.posture.value] = self.posture.get(sample.posture.value, 0.0) + dt
        if sample.posture.value == "drift":
            for issue in sample.issues:
                self.issues[issue] = self.issues.get(issue, 0.0) + dt
        if hips and p in PRESENT:
            self.hips_s += dt
        for name, value in sample.metrics.items():
            self.metrics.setdefault(name, []).append(value)

    def row(self, session_id: int) -> tuple[Any, ...]:
        def top(d: dict[str, float]) -> str:
            return max(d, key=lambda k: d[k]) if d else "unknown"

        p = self.presence
        return (
            session_id,
            float(self.key),
            sum(p.values()),
            top(p),
            top(self.posture),
            *(p.get(k, 0.0) for k in ("seated", "standing", "away", "unknown")),
            self.posture.get("good", 0.0),
            self.posture.get("drift", 0.0),
            json.dumps({k: round(v, 3) for k, v in self.issues.items()}),
            self.hips_s,
            json.dumps({k: round(statistics.median(v), 4) for k, v in self.metrics.items()}),
        )


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


class Recorder:
    def __init__(
        self,
        store: Store,
        *,
        source: str,
        model: str,
        settings: Settings,
        started_at: float,
        profile: str | None = None,
        t0: float = 0.0,
        now: float | None = None,
    ) -> None:
        self.store = store
        self.started_at = started_at
        self.t0 = t0
        self.flush_s = settings.storage.flush_s
        self.max_gap_s = settings.sitting.max_gap_s
        self.heed_s = settings.alerts.break_repeat_s
        days = settings.storage.retention_days
        if days > 0:
            store.forget((time.time() if now is None else now) - days * 86400, vacuum=False)
        self.session_id = store.start_session(
            started_at, source, model, profile, dataclasses.asdict(settings)
        )
        self.failed: str | None = None
        self.flushed_until: float | None = None  # wall time of the last stored second
        self._rows: dict[str, list[tuple[Any, ...]]] = {
            k: [] for k in ("samples", "bouts", "breaks", "alerts", "heeds")
        }
        self._pending_since: float | None = None
        self._second: _Second | None = None
        self._prev: tuple[float, TimelineSample, bool] | None = None
        self._open_alerts: list[float] = []  # break alerts awaiting the end of their bout
        # Our own view of the open bout, for close() without the tracker's events.
        self._bout_start: float | None = None
        self._left_at: float | None = None
        self._open_written: tuple[float, float] | None = None  # the open bout row as stored
        # What other sessions recorded from our start up to `_held_to` (wall s).
        self._held: list[Span] = []
        self._held_to = math.floor(started_at)
        self.overlapped = False  # some of what was seen was already recorded

    def wall(self, t: float) -> float:
        return self.started_at + (t - self.t0)

    def add(self, step: Step, hips_visible: bool) -> None:
        """Buffer one tracker step; flush if the buffer is `flush_s` old."""
        if self.failed:
            return
        t = self.wall(step.sample.t)
        self._weigh_previous(t)
        self._prev = (t, step.sample, hips_visible)
        self._bout_start = t - step.sitting_s if step.sitting_s > 0 else None
        if step.sample.presence is Presence.SEATED:
            self._left_at = None
        elif self._left_at is None:
            self._left_at = t
        for event in step.events:
            self._event(event, heeds=True)
        for alert in step.alerts:
            self._alert(alert)
        if self._pending_since is not None and t - self._pending_since >= self.flush_s:
            self.flush()

    def _weigh_previous(self, t: float) -> None:
        # A frame stands for the time until the next one, but a long gap (the
        # machine slept) is not monitored time.
        if self._prev is None:
            return
        pt, sample, hips = self._prev
        dt = min(t - pt, self.max_gap_s)
        key = math.floor(pt)
        if self._second is not None and self._second.key != key:
            self._emit()
        if dt > 0:
            if self._second is None:
                self._second = _Second(key)
            self._second.add(sample, hips, dt)
        if math.floor(t) != key:
            self._emit()

    def _emit(self) -> None:
        if self._second is not None and self._second.presence:
            self._buffer("samples", self._second.row(self.session_id), self._second.key)
        self._second = None

    def _buffer(self, kind: str, row: tuple[Any, ...], t: float) -> None:
        self._rows[kind].append(row)
        if self._pending_since is None:
            self._pending_since = t

    def _event(self, event: SittingEvent, heeds: bool) -> None:
        if isinstance(event, BoutEnded):
            start, end = self.wall(event.bout.start), self.wall(event.bout.end)
            self._buffer("bouts", (self.session_id, start, end), end)
            if heeds and not event.unseen:
                # The bout ended in a break: each alert of the bout was heeded
                # if the break began before the alert would have repeated (a
                # gap, a suspend or a pause, is no break: nobody saw them get up).
                for at in self._open_alerts:
                    after = max(0.0, end - at)
                    heeded = int(after <= self.heed_s)
                    self._buffer("heeds", (after, heeded, self.session_id, at), end)
                self._open_alerts.clear()
        elif isinstance(event, BreakEnded):
            start, end = self.wall(event.brk.start), self.wall(event.brk.end)
            self._buffer("breaks", (self.session_id, start, end), end)

    def _alert(self, alert: Alert) -> None:
        at = self.wall(alert.t)
        self._buffer("alerts", (self.session_id, at, alert.kind, alert.detail), at)
        if alert.kind == "break":
            self._open_alerts.append(at)

    def _open_bout(self) -> tuple[float, float] | None:
        """The bout under way, from its start to the last step seen."""
        if self._bout_start is None or self._prev is None:
            return None
        return self._bout_start, max(self._bout_start, self._prev[0])

    def flush(self) -> None:
        """Write everything buffered, and the bout under way, in one transaction."""
        open_bout = self._open_bout()
        if self.failed or (not any(self._rows.values()) and open_bout == self._open_written):
            return
        rows = self._rows
        try:
            batch, trimmed_bout = self._unheld(rows, open_bout)
            self.store.write(
                self.session_id, batch, trimmed_bout, replace_open=self._open_written is not None
            )
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                # Another process holds the database: keep the rows, try next time.
                log.warning("database busy, will retry: %s", self.store.path)
                return
            self._fail(exc)
            return
        except sqlite3.Error as exc:
            self._fail(exc)
            return
        if rows["samples"]:
            self.flushed_until = rows["samples"][-1][1]
        self._open_written = open_bout
        for kind in rows:
            rows[kind] = []
        self._pending_since = None

    def _unheld(
        self, rows: dict[str, list[tuple[Any, ...]]], open_bout: tuple[float, float] | None
    ) -> tuple[dict[str, list[tuple[Any, ...]]], tuple[float, float] | None]:
        """The batch without what other sessions already recorded (see the module)."""
        ends = [r[1] + r[2] for r in rows["samples"]] + [r[2] for r in rows["bouts"]]
        ends += [r[2] for r in rows["breaks"]] + [r[1] for r in rows["alerts"]]
        end = max([*ends, open_bout[1] if open_bout else 0.0])
        if end > self._held_to:
            more = self.store.held(self._held_to, end, self.session_id)
            self._held = merge(self._held + more, [])[0]
            self._held_to = end
        if not self._held:
            return rows, open_bout

        def free(a: float, b: float) -> bool:
            return outside(Span(a, b), self._held) == Span(a, b)

        def spans(kind: str) -> list[tuple[Any, ...]]:
            out = []
            for session, a, b in rows[kind]:
                part = outside(Span(a, b), self._held)
                if part is not None:
                    out.append((session, part.start, part.end))
            return out

        batch = dict(rows)
        batch["samples"] = [r for r in rows["samples"] if free(r[1], r[1] + r[2])]
        batch["alerts"] = [r for r in rows["alerts"] if free(r[1], r[1])]
        batch["bouts"], batch["breaks"] = spans("bouts"), spans("breaks")
        if open_bout is not None:
            part = outside(Span(*open_bout), self._held)
            open_bout = None if part is None else (part.start, part.end)
        if batch["samples"] != rows["samples"] and not self.overlapped:
            self.overlapped = True
            first = next(r for r in rows["samples"] if not free(r[1], r[1] + r[2]))
            log.warning(
                "the clock reads %s, a time %s already holds monitoring for (was the clock "
                "set back?): seconds already recorded are not recorded again",
                _stamp(first[1]), self.store.path,
            )  # fmt: skip
        return batch, open_bout

    def _fail(self, exc: sqlite3.Error) -> None:
        self.failed = f"recording stopped: {exc} ({self.store.path})"
        log.warning("%s; monitoring goes on without recording", self.failed)
        for kind in self._rows:
            self._rows[kind] = []
        self._pending_since = None

    def close(self, stop_t: float, events: Iterable[SittingEvent] | None = None) -> None:
        """End the session at `stop_t`: record the last second and the open bout.

        Pass `tracker.finish(stop_t)` as `events` for the tracker's own closing
        bout or break; without them the open bout is closed from the steps seen.
        """
        if self.failed:
            return
        t = self.wall(stop_t)
        self._weigh_previous(t)
        self._prev = None
        self._emit()
        if events is None:
            if self._bout_start is not None:
                end = self._left_at if self._left_at is not None else t
                self._buffer("bouts", (self.session_id, self._bout_start, end), end)
        else:
            # Data ending is not a break: the closing bout heeds no alert.
            for event in events:
                self._event(event, heeds=False)
        self._bout_start = None  # closed: the flush below replaces the open bout row
        for at in self._open_alerts:
            if t - at >= self.heed_s:
                self._buffer("heeds", (None, 0, self.session_id, at), t)
        self._open_alerts.clear()
        self.flush()
        if self.failed:
            return
        try:
            self.store.stop_session(self.session_id, t)
        except sqlite3.Error as exc:
            self._fail(exc)
