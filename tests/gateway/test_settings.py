"""Configuration validated at start (ADR 0170): wrong values name their variable and form,
secrets come from files, `gateway config` masks them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.settings import ConfigurationError, Settings

SECRET = "a-shared-secret-of-more-than-32-bytes-0123456789"


def _problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(environ)
    return raised.value.problems


def test_a_wrong_value_names_the_variable_and_the_form_it_takes() -> None:
    assert _problems({"GATEWAY_PORT": "abc"}) == [
        "GATEWAY_PORT must be a port number (1-65535); got 'abc'."
    ]
    assert _problems({"GATEWAY_PORT": "70000"}) == [
        "GATEWAY_PORT must be a port number (1-65535); got '70000'."
    ]
    assert _problems({"GATEWAY_ENV": "prod"}) == [
        "GATEWAY_ENV must be development or production; got 'prod'."
    ]


def test_every_wrong_variable_is_listed_at_once() -> None:
    problems = _problems(
        {
            "GATEWAY_MAX_PAGE_SIZE": "0",
            "GATEWAY_REQUEST_TIMEOUT": "soon",
            "GATEWAY_COMPILED_READS": "maybe",
            "GATEWAY_RATE_LIMIT_PER_IP": "lots",
        }
    )
    assert len(problems) == 4, problems
    for name in ("MAX_PAGE_SIZE", "REQUEST_TIMEOUT", "COMPILED_READS", "RATE_LIMIT_PER_IP"):
        assert any(problem.startswith(f"GATEWAY_{name}") for problem in problems), problems


def test_values_that_cannot_run_together_are_refused() -> None:
    assert _problems({"GATEWAY_ENV": "production", "GATEWAY_DEV_IDENTITY": "staff"}) == [
        "GATEWAY_DEV_IDENTITY is for development only; unset it."
    ]
    problems = _problems({"GATEWAY_WORKERS": "4"})  # the default database is a SQLite file
    assert problems[0].startswith("GATEWAY_WORKERS must be 1 with SQLite")
    # Rate limits counted in each process's memory would let four times as much through.
    on_postgresql = {"GATEWAY_DATABASE_URL": "postgresql://db/gw", "GATEWAY_WORKERS": "4"}
    assert _problems(on_postgresql)[0].startswith(
        "GATEWAY_WORKERS above 1 needs GATEWAY_REDIS_URL while rate limits are on"
    )
    assert Settings.from_env({**on_postgresql, "GATEWAY_REDIS_URL": "redis://r:6379/0"})
    no_limits = {"GATEWAY_RATE_LIMIT_PER_IP": "0", "GATEWAY_RATE_LIMIT_PER_IDENTITY": "0"}
    assert Settings.from_env({**on_postgresql, **no_limits}).workers == 4
    assert _problems({"GATEWAY_DATABASE_URL": "mysql://db/gateway"})[0].startswith(
        "GATEWAY_DATABASE_URL must be a URL, postgresql://"
    )
    assert _problems({"GATEWAY_METRICS_LISTEN": "9464"})[0].startswith(
        "GATEWAY_METRICS_LISTEN must be HOST:PORT"
    )
    assert _problems({"GATEWAY_JWT_ROLE_VALUES": "boss=admin"})[0].startswith(
        "GATEWAY_JWT_ROLE_VALUES must be role=name pairs"
    )


def test_settings_made_in_code_are_held_to_the_same_rules() -> None:
    with pytest.raises(ConfigurationError, match="GATEWAY_DOCUMENTS must be any or registered"):
        Settings(documents_mode="sometimes").check()  # type: ignore[arg-type]


def test_secrets_come_from_the_files_their_FILE_variables_name(tmp_path: Path) -> None:
    secret = tmp_path / "jwt-secret"
    secret.write_text(SECRET + "\n")
    url = tmp_path / "database-url"
    url.write_text("postgresql://gateway:hunter2@db.internal/gateway")
    settings = Settings.from_env(
        {"GATEWAY_JWT_SECRET_FILE": str(secret), "GATEWAY_DATABASE_URL_FILE": str(url)}
    )
    assert settings.jwt_secret == SECRET  # the file's final newline is not part of it
    assert settings.database_url == "postgresql://gateway:hunter2@db.internal/gateway"
    assert _problems({"GATEWAY_JWT_SECRET_FILE": str(secret), "GATEWAY_JWT_SECRET": SECRET}) == [
        "GATEWAY_JWT_SECRET and GATEWAY_JWT_SECRET_FILE are both set; set only one of them."
    ]
    missing = tmp_path / "nowhere"
    assert _problems({"GATEWAY_TV_PLATFORM_API_KEY_FILE": str(missing)}) == [
        f"GATEWAY_TV_PLATFORM_API_KEY_FILE names a file that cannot be read "
        f"({missing}: No such file or directory)."
    ]


def _gateway(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `gateway` command as a shell runs it, with only `env` beyond PATH and HOME."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "OTEL_"))}
    return subprocess.run(
        [str(Path(sys.executable).parent / "gateway"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_wrong_port_ends_the_command_with_a_message_not_a_traceback() -> None:
    finished = _gateway(["serve"], {"GATEWAY_PORT": "abc"})
    assert finished.returncode == 2
    assert "Traceback" not in finished.stderr
    assert finished.stderr.splitlines() == [
        "gateway: the configuration is not valid:",
        "  GATEWAY_PORT must be a port number (1-65535); got 'abc'.",
    ]


def test_gateway_config_prints_the_effective_configuration_with_secrets_masked(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "jwt-secret"
    secret.write_text(SECRET)
    finished = _gateway(
        ["config"],
        {
            "GATEWAY_JWT_SECRET_FILE": str(secret),
            "GATEWAY_DATABASE_URL": "postgresql://gateway:hunter2@db.internal/gateway",
            "GATEWAY_REDIS_URL": "redis://:redispass@cache.internal:6379/0",
            "GATEWAY_TV_PLATFORM_API_KEY": "tv-platform-key-123456",
            "GATEWAY_MAX_PAGE_SIZE": "50",
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer collector-token",
        },
    )
    assert finished.returncode == 0, finished.stderr
    lines = {line.split("=", 1)[0].strip(): line for line in finished.stdout.splitlines()}
    for leaked in (SECRET, "hunter2", "redispass", "tv-platform-key-123456", "collector-token"):
        assert leaked not in finished.stdout
    assert "postgresql://gateway:***@db.internal/gateway" in lines["GATEWAY_DATABASE_URL"]
    assert "redis://:***@cache.internal:6379/0" in lines["GATEWAY_REDIS_URL"]
    assert (
        "********" in lines["GATEWAY_JWT_SECRET"]
        and f"# file {secret}" in lines["GATEWAY_JWT_SECRET"]
    )
    assert (
        "= 50" in lines["GATEWAY_MAX_PAGE_SIZE"]
        and "# environment" in lines["GATEWAY_MAX_PAGE_SIZE"]
    )
    assert "= 8000" in lines["GATEWAY_PORT"] and "# default" in lines["GATEWAY_PORT"]
    assert "# tracing: off (OTEL_* variables)" in finished.stdout
