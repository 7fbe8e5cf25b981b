"""RADIUS dynamic authorization (RFC 5176): the port that asks a NAS to end a session, and its
client on pyrad (the attribute dictionary ships beside this module).

A Disconnect-Request goes to the NAS's dynamic-authorization port over UDP, carrying the
session's identification (User-Name, Acct-Session-Id, NAS-IP-Address, Framed-IP-Address,
Calling-Station-Id) and signed with the NAS's shared secret. The NAS answers Disconnect-ACK
(the session ended), Disconnect-NAK (it refused, with an Error-Cause), or nothing (timeout after
the retries). Each is a typed outcome, never an exception.
"""

from __future__ import annotations

import asyncio
import enum
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

DICTIONARY_PATH = Path(__file__).with_name("radius.dictionary")
# RFC 5176 §3.5's Error-Cause values a NAK may carry.
ERROR_CAUSES = {
    201: "Residual-Session-Context-Removed",
    202: "Invalid-EAP-Packet",
    401: "Unsupported-Attribute",
    402: "Missing-Attribute",
    403: "NAS-Identification-Mismatch",
    404: "Invalid-Request",
    405: "Unsupported-Service",
    406: "Unsupported-Extension",
    407: "Invalid-Attribute-Value",
    501: "Administratively-Prohibited",
    502: "Request-Not-Routable",
    503: "Session-Context-Not-Found",
    504: "Session-Context-Not-Removable",
    505: "Other-Proxy-Processing-Error",
    506: "Resources-Unavailable",
    507: "Request-Initiated",
}


@functools.cache
def dictionary() -> Dictionary:
    return Dictionary(str(DICTIONARY_PATH))


class DisconnectOutcome(enum.Enum):
    ACKNOWLEDGED = "ACKNOWLEDGED"  # Disconnect-ACK: the NAS ended the session
    REFUSED = "REFUSED"  # Disconnect-NAK
    TIMED_OUT = "TIMED_OUT"  # no valid answer after every retry


@dataclass(frozen=True)
class SessionIdentity:
    """What identifies a session to its NAS (RFC 5176 §3)."""

    user_name: str
    acct_session_id: str
    nas_ip_address: str
    framed_ip_address: str | None = None
    calling_station_id: str | None = None


@dataclass(frozen=True)
class NasEndpoint:
    host: str
    port: int
    secret: str


@dataclass(frozen=True)
class DisconnectResult:
    outcome: DisconnectOutcome
    error_cause: int | None = None  # the NAK's Error-Cause (RFC 5176 §3.5), when it gave one
    error_cause_name: str | None = None
    attempts: int = 1


class DynamicAuthorization(Protocol):
    """Asks a NAS to end a session."""

    async def disconnect(
        self, endpoint: NasEndpoint, session: SessionIdentity
    ) -> DisconnectResult: ...


class PyradDynamicAuthorization:
    """The port's client: pyrad's RADIUS client, run off the event loop (it blocks on its
    socket), `retries` sends of `timeout` seconds each."""

    def __init__(self, *, timeout: float = 2.0, retries: int = 3) -> None:
        self.timeout = timeout
        self.retries = retries

    async def disconnect(self, endpoint: NasEndpoint, session: SessionIdentity) -> DisconnectResult:
        return await asyncio.to_thread(self._disconnect, endpoint, session)

    def _disconnect(self, endpoint: NasEndpoint, session: SessionIdentity) -> DisconnectResult:
        client = Client(
            server=endpoint.host,
            coaport=endpoint.port,
            secret=endpoint.secret.encode(),
            dict=dictionary(),
            retries=self.retries,
            timeout=self.timeout,
        )
        request = client.CreateCoAPacket(code=packet.DisconnectRequest)
        request["User-Name"] = session.user_name
        request["Acct-Session-Id"] = session.acct_session_id
        request["NAS-IP-Address"] = session.nas_ip_address
        if session.framed_ip_address:
            request["Framed-IP-Address"] = session.framed_ip_address
        if session.calling_station_id:
            request["Calling-Station-Id"] = session.calling_station_id
        try:
            reply = client.SendPacket(request)
        except Timeout:
            return DisconnectResult(DisconnectOutcome.TIMED_OUT, attempts=self.retries)
        finally:
            client._CloseSocket()  # pyrad keeps the socket open for reuse; ours is one request
        if reply.code == packet.DisconnectACK:
            return DisconnectResult(DisconnectOutcome.ACKNOWLEDGED)
        causes = reply.get("Error-Cause") or [None]
        number = causes[0]
        return DisconnectResult(
            DisconnectOutcome.REFUSED,
            error_cause=number,
            error_cause_name=ERROR_CAUSES.get(number) if number is not None else None,
        )
