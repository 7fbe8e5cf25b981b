"""Operating the gateway: structured logs, Prometheus metrics, OpenTelemetry traces and the
request edge that ties them to each request (docs/operations.md)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from gateway.settings import Settings, listen_address

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_processes(settings: Settings) -> None:
    """Before `gateway serve` starts uvicorn: with several workers, the metrics' shared
    folder (prometheus-client's multiprocess mode; emptied, as a fresh start needs); with
    GATEWAY_METRICS_LISTEN, the metrics server on its own address, in this process (the one
    that supervises the workers, or the only one)."""
    folder = os.environ.get(MULTIPROCESS_VARIABLE)
    if settings.workers > 1 and not folder:
        folder = tempfile.mkdtemp(prefix="gateway-metrics-")
        os.environ[MULTIPROCESS_VARIABLE] = folder
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    elif folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
    if settings.metrics_listen:
        from prometheus_client import start_http_server

        from gateway.observability import metrics

        host, port = listen_address(settings.metrics_listen)
        start_http_server(port, addr=host, registry=metrics.registry())
