"""Crash safety: a recording process killed with SIGKILL loses only unflushed seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from simulated_day import SEATED, run, settings, stretch

from monitor.storage.recorder import Recorder
from monitor.storage.store import Store

TESTS = Path(__file__).resolve().parents[1]  # where the shared helpers are
START = 1_790_000_000.0

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from simulated_day import SEATED, STANDING, run, settings, stretch
    from monitor.storage.recorder import Recorder
    from monitor.storage.store import Store

    config = settings(storage={{"flush_s": 2.0}})
    store = Store.open(Path({db!r}))
    rec = Recorder(store, source="sim", model="full", settings=config, started_at={start})
    seen = [None]
    original = rec.add

    def add(step, hips_visible):
        original(step, hips_visible)
        if rec.flushed_until != seen[0]:
            seen[0] = rec.flushed_until
            print(rec.flushed_until, flush=True)
        time.sleep(0.002)  # give the parent time to kill us mid-run

    rec.add = add
    run(rec, [stretch(3600, SEATED), stretch(600, STANDING)] * 10, config, fps=5)
    print("finished", flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX only")
def test_sigkill_mid_run_keeps_everything_flushed(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    code = CHILD.format(tests=str(TESTS), db=str(db), start=START)
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    flushed: list[float] = []
    while len(flushed) < 5:
        line = child.stdout.readline()
        assert line and line.strip() != "finished", child.stderr.read()  # type: ignore[union-attr]
        flushed.append(float(line))
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    with Store.open(db) as store:  # opens: quick_check passes, WAL recovered
        rows = store.rows(START, START + 86400).samples
        seconds = [r.t - START for r in rows]
        # Everything up to the last flush we saw is there, second by second;
        # the killed session has no stop time.
        assert seconds[-1] >= flushed[-1] - START
        assert seconds == list(range(len(seconds)))
        assert store.conn.execute("SELECT stopped_at FROM sessions").fetchall() == [(None,)]
        # The bout it was in is kept, from its start to the last write.
        (bout,) = store.rows(START, START + 86400).bouts
        assert bout.start == pytest.approx(START) and bout.end >= flushed[-1]
        # And the store still records.
        rec = Recorder(store, source="after", model="full", settings=settings(), started_at=0)
        run(rec, [stretch(3, SEATED)], settings())
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 2
