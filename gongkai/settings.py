"""The one settings object, read from the environment and cached."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "gongkai-development-secret-do-not-use"


class SettingsError(RuntimeError):
    pass


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    env: str
    var_dir: Path
    database_url: str
    temporal_address: str
    temporal_namespace: str
    task_queue: str
    embedded_temporal: bool
    temporal_ui_port: int
    host: str
    port: int
    secret_key: str
    log_format: str  # "auto", "json" or "console"
    log_level: str
    demo_data: bool
    intake_limit: int = 5  # new public-form submissions per client address and window (counted in SQL)
    intake_window: float = 600.0  # seconds
    reconcile_interval: int = 900  # seconds between reconciliation runs (a Temporal schedule); 0: none
    reconcile_batch: int = 1000  # open cases a run asks about; more are checked in slices, one per run
    workflow_sandbox: bool = False  # run workflows in Temporal's sandbox (the tests always do)

    @property
    def is_development(self) -> bool:
        return self.env in {"development", "test"}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sync_database_url(self) -> str:
        """URL for Alembic and scripts (psycopg 3 driver for PostgreSQL)."""
        url = self.database_url
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def async_database_url(self) -> str:
        url = self.sync_database_url
        if url.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url  # psycopg 3 is async-capable under the same URL

    @property
    def base_url(self) -> str:
        return f"http://{self.host if self.host != '0.0.0.0' else '127.0.0.1'}:{self.port}"


def load_settings() -> Settings:
    env = os.environ.get("GONGKAI_ENV", "development")
    var_dir = Path(os.environ.get("GONGKAI_VAR_DIR", ROOT / "var")).resolve()
    secret = os.environ.get("GONGKAI_SECRET_KEY", DEV_SECRET)
    if env not in {"development", "test"} and secret == DEV_SECRET:
        raise SettingsError("GONGKAI_SECRET_KEY must be set outside development")
    if len(secret) < 16:
        raise SettingsError("GONGKAI_SECRET_KEY must be at least 16 characters")
    return Settings(
        env=env,
        var_dir=var_dir,
        database_url=os.environ.get("GONGKAI_DATABASE_URL", f"sqlite:///{var_dir / 'gongkai.db'}"),
        temporal_address=os.environ.get("GONGKAI_TEMPORAL_ADDRESS", "127.0.0.1:7233"),
        temporal_namespace=os.environ.get("GONGKAI_TEMPORAL_NAMESPACE", "default"),
        task_queue=os.environ.get("GONGKAI_TASK_QUEUE", "gongkai"),
        embedded_temporal=_flag("GONGKAI_EMBEDDED_TEMPORAL", "GONGKAI_TEMPORAL_ADDRESS" not in os.environ),
        temporal_ui_port=int(os.environ.get("GONGKAI_TEMPORAL_UI_PORT", "8233")),
        host=os.environ.get("GONGKAI_HOST", "127.0.0.1"),
        port=int(os.environ.get("GONGKAI_PORT", "8000")),
        secret_key=secret,
        log_format=os.environ.get("GONGKAI_LOG_FORMAT", "auto"),
        log_level=os.environ.get("GONGKAI_LOG_LEVEL", "INFO"),
        demo_data=_flag("GONGKAI_DEMO_DATA", env == "development"),
        intake_limit=int(os.environ.get("GONGKAI_INTAKE_LIMIT", "5")),
        intake_window=float(os.environ.get("GONGKAI_INTAKE_WINDOW_SECONDS", "600")),
        reconcile_interval=int(os.environ.get("GONGKAI_RECONCILE_INTERVAL", "900")),
        reconcile_batch=int(os.environ.get("GONGKAI_RECONCILE_BATCH", "1000")),
        workflow_sandbox=_flag("GONGKAI_WORKFLOW_SANDBOX", False),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
