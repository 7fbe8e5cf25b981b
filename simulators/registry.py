"""A domain registry simulator (the API of domain/ports/registry.py), kept in memory.

Tests start it with `running_registry()` on a free loopback port; a demo runs it with
`gateway simulate registry` (port 8091).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Names that are always someone else's, like the big portals a customer may try first.
DEFAULT_TAKEN = ("google.com.br", "uol.com.br", "example.com.br", "registro.br")
_NAME = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass
class RegistryState:
    """Who holds each name (registrant, years, expiry)."""

    holders: dict[str, tuple[str, int, dt.date]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)


def _plus_years(day: dt.date, years: int) -> dt.date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def create_app(taken: Iterable[str] = DEFAULT_TAKEN, today: dt.date | None = None) -> Starlette:
    state = RegistryState()
    for name in taken:
        state.holders[name] = ("someone-else", 1, dt.date(2030, 1, 1))

    def bad(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def availability(request: Request) -> JSONResponse:
        name = request.path_params["name"].lower()
        state.calls.append(("availability", name))
        if not _NAME.match(name):
            return bad("not a domain name")
        return JSONResponse({"name": name, "available": name not in state.holders})

    async def register(request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return bad("the body must be JSON")
        if not isinstance(body, dict):
            return bad("the body must be a JSON object")
        name, years, registrant = body.get("name"), body.get("years"), body.get("registrant")
        if not isinstance(name, str) or not _NAME.match(name.lower()):
            return bad("not a domain name")
        if not isinstance(years, int) or not 1 <= years <= 10:
            return bad("years must be 1 to 10")
        if not isinstance(registrant, str) or not registrant:
            return bad("registrant is required")
        name = name.lower()
        state.calls.append(("register", name))
        holder = state.holders.get(name)
        if holder is not None and holder[0] != registrant:
            return bad("the name is registered to someone else", 409)
        created = holder is None
        if holder is None:
            expires = _plus_years(today or dt.date.today(), years)
            state.holders[name] = holder = (registrant, years, expires)
        answer = {
            "name": name,
            "years": holder[1],
            "registrant": holder[0],
            "expiresOn": holder[2].isoformat(),
        }
        return JSONResponse(answer, status_code=201 if created else 200)

    app = Starlette(
        routes=[
            Route("/v1/domains/{name}", availability, methods=["GET"]),
            Route("/v1/registrations", register, methods=["POST"]),
        ]
    )
    app.state.registry = state
    return app


@contextmanager
def running_registry(
    taken: Iterable[str] = DEFAULT_TAKEN, today: dt.date | None = None
) -> Iterator[tuple[str, RegistryState]]:
    """Serves a fresh simulator on 127.0.0.1 (a free port) in a thread; yields (URL, state)."""
    app = create_app(taken, today)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="registry-simulator", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("the registry simulator did not start within 5 seconds")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", app.state.registry
    finally:
        server.should_exit = True
        thread.join(timeout=5)
