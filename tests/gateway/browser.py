"""Headless Chromium (Debian's `chromium` package) driven over the Chrome DevTools Protocol.

The protocol travels on a pipe (`--remote-debugging-pipe`: Chromium reads commands on fd 3 and
writes answers on fd 4, each a JSON message ending in NUL), so no port and no WebSocket
client are needed. Every host but 127.0.0.1 is unreachable: names resolve to nothing and any
other address goes through a proxy on a loopback port nothing listens on.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CANDIDATES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    """The Chromium binary, or None when this machine has none."""
    explicit = os.environ.get("GATEWAY_TEST_CHROMIUM")
    if explicit:
        return explicit
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class Browser:
    """One Chromium process and one page in it."""

    def __init__(self, process: subprocess.Popen[bytes], commands: int, answers: int) -> None:
        self.process = process
        self._commands = commands
        self._answers = answers
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Runs one command (on the page once attached) and returns its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self.events.append(answer)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Polls until the expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"still falsy after {timeout} s: {expression}")
            time.sleep(0.1)

    def click(self, selector: str) -> None:
        """A real mouse click (pressed, released) in the middle of the element."""
        box = self.wait_for(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; const r = e.getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._answers], [], [], left)
            if ready:
                chunk = os.read(self._answers, 1 << 16)
                if not chunk:
                    raise RuntimeError(f"Chromium exited ({self.process.poll()})")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))


@contextmanager
def chromium(binary: str) -> Iterator[Browser]:
    """Starts headless Chromium with one blank page attached; every host but 127.0.0.1 is out
    of reach."""
    # Chromium's helper processes may still write to the profile as the browser ends: the
    # whole process group is ended first, and a file written late does not fail the test.
    profiles = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
    with socket_held_closed() as dead_proxy, profiles as profile:
        to_chromium, commands = os.pipe()
        answers, from_chromium = os.pipe()

        def as_fds_3_and_4() -> None:
            os.setsid()  # a process group of its own, helpers included, to end them all
            os.dup2(to_chromium, 3)
            os.dup2(from_chromium, 4)

        process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--window-size=1400,1000",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--proxy-server=http://127.0.0.1:{dead_proxy}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # The child only duplicates two fds before exec; Python's own fds are not inherited
            # (PEP 446), the two dup2 made are.
            preexec_fn=as_fds_3_and_4,
            close_fds=False,
        )
        os.close(to_chromium)
        os.close(from_chromium)
        browser = Browser(process, commands, answers)
        try:
            page = next(
                target
                for target in browser.send("Target.getTargets")["targetInfos"]
                if target["type"] == "page"
            )
            browser.session = browser.send(
                "Target.attachToTarget", targetId=page["targetId"], flatten=True
            )["sessionId"]
            yield browser
        finally:
            _end_group(process)
            os.close(commands)
            os.close(answers)


@contextmanager
def socket_held_closed() -> Iterator[int]:
    """A loopback port bound but not listening: a connection to it is refused at once."""
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    try:
        yield int(holder.getsockname()[1])
    finally:
        holder.close()


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to Chromium's process group, then SIGKILL to what is left after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)  # is any process of the group left?
        except ProcessLookupError:
            break
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
