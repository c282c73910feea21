"""Domain errors mapped once to Temporal, both ways: a business rejection leaves a workflow or an
activity as a non-retryable ApplicationError whose type is the error's code, whose message is shown
to the user and whose details keep the error's detail (the form field among them); the web turns
an update's failure back into the domain error it was."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from gongkai import errors
from gongkai.errors import GongkaiError

F = TypeVar("F", bound=Callable[..., Any])


def to_application_error(exc: GongkaiError) -> ApplicationError:
    return ApplicationError(exc.message, exc.detail, type=exc.code, non_retryable=True)


def rejecting(fn: F) -> F:
    """Decorate update validators and handlers: domain errors become ApplicationErrors."""

    @wraps(fn)
    def sync_wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except GongkaiError as exc:
            raise to_application_error(exc) from None

    @wraps(fn)
    async def async_wrapper(*args, **kwargs):
        try:
            return await fn(*args, **kwargs)
        except GongkaiError as exc:
            raise to_application_error(exc) from None

    return async_wrapper if inspect.iscoroutinefunction(fn) else sync_wrapper  # type: ignore[return-value]


class DomainErrorInterceptor(Interceptor):
    """Worker interceptor: a domain error raised by an activity fails it without retries."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityErrors(next)


class _ActivityErrors(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except GongkaiError as exc:
            raise to_application_error(exc) from None


BY_CODE: dict[str, type[GongkaiError]] = {cls.code: cls for cls in (
    errors.InvalidInput, errors.DateOutOfRange, errors.NotFound, errors.PermissionDenied, errors.ActionNotAllowed,
    errors.Conflict)}


def from_update_failure(exc: BaseException) -> GongkaiError:
    """The other direction, for the web: a rejected update becomes the domain error it was."""
    cause = getattr(exc, "cause", None)
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = getattr(cause, "cause", None)
    if cause is None:
        return errors.Conflict("操作未能完成，请刷新后重试")
    detail = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else None
    return BY_CODE.get(cause.type or "", errors.ActionNotAllowed)(cause.message, detail=detail)
