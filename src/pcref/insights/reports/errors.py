"""The two ways a report goes wrong: refused as asked, or failed while being made."""


class ReportRefused(ValueError):
    """A report cannot be queued or published as asked; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ReportFailed(Exception):
    """A report could not be made; the message says why, for the staff page."""
