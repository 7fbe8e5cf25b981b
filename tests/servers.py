"""Throwaway PostgreSQL clusters and Redis servers that a test may stop, restart or hang.

The shared servers on 5432 and 6379 belong to every test run on the machine: a test that
needs an outage makes its own, on a free loopback port, in a temporary folder it removes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def wait_for_port(
    port: int, host: str = "127.0.0.1", seconds: float = 30.0, process: Any = None
) -> None:
    """Until something listens on host:port; RuntimeError past `seconds`, or at once when
    the `process` meant to listen has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process for {host}:{port} exited ({process.returncode})")
        with contextlib.suppress(OSError), socket.create_connection((host, port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}")


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own (initdb, trust on loopback) on a free port."""

    def __init__(self, folder: Path, bin_dir: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.bin = bin_dir
        self.port = free_port()
        # initdb and postgres refuse to run as root: they run as the `postgres` user then.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as, *command], check=check, capture_output=True, text=True, timeout=120
        )

    def init(self) -> None:
        if self._as:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            # fsync off: a crash of the server process (not of the machine) loses nothing.
            "-c fsync=off -c full_page_writes=off "
            "-c max_connections=100 -c shared_buffers=32MB"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        wait_for_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A running cluster of its own, removed after the block; skips the test without binaries."""
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    with tempfile.TemporaryDirectory(prefix="gw-pg-") as folder:
        cluster = ThrowawayPostgres(Path(folder), bin_dir)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster._run(
                str(bin_dir / "pg_ctl"),
                "-D",
                str(cluster.data),
                "-m",
                "immediate",
                "stop",
                check=False,
            )


class ThrowawayRedis:
    """A redis-server of the test's own on a free port, which the test may hang (SIGSTOP):
    on loopback, or on the addresses in `listen` (the scale test's hosts reach it there)."""

    def __init__(self, folder: Path, listen: Sequence[str] = ("127.0.0.1",)) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                *listen,
                # No password: served to the test's own addresses only.
                "--protected-mode",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, process=self.process)

    @property
    def url(self) -> str:
        return self.url_at("127.0.0.1")

    def url_at(self, host: str) -> str:
        return f"redis://{host}:{self.port}/0"

    def hang(self) -> None:
        """The process stops answering; the kernel still accepts its connections."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.resume()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with tempfile.TemporaryDirectory(prefix="gw-redis-") as folder:
        server = ThrowawayRedis(Path(folder))
        try:
            yield server
        finally:
            server.close()


@contextlib.contextmanager
def serving_app(app: Any) -> Iterator[int]:
    """Serves an ASGI app with uvicorn on a port the kernel picks (port 0), in a thread of its
    own, lifespan included; yields the port."""
    import threading

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=20)
