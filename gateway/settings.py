"""Configuration, read once from the environment (GATEWAY_*) and validated at start (ADR 0170).

`Settings.from_env()` reads every variable of `VARIABLES`, takes a secret from the file that
`<NAME>_FILE` names when that one is set, and validates the lot with pydantic against the
field types below: a wrong value ends in a `ConfigurationError` naming the variable and the
form it expects (`GATEWAY_PORT must be a port number (1-65535); got 'abc'`), never a traceback.
`gateway config` prints the effective configuration with the secrets masked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from domain.i18n import LANGUAGES, normalize

DEFAULT_SQLITE_PATH = Path("var") / "gateway.sqlite3"
DEFAULT_ASSETS_DIR = Path("var") / "assets"

ROLE_NAMES = ("staff", "subscriber", "reseller", "voice_subscriber")


def parse_role_values(raw: str) -> dict[str, str]:
    """ "staff=gw-staff,subscriber=gw-customer" -> {"gw-staff": "staff", ...}."""
    mapping: dict[str, str] = {}
    for pair in raw.split(","):
        if not pair.strip():
            continue
        role, separator, name = (part.strip() for part in pair.partition("="))
        if not separator or not name or role.lower() not in ROLE_NAMES:
            raise ValueError(
                f"each item is ROLE=NAME with ROLE one of {', '.join(ROLE_NAMES)}; got {pair!r}"
            )
        mapping[name] = role.lower()
    return mapping


def listen_address(raw: str) -> tuple[str, int]:
    """ "HOST:PORT" -> (host, port); an IPv6 host goes in brackets ("[::1]:9464")."""
    host, separator, port = raw.rpartition(":")
    if not separator or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(raw)
    return host.strip("[]") or "0.0.0.0", int(port)


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


def _valid(parse: Any) -> Any:
    def check(value: Any) -> Any:
        if value is not None:
            parse(value)
        return value

    return AfterValidator(check)


def _language(value: str) -> str:
    """ "pt-BR", "pt_br", "pt" -> "pt-BR"; "en", "en-US" -> "en"; anything else is refused."""
    language = normalize(value)
    if language is None:
        raise ValueError(f"not one of {', '.join(LANGUAGES)}")
    return language


Port = Annotated[int, Field(ge=1, le=65535)]
Positive = Annotated[int, Field(ge=1)]
NonNegative = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(gt=0)]
RateText = Annotated[str, _valid(parse_rate)]


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to start; build one with `from_env()` or directly in tests."""

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Streaming replicas of the PostgreSQL primary (docs/scaling.md, ADR 0230): queries read
    # from one of them; mutations, their payloads, and an identity's reads until a replica has
    # replayed that identity's last commit, from the primary. A replica more than
    # replica_max_lag_seconds behind, or not answering its health check (every
    # replica_check_seconds), is skipped.
    database_replica_urls: tuple[str, ...] = ()
    replica_max_lag_seconds: Seconds = 5.0
    replica_check_seconds: Seconds = 1.0
    # "development" serves GraphiQL and readable logs; "production" does neither.
    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: Port = 8000
    # Behind a load balancer: the addresses whose X-Forwarded-For / X-Forwarded-Proto are
    # believed (uvicorn's forwarded_allow_ips), so that per-IP limits count the real client.
    forwarded_allow_ips: str = "127.0.0.1"
    # Processes of `gateway serve` (uvicorn workers), and how long a stopping process lets the
    # requests in flight finish before it closes them (ADR 0171).
    workers: Positive = 1
    shutdown_timeout_seconds: Seconds = 30.0
    document_cache_size: Positive = 512
    max_page_size: Positive = 100
    default_page_size: Positive = 20
    max_body_bytes: Positive = 1_000_000
    db_pool_size: Positive = 10
    compiled_reads: bool = True  # serve plannable queries from compiled plans (issue 7)
    # Authentication (gateway.http.auth, ADRs 0080 and 0172). JWTs: HS256 with a shared secret
    # and/or RS256, ES256 or EdDSA with a PEM public key, a JWKS file or a JWKS URL (an
    # identity provider's, cached and refreshed); issuer, audience and expiry always checked.
    jwt_secret: str | None = None
    jwt_public_key_file: str | None = None
    jwt_jwks_file: str | None = None
    jwt_jwks_url: str | None = None
    jwt_jwks_cache_seconds: Seconds = 300.0
    jwt_jwks_min_refresh_seconds: Seconds = 10.0
    jwt_issuer: str = "isp-gateway"
    jwt_audience: str = "isp-gateway"
    jwt_leeway_seconds: NonNegative = 30
    # Where the gateway's claims are in a token: a claim name, or a dotted path into nested
    # objects (Keycloak: "realm_access.roles"). A role claim may hold a list of roles.
    jwt_claim_role: str = "role"
    jwt_claim_permissions: str = "permissions"
    jwt_claim_customer_id: str = "customer_id"
    jwt_claim_reseller_id: str = "reseller_id"
    jwt_claim_voice_subscriber_id: str = "voice_subscriber_id"
    # The provider's name of each gateway role, "staff=gw-staff,subscriber=gw-customer"; a role
    # not named here is its own name.
    jwt_role_values: Annotated[str, _valid(parse_role_values)] = ""
    # Development only: who an anonymous request acts as ("staff", "subscriber:<customer id>",
    # "reseller:<reseller id>"). Refused in production.
    dev_identity: str | None = None
    # Limits on the document before it runs (gateway/execution/limits.py, ADR 0082).
    max_depth: Positive = 10
    max_aliases: NonNegative = 15
    max_directives: NonNegative = 50
    max_tokens: Positive = 1000
    max_document_bytes: Positive = 16_384
    max_cost: Positive = 5000
    # None: on in development, off in production.
    introspection: bool | None = None
    field_suggestions: bool | None = None
    # Overload (ADR 0083): time limit per request, requests in flight per process.
    request_timeout_seconds: Seconds = 10.0
    max_in_flight: NonNegative = 64
    # Request bodies (ADR 0132): all of it within body_timeout_seconds, before a slot in flight;
    # a body still arriving after 0.1 s is slow, and each client IP and each caller may have
    # slow_bodies_per_client of those at once (max_slow_bodies in all).
    body_timeout_seconds: Seconds = 10.0
    slow_bodies_per_client: Positive = 4
    max_slow_bodies: Positive = 256
    # Rate limits (ADR 0083), "N/SECONDS"; "0" switches one off. Counted in Redis when
    # redis_url is set, else in this process only.
    redis_url: str | None = None
    rate_limit_per_ip: RateText = "600/60"
    rate_limit_per_identity: RateText = "300/60"
    # A Redis that does not answer (ADR 0131): each call gives up after redis_timeout_seconds;
    # after three failures in a row Redis is not asked for redis_breaker_seconds. Meanwhile
    # rate limits let requests through uncounted ("open") or refuse them with 503 ("closed").
    redis_timeout_seconds: Seconds = 0.25
    redis_breaker_seconds: Seconds = 5.0
    rate_limit_on_redis_failure: Literal["open", "closed"] = "open"
    # Trusted documents (ADR 0084): "any" runs any document (and APQ); "registered" runs only
    # documents registered with `gateway documents register`.
    documents_mode: Literal["any", "registered"] = "any"
    apq_ttl_seconds: Positive = 86_400
    idempotency_ttl_seconds: Positive = 86_400
    # CORS: origins allowed to call from a browser; empty means no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    # The domain registry's API (domain/ports/registry.py); None: registering is unavailable.
    registry_base_url: str | None = None
    # A ViaCEP-style CEP lookup service (`gateway simulate cep` serves one on port 8001).
    cep_base_url: str = "http://127.0.0.1:8001"
    # The TV platform (Beenius-style REST API); `gateway simulate tv` serves a stand-in here.
    tv_platform_url: str = "http://127.0.0.1:8100"
    tv_platform_api_key: str | None = None
    tv_platform_timeout: Seconds = 5.0
    # RFC 5176 Disconnect-Requests to the NAS (domain/ports/radius.py): seconds per send, sends.
    radius_timeout: Seconds = 2.0
    radius_retries: Positive = 3
    # "in-process": the app delivers outbox messages itself; "off": run `gateway worker`.
    outbox_worker: Literal["in-process", "off"] = "in-process"
    outbox_poll_seconds: Seconds = 1.0
    # Subscriptions (ADR 0220, docs/realtime.md): how committed changes reach the serving
    # processes ("auto": PostgreSQL's LISTEN/NOTIFY on PostgreSQL, this process on SQLite),
    # the limits per WebSocket connection and per identity (per process), the events a
    # subscriber may leave unread before it is cut off, and the WebSocket's timers.
    realtime_broker: Literal["auto", "postgres", "redis", "memory"] = "auto"
    subscriptions_per_connection: Positive = 10
    subscriptions_per_identity: Positive = 50
    subscription_queue: Positive = 64
    ws_keepalive_seconds: Seconds = 15.0
    ws_init_timeout_seconds: Seconds = 10.0
    # Files fetched at install time (`gateway assets fetch`): GraphiQL's, below graphiql/.
    assets_dir: str = str(DEFAULT_ASSETS_DIR)
    # /readyz: how long each dependency may take to answer before it counts as down.
    readiness_timeout_seconds: Seconds = 1.0
    # Logs (ADR 0174): "json" or "console"; None: json in production, console in development.
    log_format: Literal["json", "console"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Metrics (ADR 0175): the path on the app's port ("" serves none), and/or an address of
    # their own, "HOST:PORT", which `gateway serve` listens on (a private one, typically).
    metrics_path: str = "/metrics"
    metrics_listen: Annotated[str | None, _valid(listen_address)] = None
    # The language of messages and documents when a request's Accept-Language names none the
    # gateway has, and of the CLI and worker (ADR 0210): pt-BR or en.
    language: Annotated[str, AfterValidator(_language)] = "pt-BR"
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

    @property
    def json_logs(self) -> bool:
        return (self.log_format or ("console" if self.development else "json")) == "json"

    @property
    def broker(self) -> str:
        """The realtime broker in use: postgres, redis or memory ("auto" resolved)."""
        if self.realtime_broker != "auto":
            return self.realtime_broker
        return "memory" if self.database_url.startswith("sqlite") else "postgres"

    def check(self) -> None:
        """Refuses settings that are wrong or must never run together; called when the app is
        built, so settings made in code are held to the same rules as the environment's."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        try:
            _ADAPTER.validate_python(values)
        except ValidationError as error:
            raise ConfigurationError(_describe(error, values)) from None
        problems = _problems(self)
        if problems:
            raise ConfigurationError(problems)

    def role_values(self) -> dict[str, str]:
        """GATEWAY_JWT_ROLE_VALUES as {provider's name: gateway role name}."""
        return parse_role_values(self.jwt_role_values)

    @classmethod
    def from_env(cls, environ: Mapping | None = None, **overrides: Any) -> Settings:
        """The settings the environment describes (`overrides` win), validated; raises
        ConfigurationError listing every variable that is wrong."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for variable in VARIABLES:
            try:
                raw = variable.read(env)
            except ConfigurationError as error:
                problems.extend(error.problems)
                continue
            if raw is not None:
                values[variable.field] = variable.convert(raw)
        values.update(overrides)
        try:
            settings: Settings = _ADAPTER.validate_python(values)
        except ValidationError as error:
            problems.extend(_describe(error, values))
            raise ConfigurationError(problems) from None
        problems.extend(_problems(settings))
        if problems:
            raise ConfigurationError(problems)
        return settings


Mapping = dict[str, str] | os._Environ[str]


class ConfigurationError(ValueError):
    """The configuration cannot run; `problems` has one line per wrong variable."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Variable:
    """One environment variable: the field it sets and the form it takes (for messages)."""

    name: str
    field: str
    form: str
    secret: bool = False  # may come from <name>_FILE; masked by `gateway config`
    kind: str = "text"  # "text", "flag" (""/unset: None), "list" (comma-separated)

    def read(self, env: Mapping) -> str | None:
        """The raw value: the variable's, else the content of the file <name>_FILE names."""
        value = env.get(self.name)
        path = env.get(f"{self.name}_FILE") if self.secret else None
        if path:
            if value:
                raise ConfigurationError(
                    f"{self.name} and {self.name}_FILE are both set; set only one of them."
                )
            try:
                return Path(path).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or type(error).__name__
                raise ConfigurationError(
                    f"{self.name}_FILE names a file that cannot be read ({path}: {reason})."
                ) from None
        return value

    def convert(self, raw: str) -> Any:
        if self.kind == "flag":
            return raw.strip() or None
        if self.kind == "list":
            return tuple(item.strip() for item in raw.split(",") if item.strip())
        if self.kind == "optional":
            return raw.strip() or None
        return raw


VARIABLES: tuple[Variable, ...] = (
    Variable("GATEWAY_DATABASE_URL", "database_url", "a URL, postgresql://… or sqlite:///…", True),
    Variable(
        "GATEWAY_DATABASE_REPLICA_URL",
        "database_replica_urls",
        "comma-separated postgresql://… URLs of streaming replicas",
        True,
        "list",
    ),
    Variable("GATEWAY_REPLICA_MAX_LAG", "replica_max_lag_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_REPLICA_CHECK_SECONDS", "replica_check_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_ENV", "environment", "development or production"),
    Variable("GATEWAY_HOST", "host", "an address to listen on, e.g. 127.0.0.1 or 0.0.0.0"),
    Variable("GATEWAY_PORT", "port", "a port number (1-65535)"),
    Variable(
        "GATEWAY_FORWARDED_ALLOW_IPS",
        "forwarded_allow_ips",
        "comma-separated addresses or networks of the load balancers, or *",
    ),
    Variable("GATEWAY_WORKERS", "workers", "a number of processes (1 or more)"),
    Variable("GATEWAY_SHUTDOWN_TIMEOUT", "shutdown_timeout_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_DOCUMENT_CACHE_SIZE", "document_cache_size", "a positive integer"),
    Variable("GATEWAY_MAX_PAGE_SIZE", "max_page_size", "a positive integer"),
    Variable("GATEWAY_MAX_BODY_BYTES", "max_body_bytes", "a number of bytes (1 or more)"),
    Variable("GATEWAY_DB_POOL_SIZE", "db_pool_size", "a positive integer"),
    Variable("GATEWAY_COMPILED_READS", "compiled_reads", "1 or 0 (true or false)"),
    Variable(
        "GATEWAY_JWT_SECRET", "jwt_secret", "a shared secret of 32 bytes or more", True, "optional"
    ),
    Variable(
        "GATEWAY_JWT_PUBLIC_KEY_FILE", "jwt_public_key_file", "a PEM file's path", kind="optional"
    ),
    Variable("GATEWAY_JWT_JWKS_FILE", "jwt_jwks_file", "a JWKS file's path", kind="optional"),
    Variable(
        "GATEWAY_JWT_JWKS_URL", "jwt_jwks_url", "an https:// (or http://) URL", kind="optional"
    ),
    Variable("GATEWAY_JWT_JWKS_CACHE_SECONDS", "jwt_jwks_cache_seconds", "seconds (more than 0)"),
    Variable(
        "GATEWAY_JWT_JWKS_MIN_REFRESH", "jwt_jwks_min_refresh_seconds", "seconds (more than 0)"
    ),
    Variable("GATEWAY_JWT_ISSUER", "jwt_issuer", "the tokens' `iss`"),
    Variable("GATEWAY_JWT_AUDIENCE", "jwt_audience", "the tokens' `aud`"),
    Variable("GATEWAY_JWT_LEEWAY", "jwt_leeway_seconds", "whole seconds (0 or more)"),
    Variable("GATEWAY_JWT_CLAIM_ROLE", "jwt_claim_role", "a claim name or dotted path"),
    Variable(
        "GATEWAY_JWT_CLAIM_PERMISSIONS", "jwt_claim_permissions", "a claim name or dotted path"
    ),
    Variable(
        "GATEWAY_JWT_CLAIM_CUSTOMER_ID", "jwt_claim_customer_id", "a claim name or dotted path"
    ),
    Variable(
        "GATEWAY_JWT_CLAIM_RESELLER_ID", "jwt_claim_reseller_id", "a claim name or dotted path"
    ),
    Variable(
        "GATEWAY_JWT_CLAIM_VOICE_SUBSCRIBER_ID",
        "jwt_claim_voice_subscriber_id",
        "a claim name or dotted path",
    ),
    Variable(
        "GATEWAY_JWT_ROLE_VALUES",
        "jwt_role_values",
        "role=name pairs, e.g. staff=gw-staff,subscriber=gw-customer",
    ),
    Variable(
        "GATEWAY_DEV_IDENTITY",
        "dev_identity",
        "staff, subscriber:<id>, reseller:<id> or voice_subscriber:<id>",
        kind="optional",
    ),
    Variable("GATEWAY_MAX_DEPTH", "max_depth", "a positive integer"),
    Variable("GATEWAY_MAX_ALIASES", "max_aliases", "an integer (0 or more)"),
    Variable("GATEWAY_MAX_DIRECTIVES", "max_directives", "an integer (0 or more)"),
    Variable("GATEWAY_MAX_TOKENS", "max_tokens", "a positive integer"),
    Variable("GATEWAY_MAX_DOCUMENT_BYTES", "max_document_bytes", "a positive integer"),
    Variable("GATEWAY_MAX_COST", "max_cost", "a positive integer"),
    Variable(
        "GATEWAY_INTROSPECTION", "introspection", "1 or 0 (unset: on in development)", kind="flag"
    ),
    Variable(
        "GATEWAY_FIELD_SUGGESTIONS",
        "field_suggestions",
        "1 or 0 (unset: on in development)",
        kind="flag",
    ),
    Variable("GATEWAY_REQUEST_TIMEOUT", "request_timeout_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_MAX_IN_FLIGHT", "max_in_flight", "an integer (0: no limit)"),
    Variable("GATEWAY_BODY_TIMEOUT", "body_timeout_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_SLOW_BODIES_PER_CLIENT", "slow_bodies_per_client", "a positive integer"),
    Variable("GATEWAY_MAX_SLOW_BODIES", "max_slow_bodies", "a positive integer"),
    Variable("GATEWAY_REDIS_TIMEOUT", "redis_timeout_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_REDIS_BREAKER_SECONDS", "redis_breaker_seconds", "seconds (more than 0)"),
    Variable(
        "GATEWAY_RATE_LIMIT_ON_REDIS_FAILURE", "rate_limit_on_redis_failure", "open or closed"
    ),
    Variable("GATEWAY_REDIS_URL", "redis_url", "a URL, redis://host:port/db", True, "optional"),
    Variable("GATEWAY_RATE_LIMIT_PER_IP", "rate_limit_per_ip", "N/SECONDS, e.g. 600/60, or 0"),
    Variable(
        "GATEWAY_RATE_LIMIT_PER_IDENTITY", "rate_limit_per_identity", "N/SECONDS, e.g. 300/60, or 0"
    ),
    Variable("GATEWAY_DOCUMENTS", "documents_mode", "any or registered"),
    Variable("GATEWAY_APQ_TTL", "apq_ttl_seconds", "whole seconds (1 or more)"),
    Variable("GATEWAY_IDEMPOTENCY_TTL", "idempotency_ttl_seconds", "whole seconds (1 or more)"),
    Variable("GATEWAY_CORS_ORIGINS", "cors_origins", "comma-separated origins", kind="list"),
    Variable("GATEWAY_REGISTRY_URL", "registry_base_url", "a URL", kind="optional"),
    Variable("GATEWAY_CEP_URL", "cep_base_url", "a URL"),
    Variable("GATEWAY_TV_PLATFORM_URL", "tv_platform_url", "a URL"),
    Variable(
        "GATEWAY_TV_PLATFORM_API_KEY",
        "tv_platform_api_key",
        "the platform's API key",
        True,
        "optional",
    ),
    Variable("GATEWAY_TV_PLATFORM_TIMEOUT", "tv_platform_timeout", "seconds (more than 0)"),
    Variable("GATEWAY_RADIUS_TIMEOUT", "radius_timeout", "seconds (more than 0)"),
    Variable("GATEWAY_RADIUS_RETRIES", "radius_retries", "a number of sends (1 or more)"),
    Variable("GATEWAY_OUTBOX_WORKER", "outbox_worker", "in-process or off"),
    Variable("GATEWAY_OUTBOX_POLL_SECONDS", "outbox_poll_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_REALTIME_BROKER", "realtime_broker", "auto, postgres, redis or memory"),
    Variable(
        "GATEWAY_SUBSCRIPTIONS_PER_CONNECTION",
        "subscriptions_per_connection",
        "an integer (1 or more)",
    ),
    Variable(
        "GATEWAY_SUBSCRIPTIONS_PER_IDENTITY", "subscriptions_per_identity", "an integer (1 or more)"
    ),
    Variable("GATEWAY_SUBSCRIPTION_QUEUE", "subscription_queue", "a number of events (1 or more)"),
    Variable("GATEWAY_WS_KEEPALIVE_SECONDS", "ws_keepalive_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_WS_INIT_TIMEOUT_SECONDS", "ws_init_timeout_seconds", "seconds (more than 0)"),
    Variable("GATEWAY_ASSETS_DIR", "assets_dir", "a folder's path"),
    Variable("GATEWAY_READINESS_TIMEOUT", "readiness_timeout_seconds", "seconds (more than 0)"),
    Variable(
        "GATEWAY_LOG_FORMAT",
        "log_format",
        "json or console (unset: by GATEWAY_ENV)",
        kind="optional",
    ),
    Variable("GATEWAY_LOG_LEVEL", "log_level", "debug, info, warning or error"),
    Variable("GATEWAY_METRICS_PATH", "metrics_path", "a path such as /metrics, or empty"),
    Variable(
        "GATEWAY_METRICS_LISTEN",
        "metrics_listen",
        "HOST:PORT, e.g. 127.0.0.1:9464",
        kind="optional",
    ),
    Variable("GATEWAY_LANGUAGE", "language", "pt-BR or en"),
)
_BY_FIELD = {variable.field: variable for variable in VARIABLES}
_ADAPTER = TypeAdapter(Settings)


def _describe(error: ValidationError, values: dict[str, Any]) -> list[str]:
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        variable = _BY_FIELD.get(name)
        got = values.get(name, problem.get("input"))
        if variable is None:
            lines.append(f"{name}: {problem['msg']}; got {got!r}")
        elif variable.secret:
            lines.append(f"{variable.name} must be {variable.form} ({problem['msg']}).")
        else:
            lines.append(f"{variable.name} must be {variable.form}; got {got!r}.")
    return lines


def _problems(settings: Settings) -> list[str]:
    """Values that validate one by one but cannot run (together)."""
    problems = []
    if settings.dev_identity and not settings.development:
        problems.append("GATEWAY_DEV_IDENTITY is for development only; unset it.")
    try:
        from sqlalchemy.engine import make_url

        backend = make_url(settings.database_url).get_backend_name()
    except Exception:
        backend = None
    if backend not in ("postgresql", "sqlite"):
        problems.append(
            "GATEWAY_DATABASE_URL must be a URL, postgresql://… or sqlite:///…"
            f"{'' if backend is None else f' (not {backend}://)'}."
        )
    elif backend == "sqlite" and settings.workers > 1:
        problems.append(
            "GATEWAY_WORKERS must be 1 with SQLite: one SQLite file serves one process "
            "(use PostgreSQL for several workers)."
        )
    problems.extend(_replica_problems(settings, backend))
    if settings.realtime_broker == "redis" and not settings.redis_url:
        problems.append("GATEWAY_REALTIME_BROKER=redis needs GATEWAY_REDIS_URL.")
    if settings.realtime_broker == "postgres" and backend == "sqlite":
        problems.append(
            "GATEWAY_REALTIME_BROKER=postgres needs PostgreSQL; SQLite uses auto (or memory)."
        )
    if settings.realtime_broker == "memory" and settings.workers > 1:
        problems.append(
            "GATEWAY_REALTIME_BROKER=memory reaches one process only: with several workers use "
            "auto (PostgreSQL) or redis."
        )
    for name, url in (
        ("GATEWAY_REDIS_URL", settings.redis_url),
        ("GATEWAY_JWT_JWKS_URL", settings.jwt_jwks_url),
    ):
        if url is not None and not urlsplit(url).netloc:
            problems.append(f"{name} must be {_BY_NAME[name].form}.")
    limited = parse_rate(settings.rate_limit_per_ip) or parse_rate(settings.rate_limit_per_identity)
    if settings.workers > 1 and limited and not settings.redis_url:
        # Counted in each process's memory, a limit would let N times as much through.
        problems.append(
            "GATEWAY_WORKERS above 1 needs GATEWAY_REDIS_URL while rate limits are on: every "
            "process must count in the same place (or set both GATEWAY_RATE_LIMIT_* to 0)."
        )
    if settings.metrics_path and not settings.metrics_path.startswith("/"):
        problems.append(
            f"GATEWAY_METRICS_PATH must be a path such as /metrics; got {settings.metrics_path!r}."
        )
    return problems


_BY_NAME = {variable.name: variable for variable in VARIABLES}


def _replica_problems(settings: Settings, backend: str | None) -> list[str]:
    if not settings.database_replica_urls:
        return []
    problems = []
    if backend != "postgresql":
        problems.append(
            "GATEWAY_DATABASE_REPLICA_URL needs a PostgreSQL primary (GATEWAY_DATABASE_URL)."
        )
    for position, url in enumerate(settings.database_replica_urls, 1):
        try:
            from sqlalchemy.engine import make_url

            replica_backend = make_url(url).get_backend_name()
        except Exception:
            replica_backend = None
        if replica_backend != "postgresql":
            problems.append(
                f"GATEWAY_DATABASE_REPLICA_URL's URL number {position} must be postgresql://…"
            )
    if not settings.redis_url:
        # Read-your-writes marks must reach every process (ADR 0230).
        problems.append(
            "GATEWAY_DATABASE_REPLICA_URL needs GATEWAY_REDIS_URL: each identity's last write "
            "is kept there, so that every process sends its reads to the primary until a "
            "replica has it."
        )
    return problems


def masked(settings: Settings, environ: Mapping | None = None) -> list[tuple[str, str, str]]:
    """(variable, effective value with secrets masked, where it came from) for each variable:
    what `gateway config` prints."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    rows = []
    for variable in VARIABLES:
        value = getattr(settings, variable.field)
        if variable.secret and env.get(f"{variable.name}_FILE"):
            source = f"file {env[f'{variable.name}_FILE']}"
        elif env.get(variable.name) is not None:
            source = "environment"
        elif value != getattr(defaults, variable.field):
            source = "command line"
        else:
            source = "default"
        rows.append((variable.name, _mask(variable, value), source))
    return rows


def _mask(variable: Variable, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        if variable.secret:
            return ",".join(mask_url(item) if "://" in item else "********" for item in value)
        return ",".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if not variable.secret:
        return text
    if "://" in text:
        return mask_url(text)
    return "********"


def mask_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
