"""What a user is told: the one exception (a sentence saying what, where and what to do),
and the logger of the warnings every command prints as a `Warning:` line."""

# a warning the user should read (a migration's notice, the readers' copy skipped); every
# command prints it as one `Warning: <message>` line (flows/progress.py)
WARNINGS_LOGGER = "backlog.warnings"


class BacklogError(Exception):
    """A failure the user can act on; its message is shown as-is, without a traceback."""


class IncompleteDataError(BacklogError):
    """Day D's data failed validation: the digest was written and says so; the run fails."""

    def __init__(self, message: str, digest: dict | None = None) -> None:
        super().__init__(message)
        self.digest = digest


def forget_frames(exc: BaseException) -> None:
    """Drop the frames an exception and its causes hold (Prefect keeps a run's exception in
    its state), so the DuckDB objects in them are freed now, not at exit."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
