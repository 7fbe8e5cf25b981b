"""`gateway serve` as an operator runs it: a child process on a free loopback port, configured
by its environment only, its log lines kept in a file for the test to read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.gateway.helpers import JWT_SECRET
from tests.simulators import free_port

GATEWAY = str(Path(sys.executable).parent / "gateway")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    log_file: Path

    def logs(self) -> str:
        return self.log_file.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit status (after at most `timeout` seconds)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@contextmanager
def gateway_serve(
    database_url: str, log_dir: Path, *args: str, **environment: str
) -> Iterator[Served]:
    """Runs `gateway serve ARGS` on `database_url` in production mode until the block ends."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "OTEL_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_ENV": "production",
            "GATEWAY_PORT": str(port),
            "GATEWAY_JWT_SECRET": JWT_SECRET,
            "GATEWAY_RATE_LIMIT_PER_IP": "0",
            "GATEWAY_RATE_LIMIT_PER_IDENTITY": "0",
            "GATEWAY_OUTBOX_WORKER": "off",
            "GATEWAY_LANGUAGE": "en",
            **environment,
        }
    )
    log_file = log_dir / f"gateway-{port}.log"
    with log_file.open("wb") as sink:
        process = subprocess.Popen(
            [GATEWAY, "serve", *args], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    served = Served(process, f"http://127.0.0.1:{port}", log_file)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gateway serve ended: {served.logs()}")
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gateway serve did not start: {served.logs()}")
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
