"""The disk edge: the SQLite store and its SQL, profile files, the lock, requests."""
