"""The subscriber's own view (Central do Assinante, manual 003): `me`, usage statements, invoices,
boletos, tickets and SMS credits.

Statements are computed for a period by domain reads and come back as unions with the typed
error a bad period gets; the rows they list are the scoped caller's only (domain.access).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, NewType

import strawberry

from domain import models as m
from domain.actions.portal import MAX_DESCRIPTION
from domain.models import enums as domain_enums
from domain.rules import dates
from gateway.loaders import portal as loaders
from gateway.loaders.registration import VoiceTerminalByIdLoader
from gateway.schema.base import FromModel, Info, Node, described_enum, to_global_id
from gateway.schema.billing import ReceivableType
from gateway.schema.bounds import bounded
from gateway.schema.errors import (
    AnyUserError,
)
from gateway.schema.relations import Relation

if TYPE_CHECKING:
    from gateway.schema.services import VoiceTerminalType

TicketStatus = strawberry.enum(domain_enums.TicketStatus)
CallTermination = described_enum(
    domain_enums.CallTermination,
    "Where a call ended: the six categories of manual 004's minute franchises.",
    {
        "FIXED_LOCAL": "A fixed phone in the caller's area (Fixo Local).",
        "FIXED_LONG_DISTANCE": "A fixed phone in another area of the country (Fixo LDN).",
        "MOBILE_LOCAL": "A mobile phone in the caller's area (Móvel Local).",
        "MOBILE_LONG_DISTANCE": "A mobile phone in another area of the country (Móvel LDN).",
        "INTERNATIONAL_FIXED": "A fixed phone abroad (internacional fixo).",
        "INTERNATIONAL_MOBILE": "A mobile phone abroad (internacional móvel).",
    },
)

# Octet counters outgrow GraphQL's 32-bit Int; JSON numbers hold them exactly up to 2^53.
# Its scalar definition is in the schema's config (SCALARS, gateway/resolvers/root.py).
BigInt = NewType("BigInt", int)
BIG_INT_SCALAR = strawberry.scalar(
    name="BigInt",
    description="An integer beyond 32 bits (byte counters), up to 2^53.",
    serialize=int,
    parse_value=int,
)

MAX_PAGE = 100
MAX_TICKETS = 200

TICKET_CONTACTS = Relation(
    "Ticket", "contacts", loaders.TicketContactsByTicketIdLoader, "id", "TicketContact",
    many=True, sort=("position",),
)  # fmt: skip


def boleto_pdf_path(receivable_id: int) -> str:
    """Where the portal prints a receivable's second copy (gateway/http/documents.py)."""
    return f"/receivables/{to_global_id('Receivable', receivable_id)}/boleto.pdf"


@strawberry.type(
    name="Invoice",
    description="A fiscal invoice (nota fiscal); GET /invoices/{id}.xml downloads its XML.",
)
class InvoiceType(FromModel, Node):
    graphql_name = "Invoice"
    model = m.Invoice
    database_id: int
    number: str
    issued_on: dt.date
    amount: Decimal


@strawberry.type(name="Boleto", description="A bank slip issued for a receivable.")
class BoletoType(FromModel, Node):
    graphql_name = "Boleto"
    model = m.Boleto
    database_id: int
    our_number: str
    digitable_line: str
    barcode: str
    due_date: dt.date
    amount: Decimal
    issued_at: dt.datetime


@strawberry.type(name="TicketContact", description="A contact of a ticket; position 1 first.")
class TicketContactType(FromModel):
    graphql_name = "TicketContact"
    model = m.TicketContact
    name: str
    position: int


@strawberry.type(name="Ticket", description="A support ticket, known by its protocol.")
class TicketType(FromModel, Node):
    graphql_name = "Ticket"
    model = m.Ticket
    database_id: int
    protocol: str
    description: str
    type: str
    status: TicketStatus
    opened_at: dt.datetime
    closed_at: dt.datetime | None

    @strawberry.field(description="Who is involved, the first contact first.")
    async def contacts(self, info: Info) -> list[TicketContactType]:
        return await TICKET_CONTACTS.resolve(self, info)


@strawberry.type(name="SmsCreditValue", description="An SMS credit package the portal sells.")
class SmsCreditValueType(FromModel, Node):
    graphql_name = "SmsCreditValue"
    model = m.SmsCreditValue
    database_id: int
    credits: int
    price: Decimal


@strawberry.type(name="ConnectionSession", description="A RADIUS accounting session (radacct).")
class ConnectionSessionType(FromModel):
    graphql_name = "ConnectionSession"
    model = m.ConnectionSession
    # The fields' names in radacct, FreeRADIUS's own (both read paths read these).
    columns = {
        "login": "username",
        "started_at": "acctstarttime",
        "stopped_at": "acctstoptime",
        "duration_seconds": "acctsessiontime",
        "input_octets": "acctinputoctets",
        "output_octets": "acctoutputoctets",
        "ip_address": "framedipaddress",
        "nas_ip_address": "nasipaddress",
        "terminate_cause": "acctterminatecause",
        "session_id": "acctsessionid",
        "calling_station_id": "callingstationid",
    }
    login: str
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    duration_seconds: int | None
    input_octets: BigInt | None  # type: ignore[valid-type]
    output_octets: BigInt | None  # type: ignore[valid-type]
    ip_address: str | None
    nas_ip_address: str
    terminate_cause: str | None
    session_id: str | None = strawberry.field(
        default=None, description="The NAS's Acct-Session-Id of the session."
    )
    calling_station_id: str | None = strawberry.field(
        default=None, description="The subscriber equipment's MAC (Calling-Station-Id)."
    )


@strawberry.type(description="A period's connection sessions, a page at a time, with totals.")
class ConnectionStatement:
    sessions: list[ConnectionSessionType]
    total_count: int
    total_duration_seconds: BigInt  # type: ignore[valid-type]
    total_input_octets: BigInt  # type: ignore[valid-type]
    total_output_octets: BigInt  # type: ignore[valid-type]
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool


CALL_TERMINAL = Relation(
    "CallRecord", "terminal", VoiceTerminalByIdLoader, "voice_terminal_id", "VoiceTerminal",
    many=False,
)  # fmt: skip


@strawberry.type(name="CallRecord", description="A call made from one of the plan's terminals.")
class CallRecordType(FromModel):
    graphql_name = "CallRecord"
    model = m.CallRecord
    started_at: dt.datetime
    destination: str
    duration_seconds: int
    termination: CallTermination
    cost: Decimal
    voice_terminal_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The plan's voice terminal that made the call; null for a call of a "
        "reseller's line."
    )
    async def terminal(
        self, info: Info
    ) -> Annotated[VoiceTerminalType, strawberry.lazy("gateway.schema.services")] | None:
        return await CALL_TERMINAL.resolve(self, info)  # type: ignore[no-any-return]


@strawberry.type(description="Totals of one termination type in the period.")
class CallTotals:
    termination: CallTermination
    count: int
    duration_seconds: int
    cost: Decimal


@strawberry.type(description="A period's calls and their totals by termination type.")
class CallStatement:
    calls: list[CallRecordType]
    totals: list[CallTotals]
    total_duration_seconds: int
    total_cost: Decimal


ConnectionStatementResult = Annotated[
    ConnectionStatement | AnyUserError, strawberry.union("ConnectionStatementResult")
]
CallStatementResult = Annotated[
    CallStatement | AnyUserError, strawberry.union("CallStatementResult")
]


@strawberry.input(description="A period: from `start` (included) to `end` (excluded).")
class PeriodInput:
    start: dt.datetime
    end: dt.datetime


def check_period(period: PeriodInput, path: str = "period") -> None:
    """Every period input is checked by the one domain rule (ADR 0103)."""
    dates.check_period(period.start, period.end, path=path)


@strawberry.input(description="Every criterion given must hold; text matches ignore case.")
class TicketFilter:
    protocol: str | None = None
    description: str | None = strawberry.field(default=None, description="Contains this text.")
    type: str | None = strawberry.field(default=None, description="Contains this text.")
    opened: PeriodInput | None = strawberry.field(default=None, description="Opened within.")
    status: list[TicketStatus] | None = None
    contact_name: str | None = strawberry.field(
        default=None, description="The ticket's first contact's name contains this text."
    )


@strawberry.input
class OpenTicketInput:
    type: str
    description: str = bounded(
        max_length=MAX_DESCRIPTION,
        multiline=True,
        description="The request, in the caller's words.",
    )
    plan_id: strawberry.ID | None = None
    contact_name: str | None = strawberry.field(
        default=None, description="The first contact; the customer's name when not given."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff only: whose ticket (a subscriber opens its own)."
    )


@strawberry.type
class OpenTicketSuccess:
    ticket: TicketType


OpenTicketResult = Annotated[OpenTicketSuccess | AnyUserError, strawberry.union("OpenTicketResult")]


@strawberry.input
class PurchaseSmsCreditsInput:
    plan_id: strawberry.ID
    credit_value_id: strawberry.ID


@strawberry.type
class PurchaseSmsCreditsSuccess:
    credits: int
    receivable: ReceivableType
    boleto: BoletoType
    boleto_pdf_path: str = strawberry.field(description="GET it with the same bearer token.")
    repeated: bool = strawberry.field(
        default=False,
        description=(
            "True when this is the purchase of the same package for the same plan made less "
            "than a minute before, answered again: nothing new was bought."
        ),
    )


PurchaseSmsCreditsResult = Annotated[
    PurchaseSmsCreditsSuccess | AnyUserError, strawberry.union("PurchaseSmsCreditsResult")
]
