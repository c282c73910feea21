"""The one domain exception hierarchy. Mapped to HTTP in web/errors.py and to Temporal in
workflows/errors.py; nothing else decides what an error means to a client."""

from __future__ import annotations


class GongkaiError(Exception):
    """Base of every error the system raises on purpose. `message` is shown to users (Chinese)."""

    code = "error"

    def __init__(self, message: str, *, detail: dict | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = dict(detail or {})
        if field:  # the form field the message belongs beside
            self.detail["field"] = field

    @property
    def field(self) -> str | None:
        return self.detail.get("field")


class InvalidInput(GongkaiError):
    """The request is malformed or fails validation."""

    code = "invalid_input"


class DateOutOfRange(InvalidInput):
    """A date the working-day calendar cannot count from or to: typed (a 400 beside its field), or
    met by a clock's arithmetic, which then can never succeed (a non-retryable activity failure)."""

    code = "date_out_of_range"


class NotFound(GongkaiError):
    code = "not_found"


class PermissionDenied(GongkaiError):
    code = "permission_denied"


class NotAuthenticated(GongkaiError):
    code = "not_authenticated"


class PasswordChangeRequired(PermissionDenied):
    """Signed in with a password an administrator set: nothing else until it is changed."""

    code = "password_change_required"


class ActionNotAllowed(GongkaiError):
    """The action is not allowed in the case's current state (a rejected update)."""

    code = "action_not_allowed"


class Conflict(GongkaiError):
    """A concurrent change or a duplicate."""

    code = "conflict"


class CalendarYearMissing(GongkaiError):
    """A working-day computation reached a year with no official arrangement."""

    code = "calendar_year_missing"

    def __init__(self, year: int, region: str = "cn") -> None:
        super().__init__(
            f"{year}年的节假日安排尚未录入（地区：{region}），无法按工作日计算",
            detail={"year": year, "region": region},
        )
        self.year = year
        self.region = region


class TooManyAttempts(GongkaiError):
    code = "too_many_attempts"
