"""One error hierarchy. Messages say what to do next; the CLI prints them without a traceback."""

from __future__ import annotations


class TrendsumError(Exception):
    """Base class for errors a user can act on."""

    exit_code = 1


class UsageError(TrendsumError):
    """The command was asked for something that cannot be: an unknown id, a bad option value."""

    exit_code = 2


class ConfigError(UsageError):
    """Settings are missing or contradictory."""


class IngestError(TrendsumError):
    """A file could not be read as a case study."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class RecordNotFound(UsageError):
    def __init__(self, record_id: str, close: list[str] | None = None) -> None:
        hint = f"Did you mean {' or '.join(close)}?" if close else "Run `trendsum list` to see the ids."
        super().__init__(f"No record with id {record_id!r}. {hint}")
        self.record_id = record_id


class QueueNotFound(UsageError):
    """A command that reads the queue was run where there is none: it never creates an empty one."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"No review queue at {path}. Start one with `trendsum summarise inputs/`, or point --db (or "
            "TRENDSUM_DB) at an existing queue."
        )


class QueueError(TrendsumError):
    """The queue database cannot be used as asked: read-only, full, damaged, or written by a newer trendsum."""


class ReviewError(TrendsumError):
    """A review action is not allowed from the record's current state."""


class ConflictError(ReviewError):
    """Someone else changed the record since it was read (no lost updates)."""


class EngineError(TrendsumError):
    """The engine could not produce an answer (transport, refusal, truncation)."""


class ContextExceeded(EngineError):
    """The request is longer than the endpoint's context window: asking again the same way cannot help.

    Carries the sizes the server reported, when it did, and how many characters of a case would fit
    (`case_chars_that_fit`), so that a caller can split the case instead of failing it.
    """

    def __init__(self, message: str, *, context_tokens: int | None, prompt_tokens: int | None,
                 case_chars_that_fit: int | None) -> None:  # fmt: skip
        super().__init__(message)
        self.context_tokens = context_tokens
        self.prompt_tokens = prompt_tokens
        self.case_chars_that_fit = case_chars_that_fit


class FatalEngineError(EngineError):
    """A failure every other case would hit too (bad key, unknown model, no server): stop the run."""


class SummaryFailed(TrendsumError):
    """Every attempt at a case failed; carries the reason and the last raw answer."""

    def __init__(
        self, reason: str, attempts: int, last_raw: str | None = None, case_chars_that_fit: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.last_raw = last_raw
        self.case_chars_that_fit = case_chars_that_fit  # set when the case was too long for the context
