"""A NAS's RFC 5176 dynamic-authorization server, for tests and the demo: it answers
Disconnect-Requests over UDP, parsed and signed with pyrad like a real NAS's.

It holds the sessions it has online (`online`: Acct-Session-Id -> User-Name) and journals every
request it received (`received`). What it answers:
- a request whose authenticator does not match the shared secret: nothing (RFC 5176 §3.3 says
  discard it), counted in `discarded`;
- `mode = "drop"`: nothing (the gateway times out);
- `mode = "nak"`: Disconnect-NAK with `nak_cause` (default 504, Session-Context-Not-Removable);
- a session it does not have online, when `known_only`: Disconnect-NAK 503
  (Session-Context-Not-Found);
- otherwise: the session goes offline and it answers Disconnect-ACK.

`gateway simulate nas` serves it on 127.0.0.1:3799 for the demo (acknowledging any session);
tests start it on a free loopback port with `NasSimulator.start()`.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from pyrad import packet

from domain.ports.radius import dictionary

LOG = logging.getLogger(__name__)
SESSION_CONTEXT_NOT_FOUND = 503
SESSION_CONTEXT_NOT_REMOVABLE = 504


@dataclass
class NasSimulator:
    secret: str
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, chosen when started
    mode: str = "ack"  # "ack", "nak" or "drop"
    nak_cause: int = SESSION_CONTEXT_NOT_REMOVABLE
    known_only: bool = True
    online: dict[str, str] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    discarded: int = 0
    _socket: socket.socket | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> NasSimulator:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()

    def serve_forever(self) -> None:
        """Serves in the calling thread until interrupted (the CLI)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, self.port))
        self._socket = sock
        self._serve()

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([self._socket], [], [], 0.05)
            if not ready:
                continue
            data, address = self._socket.recvfrom(4096)
            reply = self.handle(data)
            if reply is not None:
                self._socket.sendto(reply, address)

    def _discard(self, why: str) -> None:
        self.discarded += 1
        LOG.warning("discarded a datagram (%s); %d so far", why, self.discarded)

    def handle(self, data: bytes) -> bytes | None:
        """The answer to one datagram, or None for none."""
        try:
            request = packet.CoAPacket(packet=data, secret=self.secret.encode(), dict=dictionary())
        except packet.PacketError:
            with self._lock:
                self._discard("not a RADIUS packet")
            return None
        with self._lock:
            if request.code != packet.DisconnectRequest or not request.VerifyCoARequest():
                self._discard("not a Disconnect-Request signed with our secret")
                return None
            attributes = {key: request[key][0] for key in request.keys() if isinstance(key, str)}
            self.received.append(attributes)
            if self.mode == "drop":
                return None
            session_id = attributes.get("Acct-Session-Id")
            reply = request.CreateReply()
            if self.mode == "nak":
                reply.code = packet.DisconnectNAK
                reply["Error-Cause"] = self.nak_cause
            elif self.known_only and session_id not in self.online:
                reply.code = packet.DisconnectNAK
                reply["Error-Cause"] = SESSION_CONTEXT_NOT_FOUND
            else:
                self.online.pop(str(session_id), None)
            return bytes(reply.ReplyPacket())
