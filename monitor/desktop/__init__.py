"""The desktop around the monitor: autostart at login, the tray icon, notifications
with actions. Each is an edge: the core never imports it, and a desktop that is
not there (no display, no tray, no notification server) leaves monitoring as it was."""
