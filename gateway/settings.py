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
    compiled_reads: bool = True  # serve plannable queries from compiled plans (issue 7)
    # Authentication (gateway.http.auth, ADR 0080). JWTs: HS256 with a shared secret and/or RS256
    # with a PEM public key or a JWKS file; issuer, audience and expiry are always checked.
    jwt_secret: str | None = None
    jwt_public_key_file: str | None = None
    jwt_jwks_file: str | None = None
    jwt_issuer: str = "isp-gateway"
    jwt_audience: str = "isp-gateway"
    jwt_leeway_seconds: int = 30
    # Development only: who an anonymous request acts as ("staff", "subscriber:<customer id>",
    # "reseller:<reseller id>"). Refused in production.
    dev_identity: str | None = None
    # Limits on the document before it runs (gateway/execution/limits.py, ADR 0082).
    max_depth: int = 10
    max_aliases: int = 15
    max_directives: int = 50
    max_tokens: int = 1000
    max_document_bytes: int = 16_384
    max_cost: int = 5000
    # None: on in development, off in production.
    introspection: bool | None = None
    field_suggestions: bool | None = None
    # Overload (ADR 0083): time limit per request, requests in flight per process.
    request_timeout_seconds: float = 10.0
    max_in_flight: int = 64
    # Request bodies (ADR 0132): all of it within body_timeout_seconds, before a slot in flight;
    # a body still arriving after 0.1 s is slow, and each client IP and each caller may have
    # slow_bodies_per_client of those at once (max_slow_bodies in all).
    body_timeout_seconds: float = 10.0
    slow_bodies_per_client: int = 4
    max_slow_bodies: int = 256
    # Rate limits (ADR 0083), "N/SECONDS"; "0" switches one off. Counted in Redis when
    # redis_url is set, else in this process only.
    redis_url: str | None = None
    rate_limit_per_ip: str = "600/60"
    rate_limit_per_identity: str = "300/60"
    # A Redis that does not answer (ADR 0131): each call gives up after redis_timeout_seconds;
    # after three failures in a row Redis is not asked for redis_breaker_seconds. Meanwhile
    # rate limits let requests through uncounted ("open") or refuse them with 503 ("closed").
    redis_timeout_seconds: float = 0.25
    redis_breaker_seconds: float = 5.0
    rate_limit_on_redis_failure: str = "open"
    # Trusted documents (ADR 0084): "any" runs any document (and APQ); "registered" runs only
    # documents registered with `gateway documents register`.
    documents_mode: str = "any"
    apq_ttl_seconds: int = 86_400
    idempotency_ttl_seconds: int = 86_400
    # CORS: origins allowed to call from a browser; empty means no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    # The domain registry's API (domain/ports/registry.py); None: registering is unavailable.
    registry_base_url: str | None = None
    # A ViaCEP-style CEP lookup service (`gateway simulate cep` serves one on port 8001).
    cep_base_url: str = "http://127.0.0.1:8001"
    # The TV platform (Beenius-style REST API); `gateway simulate tv` serves a stand-in here.
    tv_platform_url: str = "http://127.0.0.1:8100"
    tv_platform_api_key: str | None = None
    tv_platform_timeout: float = 5.0
    # RFC 5176 Disconnect-Requests to the NAS (domain/ports/radius.py): seconds per send, sends.
    radius_timeout: float = 2.0
    radius_retries: int = 3
    # "in-process": the app delivers outbox messages itself; "off": run `gateway worker`.
    outbox_worker: str = "in-process"
    outbox_poll_seconds: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def introspection_enabled(self) -> bool:
        return self.development if self.introspection is None else self.introspection

    @property
    def field_suggestions_enabled(self) -> bool:
        return self.development if self.field_suggestions is None else self.field_suggestions

    def check(self) -> None:
        """Refuses settings that must never run together; called when the app is built."""
        if self.dev_identity and not self.development:
            raise ValueError("GATEWAY_DEV_IDENTITY is for development only; unset it.")
        if self.documents_mode not in ("any", "registered"):
            raise ValueError("GATEWAY_DOCUMENTS must be 'any' or 'registered'.")
        if self.rate_limit_on_redis_failure not in ("open", "closed"):
            raise ValueError("GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE must be 'open' or 'closed'.")
        for name in ("rate_limit_per_ip", "rate_limit_per_identity"):
            parse_rate(getattr(self, name))

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
            "compiled_reads": env.get("GATEWAY_COMPILED_READS", "1") not in ("0", "false", "no"),
            "jwt_secret": env.get("GATEWAY_JWT_SECRET") or None,
            "jwt_public_key_file": env.get("GATEWAY_JWT_PUBLIC_KEY_FILE") or None,
            "jwt_jwks_file": env.get("GATEWAY_JWT_JWKS_FILE") or None,
            "jwt_issuer": env.get("GATEWAY_JWT_ISSUER", base.jwt_issuer),
            "jwt_audience": env.get("GATEWAY_JWT_AUDIENCE", base.jwt_audience),
            "jwt_leeway_seconds": int(env.get("GATEWAY_JWT_LEEWAY", base.jwt_leeway_seconds)),
            "dev_identity": env.get("GATEWAY_DEV_IDENTITY") or None,
            "max_depth": int(env.get("GATEWAY_MAX_DEPTH", base.max_depth)),
            "max_aliases": int(env.get("GATEWAY_MAX_ALIASES", base.max_aliases)),
            "max_directives": int(env.get("GATEWAY_MAX_DIRECTIVES", base.max_directives)),
            "max_tokens": int(env.get("GATEWAY_MAX_TOKENS", base.max_tokens)),
            "max_document_bytes": int(
                env.get("GATEWAY_MAX_DOCUMENT_BYTES", base.max_document_bytes)
            ),
            "max_cost": int(env.get("GATEWAY_MAX_COST", base.max_cost)),
            "introspection": _flag(env.get("GATEWAY_INTROSPECTION")),
            "field_suggestions": _flag(env.get("GATEWAY_FIELD_SUGGESTIONS")),
            "request_timeout_seconds": float(
                env.get("GATEWAY_REQUEST_TIMEOUT", base.request_timeout_seconds)
            ),
            "max_in_flight": int(env.get("GATEWAY_MAX_IN_FLIGHT", base.max_in_flight)),
            "body_timeout_seconds": float(
                env.get("GATEWAY_BODY_TIMEOUT", base.body_timeout_seconds)
            ),
            "slow_bodies_per_client": int(
                env.get("GATEWAY_SLOW_BODIES_PER_CLIENT", base.slow_bodies_per_client)
            ),
            "max_slow_bodies": int(env.get("GATEWAY_MAX_SLOW_BODIES", base.max_slow_bodies)),
            "redis_url": env.get("GATEWAY_REDIS_URL") or None,
            "rate_limit_per_ip": env.get("GATEWAY_RATE_LIMIT_PER_IP", base.rate_limit_per_ip),
            "rate_limit_per_identity": env.get(
                "GATEWAY_RATE_LIMIT_PER_IDENTITY", base.rate_limit_per_identity
            ),
            "redis_timeout_seconds": float(
                env.get("GATEWAY_REDIS_TIMEOUT", base.redis_timeout_seconds)
            ),
            "redis_breaker_seconds": float(
                env.get("GATEWAY_REDIS_BREAKER_SECONDS", base.redis_breaker_seconds)
            ),
            "rate_limit_on_redis_failure": env.get(
                "GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE", base.rate_limit_on_redis_failure
            ),
            "documents_mode": env.get("GATEWAY_DOCUMENTS", base.documents_mode),
            "apq_ttl_seconds": int(env.get("GATEWAY_APQ_TTL", base.apq_ttl_seconds)),
            "idempotency_ttl_seconds": int(
                env.get("GATEWAY_IDEMPOTENCY_TTL", base.idempotency_ttl_seconds)
            ),
            "cors_origins": tuple(
                origin.strip()
                for origin in env.get("GATEWAY_CORS_ORIGINS", "").split(",")
                if origin.strip()
            ),
            "registry_base_url": env.get("GATEWAY_REGISTRY_URL") or base.registry_base_url,
            "cep_base_url": env.get("GATEWAY_CEP_URL", base.cep_base_url),
            "tv_platform_url": env.get("GATEWAY_TV_PLATFORM_URL", base.tv_platform_url),
            "tv_platform_api_key": env.get("GATEWAY_TV_PLATFORM_API_KEY") or None,
            "tv_platform_timeout": float(
                env.get("GATEWAY_TV_PLATFORM_TIMEOUT", base.tv_platform_timeout)
            ),
            "radius_timeout": float(env.get("GATEWAY_RADIUS_TIMEOUT", base.radius_timeout)),
            "radius_retries": int(env.get("GATEWAY_RADIUS_RETRIES", base.radius_retries)),
            "outbox_worker": env.get("GATEWAY_OUTBOX_WORKER", base.outbox_worker),
            "outbox_poll_seconds": float(
                env.get("GATEWAY_OUTBOX_POLL_SECONDS", base.outbox_poll_seconds)
            ),
        }
        return replace(base, **{**values, **overrides})


def _flag(raw: str | None) -> bool | None:
    if raw is None or not raw.strip():
        return None
    return raw.strip().lower() in ("1", "true", "yes", "on")


def parse_rate(raw: str) -> tuple[int, int] | None:
    """ "N/SECONDS" -> (N, SECONDS); "0" or "" -> None (no limit)."""
    text = raw.strip()
    if text in ("", "0"):
        return None
    count, _, seconds = text.partition("/")
    try:
        parsed = (int(count), int(seconds or "1"))
    except ValueError:
        raise ValueError(f"a rate is 'N/SECONDS', e.g. '300/60'; got {raw!r}") from None
    if parsed[0] <= 0 or parsed[1] <= 0:
        raise ValueError(f"a rate needs a positive count and window; got {raw!r}")
    return parsed
