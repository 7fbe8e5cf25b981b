"""The scale benchmark (issue 21): the staff page through HAProxy with 1, 2 and 4 gateway
workers, reads on the primary and on a streaming replica.

Each configuration gets the topology of the scale test (tests/scale/topology.py): a PostgreSQL
primary and its streaming replica, Redis, hosts as network namespaces each running `gateway
serve --workers N`, HAProxy in front. 1 worker: one host of 1; 2: two hosts of 1; 4: two hosts
of 2. "primary" serves without GATEWAY_DATABASE_REPLICA_URL; "replica" with it (every read of
the page goes to the replica). wrk drives HAProxy; CPU is read from /proc for the gateway
processes, the two PostgreSQL clusters and HAProxy over the requests served.

    bench/scale                     # 2 rounds of 8 s per configuration
    bench/scale --seconds 4 --rounds 1 --workers 1,2

Needs root (network namespaces), haproxy and wrk (installed when missing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.identity import Identity, Permission
from tests.gateway.helpers import bearer
from tests.scale.topology import Topology, topology

QUERY = (Path(__file__).parent / "query.graphql").read_text()
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime + stime, and the children's it has reaped (PostgreSQL's ended backends)
        total += sum(int(value) for value in stat[11:15])
    return total / TICK


def _children_of(root: int) -> list[int]:
    """`root` and every process below it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[1])
    found, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for pid, parent in parents.items():
            if parent == current and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return sorted(found)


def _postmaster(cluster) -> int:  # type: ignore[no-untyped-def]
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def _groups(topo: Topology) -> dict[str, list[int]]:
    return {
        "gateway": topo.gateway_pids(),
        "postgresql": _children_of(_postmaster(topo.primary))
        + _children_of(_postmaster(topo.replica)),
        "haproxy": [topo.haproxy.process.pid],
    }


def _wrk(topo: Topology, script: Path, headers: dict[str, str], seconds: int, connections: int):  # type: ignore[no-untyped-def]
    groups = _groups(topo)  # workers' connections to PostgreSQL are made by now
    before = {name: _cpu_seconds(pids) for name, pids in groups.items()}
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         *header_args, f"{topo.url}/graphql"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    groups = _groups(topo)
    after = {name: _cpu_seconds(pids) for name, pids in groups.items()}
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if failed:
        sample = httpx.post(f"{topo.url}/graphql", content=script.with_suffix(".json").read_bytes(),
                            headers=headers)  # fmt: skip
        logs = "\n".join(host.logs()[-3000:] for host in topo.hosts)
        raise SystemExit(
            f"{failed.group(1)} failed responses:\n{output}\none now: {sample.status_code} "
            f"{sample.text[:500]}\n{logs}"
        )
    match = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert match, output
    value, unit = float(match.group(1)), match.group(2)
    p99 = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    cpu = {name: 1000 * (after[name] - before[name]) / max(requests, 1) for name in after}
    return {"rps": requests / seconds, "p99_ms": p99, **{f"{k}_cpu_ms": v for k, v in cpu.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--reads", default="primary,replica")
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--out", default="var/bench/scale.json")
    args = parser.parse_args()

    staff = Identity.staff("bench", *Permission)
    headers = {**bearer(staff, lifetime=3600), "Content-Type": "application/json"}
    results = []
    for workers in (int(w) for w in args.workers.split(",")):
        hosts, per_host = (1, 1) if workers == 1 else (2, workers // 2)
        for reads in args.reads.split(","):
            with topology(
                hosts=hosts,
                workers=per_host,
                customers=args.customers,
                replicas=reads == "replica",
                environment={
                    "GATEWAY_RATE_LIMIT_PER_IP": "0",
                    "GATEWAY_RATE_LIMIT_PER_IDENTITY": "0",
                    "GATEWAY_LOG_LEVEL": "warning",
                    "GATEWAY_METRICS_PATH": "",
                    # No connection churn: every request in flight has a pooled connection.
                    "GATEWAY_DB_POOL_SIZE": str(max(10, args.connections)),
                },
            ) as topo:
                script = topo.folder / "bench.lua"
                body = json.dumps({"query": QUERY})
                script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n')
                script.with_suffix(".json").write_text(body)
                answer = httpx.post(f"{topo.url}/graphql", content=body, headers=headers)
                assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
                assert len(answer.json()["data"]["customers"]["edges"]) == 50
                where = answer.headers.get("x-gateway-database", "primary")
                assert where == ("replica1" if reads == "replica" else "primary"), where
                _wrk(topo, script, headers, 2, args.connections)  # warm-up
                rounds = [
                    _wrk(topo, script, headers, args.seconds, args.connections)
                    for _ in range(args.rounds)
                ]
            row = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]} | {
                "workers": workers,
                "hosts": hosts,
                "reads": reads,
            }
            results.append(row)
            print(
                f"{workers} workers ({hosts} host{'s' if hosts > 1 else ''}), reads on {reads}: "
                f"{row['rps']:.0f} req/s, p99 {row['p99_ms']:.1f} ms, CPU ms/request: gateway "
                f"{row['gateway_cpu_ms']:.2f}, PostgreSQL {row['postgresql_cpu_ms']:.2f}, "
                f"HAProxy {row['haproxy_cpu_ms']:.2f}",
                flush=True,
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"\nload average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print(
        "| workers (hosts) | reads on | req/s | p99 ms | CPU ms/req: gateway | PostgreSQL "
        "| HAProxy |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['workers']} ({row['hosts']}) | {row['reads']} | {row['rps']:.0f} | "
            f"{row['p99_ms']:.0f} | {row['gateway_cpu_ms']:.2f} | {row['postgresql_cpu_ms']:.2f} | "
            f"{row['haproxy_cpu_ms']:.2f} |"
        )


if __name__ == "__main__":
    main()
