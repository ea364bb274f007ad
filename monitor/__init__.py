"""posture-monitor: a webcam posture-and-sitting monitor for desk work."""

__version__ = "0.1.0"
