"""The application: the live loop and its wiring, replay, calibration, preview, status."""
