"""Errors a CLI command reports to the user (exit code 1, message on stderr)."""


class UserError(Exception):
    """A problem with the input or the data; the message is shown as is (Chinese)."""
