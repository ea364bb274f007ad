"""Desktop notifications over D-Bus (the freedesktop protocol), with actions.

A break alert offers "Snooze" and a posture alert "Recalibrate" where the
notification server lists "actions" in its capabilities; choosing one calls
`on_action(kind, key)`. Everything D-Bus happens on one thread of ours
(jeepney, pure Python): `notify` only queues, so the camera loop never waits
on the bus, and a bus that is not there turns notifications off with one log
line. Without a session bus `posture-monitor` falls back to notify-send
(`monitor.sound.announcer.Notifier`), which shows the text without actions.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
# The actions each kind of alert offers: (key, label).
ACTIONS: dict[str, list[tuple[str, str]]] = {
    "break": [("snooze", "Snooze")],
    "posture": [("recalibrate", "Recalibrate")],
}
EXPIRE_MS = 60_000  # an alert nobody acts on goes away after a minute

ActionHandler = Callable[[str, str], None]  # (alert kind, action key)


def session_bus_available() -> bool:
    return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")) or os.path.exists(
        f"/run/user/{os.getuid()}/bus" if hasattr(os, "getuid") else "/nonexistent"
    )


class DesktopNotifier:
    """Sends notifications on its own thread; reports chosen actions to `on_action`."""

    def __init__(
        self,
        on_action: ActionHandler | None = None,
        app_name: str = "posture-monitor",
        fallback: Any = None,
    ) -> None:
        self.on_action = on_action
        self.fallback = fallback  # notifies (e.g. notify-send) once the bus has failed
        self.app_name = app_name
        self.capabilities: list[str] | None = None  # known once connected
        self.sent: list[tuple[int, str]] = []  # (notification id, kind), for tests and logs
        self._outbox: queue.Queue[tuple[str, str, str] | None] = queue.Queue()
        self._ours: dict[int, str] = {}  # notification id -> alert kind
        self._ready = threading.Event()
        self._failed: str | None = None
        self._thread = threading.Thread(target=self._run, name="notifications", daemon=True)
        self._thread.start()

    def notify(self, title: str, body: str, kind: str = "") -> bool:
        """Queue a notification; once the bus has failed, the fallback shows it (no actions)."""
        if self._failed is not None:
            return bool(self.fallback and self.fallback.notify(title, body, kind))
        self._outbox.put((title, body, kind))
        return True

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        """True once connected (and the capabilities known); False if it failed."""
        self._ready.wait(timeout_s)
        return self._ready.is_set() and self._failed is None

    def close(self) -> None:
        self._outbox.put(None)
        self._thread.join(2.0)

    def _run(self) -> None:
        try:
            from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
            from jeepney.io.threading import Proxy, open_dbus_router

            opened = open_dbus_router("SESSION")
            router = opened.__enter__()
        except Exception as exc:  # no bus, no jeepney: one line, then notifications are off
            self._fail(f"no D-Bus session bus ({exc})")
            return
        try:
            server = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
            try:
                reply = router.send_and_get_reply(
                    new_method_call(server, "GetCapabilities"), timeout=5
                )
                self.capabilities = list(reply.body[0])
                rule = MatchRule(
                    type="signal", interface=BUS_NAME, member="ActionInvoked", path=OBJECT_PATH
                )
                Proxy(message_bus, router, timeout=5).AddMatch(rule)
            except Exception as exc:
                self._fail(f"no notification server answers ({exc})")
                return
            log.info("notification: server capabilities %s", ", ".join(self.capabilities))
            self._ready.set()
            with router.filter(rule, bufsize=64) as invoked:
                self._serve(router, server, new_method_call, invoked)
        finally:
            opened.__exit__(None, None, None)

    def _serve(self, router: Any, server: Any, call: Any, invoked: queue.Queue) -> None:
        while True:
            try:
                item = self._outbox.get(timeout=0.2)
            except queue.Empty:
                item = ()
            if item is None:
                return
            if item:
                self._send(router, server, call, *item)
            while True:
                try:
                    signal = invoked.get_nowait()
                except queue.Empty:
                    break
                self._invoked(*signal.body)

    def _send(self, router: Any, server: Any, call: Any, title: str, body: str, kind: str) -> None:
        actions: list[str] = []
        if "actions" in (self.capabilities or []):
            for key, label in ACTIONS.get(kind, []):
                actions += [key, label]
        hints = {"urgency": ("y", 1), "desktop-entry": ("s", "posture-monitor")}
        message = call(
            server, "Notify", "susssasa{sv}i",
            (self.app_name, 0, "", title, body, actions, hints, EXPIRE_MS),
        )  # fmt: skip
        try:
            (nid,) = router.send_and_get_reply(message, timeout=5).body
        except Exception as exc:
            log.warning("notification: sending failed (%s)", exc)
            return
        self._ours[nid] = kind
        self.sent.append((nid, kind))

    def _invoked(self, nid: int, key: str) -> None:
        kind = self._ours.get(nid)
        if kind is None or self.on_action is None:
            return  # another program's notification
        log.info("notification: %s chosen on the %s alert", key, kind)
        try:
            self.on_action(kind, key)
        except Exception:  # never into the D-Bus thread's loop
            log.exception("notification: the %s action failed", key)

    def _fail(self, why: str) -> None:
        self._failed = why
        log.info("notification: %s; desktop notifications off", why)
        self._ready.set()
