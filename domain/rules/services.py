"""Pure rules for services on a plan: what a login, an address, a number or a serial may be,
how a RADIUS login is generated from its pattern, and which pool address comes next.

Each validator returns the canonical form of a valid value or raises ValueError saying why.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection, Mapping

from domain.i18n import _

_LOGIN = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PHONE = re.compile(r"^\+?[0-9]{10,15}$")
_SERIAL = re.compile(r"^[A-Z0-9]{8,32}$")
_SIP_USER = re.compile(r"^[a-z0-9._-]{1,64}$")
_CIRCUIT = re.compile(r"^[A-Z0-9][A-Z0-9 ._/:#-]{0,59}$")
_CASN = re.compile(r"^[A-Z0-9-]{1,32}$")


def login(raw: str) -> str:
    """A RADIUS login or mailbox name: 1-64 of a-z, 0-9, '.', '_', '-', stored lower-case.

    Lower-case because RADIUS servers and mail systems disagree on case; one spelling per
    login keeps "Joao" and "joao" from being two accounts.
    """
    value = raw.strip().lower()
    if not _LOGIN.match(value):
        raise ValueError(
            _(
                "must be 1 to 64 letters, digits, '.', '_' or '-', starting and ending with a "
                "letter or digit"
            )
        )
    if ".." in value:
        raise ValueError(_("must not contain '..'"))
    return value


def domain_name(raw: str) -> str:
    """A fully qualified domain name (at least two labels), lower-case, no trailing dot."""
    value = raw.strip().lower().rstrip(".")
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(_("must be a domain name such as example.com.br"))
    if labels[-1].isdigit():
        raise ValueError(_("must be a domain name, not an address"))
    return value


def phone_number(raw: str) -> str:
    """A phone number with country and area code, kept as '+' and digits (E.164)."""
    value = re.sub(r"[\s().-]", "", raw)
    if not _PHONE.match(value):
        raise ValueError(
            _("must be a phone number with country and area code, e.g. +5511912345678")
        )
    return value if value.startswith("+") else f"+{value}"


def sip_username(raw: str) -> str:
    """A SIP user of a voice terminal, stored lower-case like every username (ADR 0113)."""
    value = raw.strip().lower()
    if not _SIP_USER.match(value):
        raise ValueError(_("must be 1 to 64 letters, digits, '.', '_' or '-'"))
    return value


def circuit_identifier(raw: str) -> str:
    """A dedicated link's identifier (e.g. CIR-0001234), upper-case with single spaces, so
    "cir-1" and "CIR-1" name one circuit (ADR 0113)."""
    value = " ".join(raw.split()).upper()
    if not _CIRCUIT.match(value):
        raise ValueError(
            _(
                "must be 1 to 60 letters, digits, spaces or '-', '_', '.', '/', ':', '#', "
                "starting with a letter or digit"
            )
        )
    return value


def casn(raw: str) -> str:
    """A set-top box's CA serial number (CASN): upper-case, without spaces (ADR 0113)."""
    value = "".join(raw.split()).upper()
    if not _CASN.match(value):
        raise ValueError(_("must be 1 to 32 letters, digits or '-'"))
    return value


def onu_serial(raw: str) -> str:
    """An ONU serial: 8-32 letters and digits, upper-case (vendor prefix + number)."""
    value = raw.strip().upper()
    if not _SERIAL.match(value):
        raise ValueError(_("must be 8 to 32 letters and digits"))
    return value


def text(raw: str, *, max_length: int, required: bool = True) -> str | None:
    """A trimmed free-text field; None for an empty optional one."""
    value = raw.strip()
    if not value:
        if required:
            raise ValueError(_("must not be empty"))
        return None
    if len(value) > max_length:
        raise ValueError(_("must be at most {max_length} characters", max_length=max_length))
    return value


def _slug(value: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_only.lower() if ch.isalnum())


def login_pattern_values(*, customer_name: str, customer_id: int, plan_id: int) -> dict[str, str]:
    """The placeholders a `radius_login_pattern` may use."""
    words = customer_name.split()
    return {
        "first_name": _slug(words[0]) if words else "cliente",
        "last_name": _slug(words[-1]) if words else "cliente",
        "customer_id": str(customer_id),
        "plan_id": str(plan_id),
    }


def generated_login(pattern: str, values: Mapping[str, str]) -> str:
    """The login `pattern` gives for `values`; ValueError when it names an unknown placeholder
    or gives no valid login."""
    try:
        return login(pattern.format_map(dict(values)))
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            _(
                "the RADIUS login pattern {pattern!r} is not usable: {error}",
                pattern=pattern,
                error=error,
            )
        ) from None


def first_free_login(base: str, taken: Collection[str]) -> str:
    """`base`, or `base` with "-2", "-3"... appended, whichever is not taken first."""
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = login(f"{base[:60]}-{suffix}")
    return candidate


def pool_network(network: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(network, strict=False)


def next_free_address(network: str, gateway: str | None, held: Collection[str]) -> str | None:
    """The lowest host address of `network` that is neither the gateway nor held; None if none."""
    taken = {ipaddress.ip_address(address) for address in held}
    if gateway:
        taken.add(ipaddress.ip_address(gateway))
    for host in pool_network(network).hosts():
        if host not in taken:
            return str(host)
    return None


def pool_address(raw: str, network: str, gateway: str | None) -> str:
    """A requested address, canonical, if it is a usable host of the pool."""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        raise ValueError(_("must be an IP address")) from None
    net = pool_network(network)
    if address not in net:
        raise ValueError(_("is not in the plan's pool {net}", net=net))
    if gateway and address == ipaddress.ip_address(gateway):
        raise ValueError(_("is the pool's gateway"))
    if net.num_addresses > 2 and address == net.network_address:
        raise ValueError(_("is the pool's network address"))
    if net.version == 4 and net.num_addresses > 2 and address == net.broadcast_address:
        raise ValueError(_("is the pool's broadcast address"))
    return str(address)


def ip_address(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        raise ValueError(_("must be an IP address")) from None
