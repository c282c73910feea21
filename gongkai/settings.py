"""The one settings object, read from the environment and cached."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from gongkai.keys import installation_secret

ROOT = Path(__file__).resolve().parent.parent
# Known to everyone who reads this file: accepted only when the tests run (GONGKAI_ENV=test).
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
    previous_secret_keys: tuple[str, ...]  # still open and verify what they encrypted and signed
    log_format: str  # "auto", "json" or "console"
    log_level: str
    demo_data: bool
    intake_limit: int = 5  # new public-form submissions per client address and window (counted in SQL)
    intake_window: float = 600.0  # seconds
    reconcile_interval: int = 900  # seconds between reconciliation runs (a Temporal schedule); 0: none
    reconcile_batch: int = 1000  # open cases a run asks about; more are checked in slices, one per run
    digest: bool = True  # the daily digest at 08:30 on working days (a Temporal schedule); off: none
    workflow_sandbox: bool = False  # run workflows in Temporal's sandbox (the tests always do)
    actor_proof_seconds: int = 300  # how long the web's signature on an action's actor holds
    temporal_ui_origin: str = ""  # the Temporal web UI, the one origin the codec endpoint answers
    # Served over https (directly or behind a proxy): cookies get Secure and the __Host- prefix.
    secure_cookies: bool = False
    # Messages outside the browser (gongkai/channels.py). No SMTP host: no e-mail is sent (and the
    # administrators' channel page says so).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = ""
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_security: str = "none"  # none, starttls, ssl
    public_url: str = ""  # how people reach this site from a message's link; default: base_url
    delivery_retry_seconds: float = 10.0  # first retry of a failed send; doubling, at most 5 minutes apart
    delivery_attempts: int = 8  # attempts on one channel before falling back to the next
    # The jurisdiction profile whose rules this office follows (gongkai/data/profiles/<key>.toml);
    # its first version is installed from the shipped file, later ones are made on 时限规则.
    profile: str = "national"
    # Uploaded files (ID copies, screenshots, seals, letters). Several web processes on several
    # hosts point this at one shared directory (a network mount); default: var/uploads.
    uploads_dir: Path | None = None
    # The reverse proxies (addresses, comma-separated, or *) whose X-Forwarded-For names the client:
    # behind one, every limit per client address would otherwise count the proxy's address.
    forwarded_allow_ips: str = ""
    # PostgreSQL: the parallel workers one query of the web or the worker may start
    # (max_parallel_workers_per_gather). Starting them cost a page's search more than they saved
    # (bench/inbox.py at a million requests: 22 ms against 8); -1 leaves the server's own.
    database_parallel_workers: int = 0

    @property
    def uploads(self) -> Path:
        return self.uploads_dir or self.var_dir / "uploads"

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

    @property
    def link_base(self) -> str:
        """The start of every link in a message sent outside the browser."""
        return (self.public_url or self.base_url).rstrip("/")


def load_settings() -> Settings:
    env = os.environ.get("GONGKAI_ENV", "development")
    var_dir = Path(os.environ.get("GONGKAI_VAR_DIR", ROOT / "var")).resolve()
    secret = _secret(env, var_dir)
    previous = tuple(s.strip() for s in os.environ.get("GONGKAI_PREVIOUS_SECRET_KEYS", "").split(",") if s.strip())
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
        digest=_flag("GONGKAI_DIGEST", env != "test"),  # test workers send no digest unless asked
        workflow_sandbox=_flag("GONGKAI_WORKFLOW_SANDBOX", False),
        previous_secret_keys=previous,
        actor_proof_seconds=int(os.environ.get("GONGKAI_ACTOR_PROOF_SECONDS", "300")),
        temporal_ui_origin=os.environ.get("GONGKAI_TEMPORAL_UI_ORIGIN", _ui_origin()),
        secure_cookies=_flag("GONGKAI_SECURE_COOKIES", False),
        smtp_host=os.environ.get("GONGKAI_SMTP_HOST", ""),
        smtp_port=int(os.environ.get("GONGKAI_SMTP_PORT", "25")),
        smtp_sender=os.environ.get("GONGKAI_SMTP_FROM", ""),
        smtp_username=os.environ.get("GONGKAI_SMTP_USERNAME", ""),
        smtp_password=_secret_value("GONGKAI_SMTP_PASSWORD"),
        smtp_security=_choice("GONGKAI_SMTP_SECURITY", "none", ("none", "starttls", "ssl")),
        public_url=os.environ.get("GONGKAI_PUBLIC_URL", ""),
        delivery_retry_seconds=float(os.environ.get("GONGKAI_DELIVERY_RETRY_SECONDS", "10")),
        delivery_attempts=int(os.environ.get("GONGKAI_DELIVERY_ATTEMPTS", "8")),
        profile=_profile(),
        uploads_dir=Path(os.environ["GONGKAI_UPLOADS_DIR"]).resolve() if os.environ.get("GONGKAI_UPLOADS_DIR")
        else None,
        forwarded_allow_ips=os.environ.get("GONGKAI_FORWARDED_ALLOW_IPS", "").strip(),
        database_parallel_workers=int(os.environ.get("GONGKAI_DATABASE_PARALLEL_WORKERS", "0")),
    )


def _profile() -> str:
    from gongkai.profiles import SHIPPED

    value = os.environ.get("GONGKAI_PROFILE", "national").strip().lower()
    if value not in SHIPPED:
        raise SettingsError(f"GONGKAI_PROFILE must be one of {', '.join(SHIPPED)}")
    return value


def _secret_value(name: str) -> str:
    """A secret from NAME, or from the file NAME_FILE names (kept out of the environment's listing)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE cannot be read: {exc.strerror}") from None
    return os.environ.get(name, "")


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _ui_origin() -> str:
    host = os.environ.get("GONGKAI_TEMPORAL_ADDRESS", "127.0.0.1:7233").rpartition(":")[0] or "127.0.0.1"
    return f"http://{host}:{os.environ.get('GONGKAI_TEMPORAL_UI_PORT', '8233')}"


def _secret(env: str, var_dir: Path) -> str:
    """GONGKAI_SECRET_KEY if set; else the tests' known secret; else this installation's own,
    generated into var/ on the first start. The known secret is refused outside the tests."""
    secret = os.environ.get("GONGKAI_SECRET_KEY")
    if secret is None:
        secret = DEV_SECRET if env == "test" else installation_secret(var_dir)
    if secret == DEV_SECRET and env != "test":
        raise SettingsError("GONGKAI_SECRET_KEY is the published development secret; unset it (an installation "
                            "secret is generated into var/) or set a secret of your own")
    if len(secret) < 16:
        raise SettingsError("GONGKAI_SECRET_KEY must be at least 16 characters")
    return secret


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
