"""The process model (ADR 0171): `gateway serve --workers N`, a graceful SIGTERM, and metrics
that add up across the workers (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.databases import backend
from tests.gateway.helpers import bearer
from tests.gateway.serving import gateway_serve

QUERY = orjson.dumps({"query": "query Banks { banks { code } }"})
# Several workers need PostgreSQL: one SQLite file serves one process.
CLEAN_EXIT = (0, -15)
WORKERS = "2" if backend() == "postgresql" else "1"


def _stalled_request(url: str) -> socket.socket:
    """A POST /graphql whose headers and half its body are sent; the rest is up to the test."""
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=30)
    headers = "".join(f"{name}: {value}\r\n" for name, value in bearer().items())
    connection.sendall(
        (
            "POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(QUERY)}\r\n{headers}\r\n"
        ).encode()
        + QUERY[:10]
    )
    return connection


def _answer(connection: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def test_sigterm_lets_the_request_in_flight_finish_then_stops(
    database_url: str, tmp_path: Path
) -> None:
    with gateway_serve(database_url, tmp_path, "--workers", WORKERS) as served:
        in_flight = _stalled_request(served.url)
        time.sleep(0.3)  # the worker has the request's headers
        started = time.monotonic()
        served.process.send_signal(15)
        time.sleep(1.0)
        assert served.process.poll() is None, "it must wait for the request in flight"
        in_flight.sendall(QUERY[10:])
        answer = _answer(in_flight)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        assert b'"banks"' in answer
        # uvicorn ends by its signal once done, as systemd expects of a clean stop.
        assert served.process.wait(timeout=20) in CLEAN_EXIT
        assert time.monotonic() - started < 15
        if WORKERS == "1":
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", int(served.url.rsplit(":", 1)[1])), 2)
        assert "Traceback" not in served.logs()


def test_a_request_still_unfinished_at_the_shutdown_timeout_is_closed(
    database_url: str, tmp_path: Path
) -> None:
    with gateway_serve(database_url, tmp_path, GATEWAY_SHUTDOWN_TIMEOUT="1") as served:
        in_flight = _stalled_request(served.url)
        time.sleep(0.3)
        served.process.send_signal(15)
        assert served.process.wait(timeout=15) in CLEAN_EXIT
        in_flight.settimeout(5)
        try:
            assert not in_flight.recv(1024).startswith(b"HTTP/1.1 200")
        except OSError:
            pass  # closed: what the timeout means


def _sample(families: dict, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for sample in families[name].samples
        if sample.name == f"{name}_total"
        and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_add_up_across_the_workers(database_url: str, tmp_path: Path) -> None:
    with gateway_serve(database_url, tmp_path, "--workers", WORKERS) as served:
        for _ in range(12):
            # A new connection each time, so that every worker gets some.
            response = httpx.post(
                f"{served.url}/graphql",
                content=QUERY,
                headers={"content-type": "application/json", **bearer()},
            )
            assert response.status_code == 200
        scraped = httpx.get(f"{served.url}/metrics")
        assert scraped.status_code == 200
        families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
        assert (
            _sample(
                families,
                "gateway_graphql_requests",
                operation="Banks",
                type="query",
                outcome="ok",
            )
            == 12
        )
        assert "gateway_db_pool_connections_in_use" in families
        assert "gateway_outbox_backlog_messages" in families


def test_metrics_on_an_address_of_their_own(database_url: str, tmp_path: Path) -> None:
    from tests.simulators import free_port

    port = free_port()
    with gateway_serve(
        database_url,
        tmp_path,
        "--workers",
        WORKERS,
        GATEWAY_METRICS_LISTEN=f"127.0.0.1:{port}",
        GATEWAY_METRICS_PATH="",
    ) as served:
        response = httpx.post(
            f"{served.url}/graphql",
            content=QUERY,
            headers={"content-type": "application/json", **bearer()},
        )
        assert response.status_code == 200
        assert httpx.get(f"{served.url}/metrics").status_code == 404  # not on the public port
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200
        families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
        assert _sample(families, "gateway_graphql_requests", operation="Banks") == 1
