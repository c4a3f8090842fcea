"""Errors the persistence layer reports to users (messages in Chinese)."""


class DatabaseOpenError(Exception):
    """The database cannot be opened: not ours, damaged, or from a newer version."""

    def __init__(self, message: str, *, path: str | None = None, kind: str = "other") -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind  # not_database / damaged / newer / locked / other


class StaleRecordError(Exception):
    """Someone else saved the record after it was loaded (optimistic locking)."""
