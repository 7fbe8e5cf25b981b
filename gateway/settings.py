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
    # A ViaCEP-style CEP lookup service (`gateway simulate cep` serves one on port 8001).
    cep_base_url: str = "http://127.0.0.1:8001"
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
            "cep_base_url": env.get("GATEWAY_CEP_URL", base.cep_base_url),
        }
        return replace(base, **{**values, **overrides})
