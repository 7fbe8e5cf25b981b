"""Configuration, read once from the environment (GATEWAY_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_SQLITE_PATH = Path("var") / "gateway.sqlite3"


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start; build one with `from_env()` or directly in tests."""

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    environment: str = "development"  # "development" serves GraphiQL; "production" does not
    host: str = "127.0.0.1"
    port: int = 8000
    document_cache_size: int = 512
    max_page_size: int = 100
    default_page_size: int = 20
    max_body_bytes: int = 1_000_000
    db_pool_size: int = 10
    # The TV platform (Beenius-style REST API); `gateway simulate tv` serves a stand-in here.
    tv_platform_url: str = "http://127.0.0.1:8100"
    tv_platform_api_key: str | None = None
    tv_platform_timeout: float = 5.0
    # "in-process": the app delivers outbox messages itself; "off": run `gateway worker`.
    outbox_worker: str = "in-process"
    outbox_poll_seconds: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        base = cls()
        values: dict[str, Any] = {
            "database_url": env.get("GATEWAY_DATABASE_URL", base.database_url),
            "environment": env.get("GATEWAY_ENV", base.environment),
            "host": env.get("GATEWAY_HOST", base.host),
            "port": int(env.get("GATEWAY_PORT", base.port)),
            "document_cache_size": int(
                env.get("GATEWAY_DOCUMENT_CACHE_SIZE", base.document_cache_size)
            ),
            "max_page_size": int(env.get("GATEWAY_MAX_PAGE_SIZE", base.max_page_size)),
            "max_body_bytes": int(env.get("GATEWAY_MAX_BODY_BYTES", base.max_body_bytes)),
            "db_pool_size": int(env.get("GATEWAY_DB_POOL_SIZE", base.db_pool_size)),
            "tv_platform_url": env.get("GATEWAY_TV_PLATFORM_URL", base.tv_platform_url),
            "tv_platform_api_key": env.get("GATEWAY_TV_PLATFORM_API_KEY") or None,
            "tv_platform_timeout": float(
                env.get("GATEWAY_TV_PLATFORM_TIMEOUT", base.tv_platform_timeout)
            ),
            "outbox_worker": env.get("GATEWAY_OUTBOX_WORKER", base.outbox_worker),
            "outbox_poll_seconds": float(
                env.get("GATEWAY_OUTBOX_POLL_SECONDS", base.outbox_poll_seconds)
            ),
        }
        return replace(base, **{**values, **overrides})
