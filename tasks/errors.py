"""The one exception a user sees: a sentence saying what, where and what to do."""


class BacklogError(Exception):
    """A failure the user can act on; its message is shown as-is, without a traceback."""
