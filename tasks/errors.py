"""The one exception a user sees: a sentence saying what, where and what to do."""


class BacklogError(Exception):
    """A failure the user can act on; its message is shown as-is, without a traceback."""


class IncompleteDataError(BacklogError):
    """Day D's data failed validation: the digest was written and says so; the run fails."""

    def __init__(self, message: str, digest: dict | None = None) -> None:
        super().__init__(message)
        self.digest = digest
