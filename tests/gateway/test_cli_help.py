"""Every option of the `gateway` command says what it does, and what it is when not given."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from gateway.cli import _all_parsers as _parsers
from gateway.cli import build_parser


def _options() -> Iterator[tuple[str, argparse.Action]]:
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            yield path, action


def test_every_option_has_a_help_text() -> None:
    missing = [
        f"{path} {'/'.join(a.option_strings) or a.dest}" for path, a in _options() if not a.help
    ]
    assert missing == []


def test_every_default_is_shown() -> None:
    hidden = []
    for path, parser in _parsers(build_parser()):
        text = parser.format_help()
        for action in parser._actions:
            if action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
                continue
            if f"default: {action.default}" not in text:
                hidden.append(f"{path} {action.option_strings[0]}")
    assert hidden == []


def test_the_walk_sees_every_command() -> None:
    paths = {path for path, _ in _parsers(build_parser())}
    assert {"gateway serve", "gateway seed", "gateway simulate registry"} <= paths


def test_dev_help_prints_only_its_usage() -> None:
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(["bash", str(root / "dev"), "help"], capture_output=True, text=True)
    assert run.returncode == 0
    lines = run.stdout.splitlines()
    assert lines[0].startswith("The project's front door")
    assert all(line.startswith("  ./dev ") for line in lines[1:]), lines
    assert {"serve", "test", "gateway"} <= {line.split()[1] for line in lines[1:]}


def test_gateway_simulate_registry_serves_the_registry() -> None:
    with socket.socket() as probe:  # a port the system says is free now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = Path(sys.executable).parent / "gateway"
    server = subprocess.Popen(
        [str(cli), "simulate", "registry", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answer = None
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/domains/registro.br", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["available"] is False
    finally:
        server.terminate()
        server.wait(timeout=10)
