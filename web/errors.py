"""The one place where domain errors (and framework errors) become HTTP responses: JSON under
/api, a Chinese error page elsewhere, a redirect to the login page when not logged in (for htmx,
HX-Redirect) and to the password change when one is due (web/returns.py)."""

from __future__ import annotations

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template

from gongkai import errors
from gongkai.logs import get_logger
from web.returns import CHANGE_PASSWORD, go_to, return_path

log = get_logger(__name__)

STATUS = {
    errors.InvalidInput: 400,
    errors.NotAuthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.ActionNotAllowed: 409,
    errors.Conflict: 409,
    errors.CalendarYearMissing: 422,
    errors.TooManyAttempts: 429,
}
HTTP_MESSAGES = {
    400: "请求格式不正确",
    401: "请先登录",
    403: "没有权限执行此操作；如果是表单提交，可能是页面已过期（缺少安全令牌），请刷新后重试",
    404: "页面或记录不存在",
    405: "不支持此操作方式",
    413: "上传的文件过大",
    429: "操作过于频繁，请稍后再试",
}


def status_for(exc: errors.GongkaiError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _render(request: Request, status: int, message: str, code: str, detail: dict | None = None) -> Response:
    if _wants_json(request):
        return Response({"error": code, "message": message, "detail": detail or {}}, status_code=status,
                        media_type=MediaType.JSON)
    if status == 401:  # to the login page, and back to where the person was (web/returns.py)
        return go_to(request, "/login", return_path(request))
    if code == errors.PasswordChangeRequired.code:
        return go_to(request, CHANGE_PASSWORD, return_path(request), htmx_status=403)
    return Template("error.html", context={"status": status, "message": message}, status_code=status)


def domain_error_handler(request: Request, exc: errors.GongkaiError) -> Response:
    status = status_for(exc)
    log.info("request_refused", status=status, code=exc.code, path=request.url.path)
    response = _render(request, status, exc.message, exc.code, exc.detail)
    if exc.detail.get("retry_after"):  # a limit's refusal says when to come back, whichever page refused
        response.headers["Retry-After"] = str(exc.detail["retry_after"])
    return response


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    message = HTTP_MESSAGES.get(status, "请求无法处理")
    if status == 400 and exc.detail and _wants_json(request):
        message = f"{message}：{exc.detail}"
    return _render(request, status, message, "http_error")


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path)
    return _render(request, 500, "系统内部错误，已记录，请稍后重试或联系管理员", "internal_error")


EXCEPTION_HANDLERS = {
    errors.GongkaiError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
