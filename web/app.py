"""The Litestar application: pages, the JSON API, sessions, CSRF, security headers, errors mapped once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import async_sessionmaker
from temporalio.client import Client

from gongkai.database import make_async_engine, make_session_factory
from gongkai.instants import deadline_text, instant_text
from gongkai.keys import derive
from gongkai.logs import clear as clear_log_context
from gongkai.settings import Settings, get_settings
from gongkai.throttle import Limiter, Policy
from models.base import utcnow
from web.account import AccountController
from web.admin import AdminController
from web.apidocs import RENDER_PLUGINS
from web.auth import AuthController
from web.board import BoardController
from web.calculator import CalculatorController
from web.calendar import CalendarController
from web.catalogue import CatalogueController
from web.channels import ChannelAdminController
from web.codec import CodecController, cors
from web.csrf import SessionCSRFMiddleware
from web.deps import provide_db, provide_user
from web.disclosure.cases import CaseController, DisclosureApi
from web.disclosure.public import PublicController, TrackController
from web.display import DisplayAdminController, DisplayController
from web.drafts import DraftController, DraftDiscardMiddleware
from web.errors import EXCEPTION_HANDLERS
from web.headers import security_headers
from web.home import HomeController
from web.inbox import InboxController
from web.incident import IncidentApi, IncidentController
from web.notices import NoticesController
from web.office import OfficeController
from web.policy import PolicyController
from web.publication import PublicationApi, PublicationController
from web.publication_import import PublicationImportController
from web.publication_stats import PublicationStatsController
from web.register import RegisterController
from web.render import ViewUndefined, beijing
from web.report import ReportController
from web.rules import RulesController
from web.sessions import SessionConfig, SQLSessionStore, cookie_names
from web.signoff import SignOffController
from web.throttle import Throttles

HERE = Path(__file__).resolve().parent


def _fresh_log_context(request) -> None:
    """Each request starts with no bound log context (one task may serve several requests)."""
    clear_log_context()


def _template_globals(engine: JinjaTemplateEngine, *, reload: bool) -> None:
    engine.engine.globals.update(beijing=beijing, due_text=instant_text, deadline_text=deadline_text)
    engine.engine.filters.update(instant=instant_text, deadline=deadline_text)
    engine.engine.undefined = ViewUndefined
    # Outside development a template is not checked for changes each time it is used (a stat of its
    # file for each row of the board that includes one): a new release restarts the process.
    engine.engine.auto_reload = reload


def create_app(
    settings: Settings | None = None, *, session_factory: async_sessionmaker | None = None,
    temporal_client: Client | None = None, connect_temporal: bool = True, login_delay_base: float = 1.0,
    clock: Callable[[], datetime] = utcnow,
) -> Litestar:
    """`login_delay_base` (the first wait after wrong passwords, seconds) and `clock` (what the rate
    limits take for now) are for tests."""
    settings = settings or get_settings()
    engine = None
    if session_factory is None:
        engine = make_async_engine(settings)
        session_factory = make_session_factory(engine)

    async def dispose() -> None:
        if engine is not None:
            await engine.dispose()

    secure = settings.secure_cookies
    session_cookie, csrf_cookie = cookie_names(secure)
    sessions = SessionConfig(store="sessions", key=session_cookie, max_age=8 * 3600, samesite="lax",
                             secure=secure, httponly=True)
    # Anonymous forms' double-submit cookie; a session's forms use a token bound to it (web/csrf.py).
    csrf = CSRFConfig(secret=derive(settings.secret_key, "csrf").hex(), cookie_name=csrf_cookie,
                      header_name="x-csrftoken",
                      cookie_samesite="lax", cookie_secure=secure, safe_methods={"GET", "HEAD", "OPTIONS"},
                      exclude=["/codec"])  # the Temporal UI's origin (CORS), admin-only, no side effect

    return Litestar(
        route_handlers=[
            AuthController, HomeController, AdminController, OfficeController, CalendarController, CalculatorController,
            PublicController, TrackController, CaseController, DisclosureApi, InboxController, BoardController,
            ReportController, PolicyController, IncidentController, IncidentApi, CodecController, RegisterController,
            SignOffController, NoticesController, DraftController, AccountController, DisplayController,
            DisplayAdminController, ChannelAdminController, RulesController, PublicationImportController,
            PublicationStatsController, CatalogueController, PublicationController, PublicationApi,
            create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False),
        ],
        dependencies={"db": Provide(provide_db), "user": Provide(provide_user)},
        # CORS for /codec first; the CSRF check runs inside the session middleware: it needs the session's id.
        middleware=[cors(settings.temporal_ui_origin), sessions.middleware,
                    DefineMiddleware(SessionCSRFMiddleware, config=csrf), DraftDiscardMiddleware],
        stores={"sessions": SQLSessionStore(session_factory)},
        before_send=[security_headers],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine,
            engine_callback=functools.partial(_template_globals, reload=settings.is_development)),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(title="Gongkai API", version="0.1.0", path="/schema",
                                     render_plugins=RENDER_PLUGINS),
        on_shutdown=[dispose],
        before_request=_fresh_log_context,
        state=State({
            "session_factory": session_factory, "temporal": temporal_client,
            "temporal_address": settings.temporal_address if connect_temporal and not temporal_client else None,
            "temporal_namespace": settings.temporal_namespace, "task_queue": settings.task_queue, "settings": settings,
            "throttles": Throttles(Limiter(session_factory, clock), login_delay_base=login_delay_base,
                                   intake=Policy.capped(settings.intake_limit,
                                                        timedelta(seconds=settings.intake_window))),
        }),
        request_max_body_size=16 * 1024 * 1024,
    )
