"""The named errors that the command line turns into one-line messages."""

from __future__ import annotations


class MonitorError(Exception):
    """A problem the user can fix; its message says what and how."""


class ModelError(MonitorError):
    """The pose model file is missing, damaged or not a model."""


class SourceError(MonitorError):
    """A camera, video or image folder cannot be opened or read."""


class SettingsError(MonitorError):
    """A setting has an unknown key, a wrong type or an out-of-range value."""


class ProfileError(MonitorError):
    """A calibration profile is missing, corrupt or does not fit."""


class StoreError(MonitorError):
    """The database cannot be opened or written."""


class DatabaseBusy(StoreError):
    """Another process is recording to the database (see `monitor.storage.lock`)."""


class SoundError(MonitorError):
    """No sound backend could play; the message says what each one reported."""


class LabelsError(MonitorError):
    """A labels file or a timeline given to the scorer is not in the expected format."""


class OutputError(MonitorError):
    """A file or folder asked for cannot be written; the message names it and says why."""

