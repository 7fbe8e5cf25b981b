"""A small production topology on one machine, for the scale test and the scale benchmark.

A PostgreSQL primary and a real streaming replica (initdb + pg_basebackup into temporary
folders, each on a free port), a Redis of its own, hosts made of network namespaces (iproute2
`ip netns` + a veth pair each, on a /29 of 10.0.0.0/8 the topology picks unused) each running
`gateway serve --workers N`, and HAProxy (Debian's package) in front with health checks on
/readyz. Every name carries this process's id, every port is a free one, and everything made
is undone when the block ends, however it ends: processes killed by process group, namespaces
and links deleted, folders removed. A namespace left by a run that was killed outright (its
pid gone) is deleted by the next run.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.gateway.helpers import JWT_SECRET
from tests.servers import ThrowawayRedis, _postgres_bin, free_port, wait_for_port

GATEWAY = str(Path(sys.executable).parent / "gateway")
PREFIX = "gwscale"  # namespaces: gwscale-<pid>-<host>; veths: gws<pid><host>, gwp<pid><host>


class Impossible(Exception):
    """This machine cannot build the topology (not root, no haproxy, no namespaces)."""


def _run(*command: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {(done.stderr or done.stdout)[-2000:]}")
    return done


def impossible_reason() -> str | None:
    """Why this machine cannot run the topology, or None."""
    if os.geteuid() != 0:
        return "network namespaces (ip netns) need root"
    if shutil.which("haproxy") is None:
        return "haproxy is not installed (apt-get install haproxy; .ci/run does)"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if _postgres_bin() is None or not (_postgres_bin() / "pg_basebackup").exists():  # type: ignore[operator]
        return "PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    made = _run("ip", "netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"network namespaces cannot be made here: {made.stderr.strip()}"
    _run("ip", "netns", "del", probe, check=False)
    return None


def sweep_abandoned() -> None:
    """Deletes namespaces and links of earlier runs whose process is gone (killed outright)."""
    listed = _run("ip", "netns", "list", check=False).stdout.split()
    for name in listed:
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == PREFIX and parts[1].isdigit():
            if not Path(f"/proc/{parts[1]}").exists():
                _run("ip", "netns", "del", name, check=False)
    links = _run("ip", "-o", "link", "show", check=False).stdout.splitlines()
    for line in links:
        name = line.split(":")[1].strip().split("@")[0] if ":" in line else ""
        if (
            name.startswith("gws")
            and name[3:-1].isdigit()
            and not Path(f"/proc/{name[3:-1]}").exists()
        ):
            _run("ip", "link", "del", name, check=False)


def _free_block() -> ipaddress.IPv4Network:
    """A /29 of 10.0.0.0/8 that no address or route of this machine touches."""
    taken = []
    for line in _run("ip", "-o", "-4", "addr", "show").stdout.splitlines():
        for word in line.split():
            if "/" in word and word[0].isdigit():
                taken.append(ipaddress.ip_network(word, strict=False))
    for line in _run("ip", "-4", "route", "show").stdout.splitlines():
        first = line.split()[0] if line.split() else ""
        if first and first[0].isdigit():
            taken.append(
                ipaddress.ip_network(first if "/" in first else f"{first}/32", strict=False)
            )
    for _ in range(200):
        base = f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.{8 * random.randint(0, 31)}"
        block = ipaddress.ip_network(f"{base}/29")
        if not any(block.overlaps(other) for other in taken if other.prefixlen > 0):
            return block
    raise Impossible("no free /29 in 10.0.0.0/8")


class Cluster:
    """A PostgreSQL cluster of the topology's own, listening on loopback and the hosts' links."""

    def __init__(self, folder: Path, listen: list[str], network: str) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.bin = _postgres_bin()
        assert self.bin is not None
        self.port = free_port()
        self.listen = listen
        self.network = network
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(folder, "postgres")

    def url(self, host: str = "127.0.0.1") -> str:
        return f"postgresql://postgres@{host}:{self.port}/postgres"

    def _pg(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run(*self.as_postgres, *command, check=check)

    def init(self) -> None:
        self._pg(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.network} trust\n")
            hba.write(f"host replication all {self.network} trust\n")

    def base_backup(self, primary: Cluster) -> None:
        """This cluster as a streaming replica of `primary` (standby.signal, primary_conninfo)."""
        self._pg(
            str(self.bin / "pg_basebackup"), "-D", str(self.data), "-h", "127.0.0.1",
            "-p", str(primary.port), "-U", "postgres", "-R", "-X", "stream", "--no-sync",
            "--checkpoint=fast",
        )  # fmt: skip

    def start(self, *settings: str) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                f"-c listen_addresses={','.join(self.listen)}",
                f"-k {self.folder}",
                "-c fsync=off -c full_page_writes=off -c max_connections=200",
                "-c shared_buffers=32MB",
                *(f"-c {setting}" for setting in settings),
            ]
        )
        self._pg(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "log"), "-w", "-t", "60", "start",
        )  # fmt: skip
        wait_for_port(self.port, seconds=60)

    def kill(self) -> None:
        """Stops it the way a crash would (immediate: no checkpoint, clients cut off)."""
        self._pg(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False
        )

    def sql(self, statement: str) -> str:
        found = self._pg(
            "psql",
            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-At", "-c", statement,
        )  # fmt: skip
        return found.stdout.strip()


@dataclass
class Host:
    """A network namespace joined to the machine by a veth pair: one gateway host."""

    name: str  # "a", "b", ...
    root_ip: str  # the machine's end of the link (where the host reaches PostgreSQL, Redis)
    ip: str  # the host's own address (where HAProxy reaches it)
    port: int = 0
    namespace: str = ""
    link: str = ""
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None

    def create(self) -> None:
        pid = os.getpid()
        self.namespace = f"{PREFIX}-{pid}-{self.name}"
        self.link = f"gws{pid}{self.name}"
        peer = f"gwp{pid}{self.name}"
        _run("ip", "netns", "add", self.namespace)
        _run("ip", "link", "add", self.link, "type", "veth", "peer", "name", peer)
        _run("ip", "link", "set", peer, "netns", self.namespace)
        _run("ip", "addr", "add", f"{self.root_ip}/30", "dev", self.link)
        _run("ip", "link", "set", self.link, "up")
        inside = ("ip", "netns", "exec", self.namespace)
        _run(*inside, "ip", "addr", "add", f"{self.ip}/30", "dev", peer)
        _run(*inside, "ip", "link", "set", peer, "up")
        _run(*inside, "ip", "link", "set", "lo", "up")

    def serve(self, workers: int, environment: dict[str, str], log_file: Path) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "OTEL_"))}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        metrics = log_file.parent / f"metrics-{self.name}"
        metrics.mkdir(exist_ok=True)
        env.update(
            {
                "GATEWAY_HOST": self.ip,
                "GATEWAY_PORT": str(self.port),
                "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                **environment,
            }
        )
        self.log_file = log_file
        with log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "ip",
                    "netns",
                    "exec",
                    self.namespace,
                    GATEWAY,
                    "serve",
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"host {self.name}'s gateway exited:\n{self.logs()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{self.ip}:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"host {self.name}'s gateway is not ready:\n{self.logs()[-3000:]}")

    def pids(self) -> list[int]:
        """The gateway's processes on this host: the supervisor and its workers."""
        if self.process is None:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    fields = stat[stat.rindex(")") + 2 :].split()
                    if int(fields[3]) == self.process.pid:  # its process group
                        found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """Every process of this host's gateway, at once, without a chance to finish."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        # Workers orphaned by the kill are in the same group still.
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def logs(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file else ""

    def delete(self) -> None:
        if self.namespace:
            _run("ip", "netns", "del", self.namespace, check=False)
        if self.link:
            _run("ip", "link", "del", self.link, check=False)


HAPROXY_CONFIG = """global
    maxconn 2000
    stats socket {socket} mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A check's whole answer may take this long: a busy worker answers /readyz late, which is
    # not a reason to take it out (without it, HAProxy would wait no longer than `inter`).
    timeout check 3s
    # A connection refused (a host down, not yet marked so) is tried on another server;
    # nothing already sent is ever sent again (a mutation could run twice).
    retries 3
    option redispatch 1
frontend gateway
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 300ms fastinter 200ms downinter 500ms fall 2 rise 2
    # Which host answered, and a way to send a request to one host (the test's only).
    http-response set-header X-Scale-Host %s
{pins}
{servers}
"""


class HAProxy:
    def __init__(self, folder: Path, hosts: list[Host]) -> None:
        self.port = free_port()
        self.socket = folder / "haproxy.sock"
        pins = "\n".join(
            f"    use-server {h.name} if {{ req.hdr(x-scale-pin) -m str {h.name} }}" for h in hosts
        )
        servers = "\n".join(f"    server {h.name} {h.ip}:{h.port} check" for h in hosts)
        config = folder / "haproxy.cfg"
        config.write_text(
            HAPROXY_CONFIG.format(socket=self.socket, port=self.port, pins=pins, servers=servers)
        )
        _run("haproxy", "-c", "-f", str(config))
        self.log = folder / "haproxy.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["haproxy", "-db", "-f", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port(self.port, seconds=60, process=self.process)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def states(self) -> dict[str, str]:
        """Each server's state as HAProxy's health checks see it: UP, DOWN, ..."""
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(self.socket))
            connection.sendall(b"show stat\n")
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
        lines = received.decode().splitlines()
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "gateways" and row.get("svname") not in ("BACKEND", None):
                states[row["svname"]] = row["status"]
        return states

    def wait_until(self, wanted: dict[str, str], seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = self.states()
            if all(states.get(name, "").startswith(state) for name, state in wanted.items()):
                return
            time.sleep(0.1)
        raise AssertionError(f"HAProxy's servers are {self.states()}, not {wanted}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@dataclass
class Topology:
    folder: Path
    primary: Cluster
    replica: Cluster
    redis: ThrowawayRedis
    hosts: list[Host]
    haproxy: HAProxy
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.haproxy.url

    def gateway_pids(self) -> list[int]:
        return [pid for host in self.hosts for pid in host.pids()]


@contextlib.contextmanager
def topology(
    *,
    hosts: int = 2,
    workers: int = 2,
    customers: int = 12,
    replica_settings: tuple[str, ...] = (),
    environment: dict[str, str] | None = None,
    replicas: bool = True,
) -> Iterator[Topology]:
    """Builds the topology (raising Impossible when this machine cannot), yields it, and
    undoes every part of it afterwards, whatever happened."""
    started = time.monotonic()
    timings: list[str] = []

    def stage(name: str) -> None:
        timings.append(f"{name} {time.monotonic() - started:.1f}s")

    reason = impossible_reason()
    if reason is not None:
        raise Impossible(reason)
    sweep_abandoned()
    stage("checked")
    with contextlib.ExitStack() as undo:
        folder = Path(tempfile.mkdtemp(prefix="gw-scale-"))
        undo.callback(shutil.rmtree, folder, ignore_errors=True)
        folder.chmod(0o755)  # PostgreSQL runs as its own user, below it
        block = _free_block()
        addresses = [str(address) for address in block]  # .0 .. .7
        made = [
            Host(
                name=chr(ord("a") + index),
                root_ip=addresses[4 * index + 1],
                ip=addresses[4 * index + 2],
            )
            for index in range(hosts)
        ]
        for host in made:
            undo.callback(host.delete)
            host.create()
        listen = ["127.0.0.1", *(host.root_ip for host in made)]
        stage("namespaces")

        primary = Cluster(folder / "primary", listen, str(block))
        undo.callback(primary.kill)
        primary.init()
        primary.start()
        stage("primary")
        _run(GATEWAY, "migrate", "--database-url", primary.url())
        _run(
            GATEWAY, "seed", "--database-url", primary.url(), "--customers", str(customers),
            "--seed", "42", "--today", "2026-01-01",
        )  # fmt: skip
        # Statistics now, so that autovacuum has nothing left to do while the test (or the
        # benchmark) runs.
        primary.sql("VACUUM ANALYZE")
        stage("migrated and seeded")
        replica = Cluster(folder / "replica", listen, str(block))
        undo.callback(replica.kill)
        replica.base_backup(primary)
        replica.start("hot_standby=on", *replica_settings)
        stage("replica")

        redis = ThrowawayRedis(folder / "redis", listen)
        undo.callback(_stop_process, redis.process)

        for host in made:
            env = {
                "GATEWAY_ENV": "production",
                "GATEWAY_DATABASE_URL": primary.url(host.root_ip),
                "GATEWAY_REDIS_URL": redis.url_at(host.root_ip),
                "GATEWAY_JWT_SECRET": JWT_SECRET,
                "GATEWAY_FORWARDED_ALLOW_IPS": host.root_ip,
                "GATEWAY_OUTBOX_WORKER": "off",
                "GATEWAY_DB_POOL_SIZE": "4",
                "GATEWAY_LOG_LEVEL": "info",
                **(environment or {}),
            }
            if replicas:
                env["GATEWAY_DATABASE_REPLICA_URL"] = replica.url(host.root_ip)
            undo.callback(host.kill)
            host.serve(workers, env, folder / f"gateway-{host.name}.log")
        for host in made:
            host.ready()
        stage("gateways")
        haproxy = HAProxy(folder, made)
        undo.callback(haproxy.stop)
        haproxy.wait_until({host.name: "UP" for host in made})
        stage("haproxy")
        yield Topology(folder, primary, replica, redis, made, haproxy, timings)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
