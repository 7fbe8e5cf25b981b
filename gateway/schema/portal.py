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
from gateway.schema.base import DATABASE_ID, FromModel, Info, Node, described_enum, to_global_id
from gateway.schema.billing import ReceivableType
from gateway.schema.bounds import bounded
from gateway.schema.errors import AnyUserError, answers
from gateway.schema.relations import Relation

if TYPE_CHECKING:
    from gateway.schema.services import VoiceTerminalType

TicketStatus = described_enum(
    domain_enums.TicketStatus,
    "Where a support ticket (atendimento) stands.",
    {
        "OPEN": "Opened, not worked on yet (every ticket openTicket opens starts here).",
        "IN_PROGRESS": "Being worked on.",
        "CLOSED": "Closed: `closedAt` says when.",
    },
)
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
    description="A fiscal invoice (Nota Fiscal); GET /invoices/{id}.xml downloads its XML. "
    "Staff need the BILLING permission to read it.",
)
class InvoiceType(FromModel, Node):
    graphql_name = "Invoice"
    model = m.Invoice
    database_id: int = strawberry.field(description=DATABASE_ID)
    number: str = strawberry.field(description="The invoice's number; unique.")
    issued_on: dt.date = strawberry.field(description="The day it was issued.")
    amount: Decimal = strawberry.field(description="Its total in R$.")


@strawberry.type(
    name="Boleto",
    description="A bank slip issued for a receivable, per the FEBRABAN layout. Staff need the "
    "BILLING permission to read it.",
)
class BoletoType(FromModel, Node):
    graphql_name = "Boleto"
    model = m.Boleto
    database_id: int = strawberry.field(description=DATABASE_ID)
    our_number: str = strawberry.field(
        description="Its nosso número, the bank's reference of the slip; unique."
    )
    digitable_line: str = strawberry.field(
        description="The linha digitável to type at a bank, formatted in its five groups "
        "(NNNNN.NNNNN NNNNN.NNNNNN NNNNN.NNNNNN N NNNNNNNNNNNNNN)."
    )
    barcode: str = strawberry.field(description="The 44 digits the barcode encodes.")
    due_date: dt.date = strawberry.field(description="Its due date (the receivable's).")
    amount: Decimal = strawberry.field(description="Its amount in R$ (the receivable's).")
    issued_at: dt.datetime = strawberry.field(description="When it was issued.")


@strawberry.type(name="TicketContact", description="A contact of a ticket; position 1 first.")
class TicketContactType(FromModel):
    graphql_name = "TicketContact"
    model = m.TicketContact
    name: str = strawberry.field(description="The contact's name, as recorded on the ticket.")
    position: int = strawberry.field(
        description="Its place among the ticket's contacts, from 1 (the first contact, the one "
        "the contact-name filter matches)."
    )


@strawberry.type(
    name="Ticket",
    description="A support ticket (Atendimento), known to the customer by its protocol.",
)
class TicketType(FromModel, Node):
    graphql_name = "Ticket"
    model = m.Ticket
    database_id: int = strawberry.field(description=DATABASE_ID)
    protocol: str = strawberry.field(
        description="Its protocol: the opening date (YYYYMMDD) and its number, 6 digits or "
        "more; unique."
    )
    description: str = strawberry.field(description="The request, in the caller's words.")
    type: str = strawberry.field(description="Its type (Tipo), free text, e.g. Lentidão.")
    status: TicketStatus = strawberry.field(description="Where it stands.")
    opened_at: dt.datetime = strawberry.field(description="When it was opened.")
    closed_at: dt.datetime | None = strawberry.field(
        description="When it was closed; null unless CLOSED."
    )

    @strawberry.field(description="Who is involved, the first contact first.")
    async def contacts(self, info: Info) -> list[TicketContactType]:
        return await TICKET_CONTACTS.resolve(self, info)


@strawberry.type(
    name="SmsCreditValue",
    description="An SMS credit package the portal sells (Valores de Crédito). Catalog: any "
    "caller may read it.",
)
class SmsCreditValueType(FromModel, Node):
    graphql_name = "SmsCreditValue"
    model = m.SmsCreditValue
    database_id: int = strawberry.field(description=DATABASE_ID)
    credits: int = strawberry.field(description="How many SMS credits it buys; unique, above 0.")
    price: Decimal = strawberry.field(description="Its price in R$, above 0.")


@strawberry.type(
    name="ConnectionSession",
    description="A RADIUS accounting session (radacct): one row of the Extrato de Conexões.",
)
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
    login: str = strawberry.field(description="The RADIUS login that connected.")
    started_at: dt.datetime | None = strawberry.field(
        description="When the session started; null when the NAS did not say."
    )
    stopped_at: dt.datetime | None = strawberry.field(
        description="When it stopped; null while it is still open."
    )
    duration_seconds: int | None = strawberry.field(
        description="How long it lasted, in seconds, as last reported; null when not reported."
    )
    input_octets: BigInt | None = strawberry.field(  # type: ignore[valid-type]
        description="Octets (bytes) the NAS received from the customer (upload); null when "
        "not reported."
    )
    output_octets: BigInt | None = strawberry.field(  # type: ignore[valid-type]
        description="Octets (bytes) the NAS sent to the customer (download); null when not "
        "reported."
    )
    ip_address: str | None = strawberry.field(
        description="The IP address the customer had in the session; null when not reported."
    )
    nas_ip_address: str = strawberry.field(
        description="The IP address of the NAS (access server) that carried it."
    )
    terminate_cause: str | None = strawberry.field(
        description="Why it ended, as RADIUS names it (e.g. User-Request, Lost-Carrier); null "
        "while open or when not reported."
    )
    session_id: str | None = strawberry.field(
        default=None, description="The NAS's Acct-Session-Id of the session."
    )
    calling_station_id: str | None = strawberry.field(
        default=None, description="The subscriber equipment's MAC (Calling-Station-Id)."
    )


@strawberry.type(description="A period's connection sessions, a page at a time, with totals.")
class ConnectionStatement:
    sessions: list[ConnectionSessionType] = strawberry.field(
        description="This page's sessions, newest first."
    )
    total_count: int = strawberry.field(description="Sessions in the whole period.")
    total_duration_seconds: BigInt = strawberry.field(  # type: ignore[valid-type]
        description="Seconds of every session of the period."
    )
    total_input_octets: BigInt = strawberry.field(  # type: ignore[valid-type]
        description="Octets received from the customer in the whole period (upload)."
    )
    total_output_octets: BigInt = strawberry.field(  # type: ignore[valid-type]
        description="Octets sent to the customer in the whole period (download)."
    )
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page; null when the page is empty."
    )
    has_next_page: bool = strawberry.field(description="Whether sessions follow this page.")


CALL_TERMINAL = Relation(
    "CallRecord", "terminal", VoiceTerminalByIdLoader, "voice_terminal_id", "VoiceTerminal",
    many=False,
)  # fmt: skip


@strawberry.type(
    name="CallRecord",
    description="A call made from a voice terminal of a plan or a reseller's line: one row of "
    "the Extrato de Ligação.",
)
class CallRecordType(FromModel):
    graphql_name = "CallRecord"
    model = m.CallRecord
    started_at: dt.datetime = strawberry.field(description="When the call started.")
    destination: str = strawberry.field(description="The number called.")
    duration_seconds: int = strawberry.field(description="How long it lasted, in seconds.")
    termination: CallTermination = strawberry.field(
        description="Where it ended (Tipo de Terminação)."
    )
    cost: Decimal = strawberry.field(description="What it cost in R$.")
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
    termination: CallTermination = strawberry.field(description="The termination type.")
    count: int = strawberry.field(description="Calls of that type in the period.")
    duration_seconds: int = strawberry.field(description="Their seconds together.")
    cost: Decimal = strawberry.field(description="Their cost together, in R$.")


@strawberry.type(description="A period's calls and their totals by termination type.")
class CallStatement:
    calls: list[CallRecordType] = strawberry.field(
        description="The period's calls (of the termination types asked for), oldest first."
    )
    totals: list[CallTotals] = strawberry.field(
        description="One line per termination type asked for (all six when none was), zero when "
        "it had no calls."
    )
    total_duration_seconds: int = strawberry.field(description="Seconds of the totals' calls.")
    total_cost: Decimal = strawberry.field(description="Cost of the totals' calls, in R$.")


ConnectionStatementResult = Annotated[
    ConnectionStatement | AnyUserError,
    strawberry.union("ConnectionStatementResult", description=answers("connectionStatement")),
]
CallStatementResult = Annotated[
    CallStatement | AnyUserError,
    strawberry.union("CallStatementResult", description=answers("callStatement")),
]


@strawberry.input(description="A period: from `start` (included) to `end` (excluded).")
class PeriodInput:
    start: dt.datetime = strawberry.field(
        description="The first instant, included, with its time zone."
    )
    end: dt.datetime = strawberry.field(
        description="The instant it ends, excluded, with its time zone; after the start and at "
        "most 366 days after it."
    )


def check_period(period: PeriodInput, path: str = "period") -> None:
    """Every period input is checked by the one domain rule (ADR 0103)."""
    dates.check_period(period.start, period.end, path=path)


@strawberry.input(description="Every criterion given must hold; text matches ignore case.")
class TicketFilter:
    protocol: str | None = strawberry.field(default=None, description="Exactly this protocol.")
    description: str | None = strawberry.field(default=None, description="Contains this text.")
    type: str | None = strawberry.field(default=None, description="Contains this text.")
    opened: PeriodInput | None = strawberry.field(default=None, description="Opened within.")
    status: list[TicketStatus] | None = strawberry.field(
        default=None, description="In one of these statuses."
    )
    contact_name: str | None = strawberry.field(
        default=None, description="The ticket's first contact's name contains this text."
    )


@strawberry.input(description="A new support ticket (Atendimentos).")
class OpenTicketInput:
    type: str = strawberry.field(description="Its type (Tipo), 1 to 60 characters.")
    description: str = bounded(
        max_length=MAX_DESCRIPTION,
        multiline=True,
        description="The request, in the caller's words.",
    )
    plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer's plan it is about; null: none in particular."
    )
    contact_name: str | None = strawberry.field(
        default=None,
        description="The first contact's name, 1 to 200 characters; the customer's name when "
        "not given.",
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Staff (with CUSTOMER_ADMIN) must name the customer; a subscriber opens its "
        "own and may leave it out.",
    )


@strawberry.type(description="The ticket opened.")
class OpenTicketSuccess:
    ticket: TicketType = strawberry.field(description="The new ticket, OPEN, with its protocol.")


OpenTicketResult = Annotated[
    OpenTicketSuccess | AnyUserError,
    strawberry.union("OpenTicketResult", description=answers("openTicket")),
]


@strawberry.input(description="What to buy and for which plan (Compra de Crédito).")
class PurchaseSmsCreditsInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan the SMS sending goes with; not cancelled."
    )
    credit_value_id: strawberry.ID = strawberry.field(
        description="The package (an SmsCreditValue of smsCreditValues)."
    )


@strawberry.type(description="The credits bought, what is owed for them, and its boleto.")
class PurchaseSmsCreditsSuccess:
    credits: int = strawberry.field(description="How many credits were bought.")
    receivable: ReceivableType = strawberry.field(
        description="The OPEN receivable of the price, due 3 days after the purchase."
    )
    boleto: BoletoType = strawberry.field(description="The boleto to pay it with.")
    boleto_pdf_path: str = strawberry.field(
        description="The boleto's PDF, a path on this gateway "
        "(/receivables/{global id}/boleto.pdf): GET it with the same bearer token."
    )
    repeated: bool = strawberry.field(
        default=False,
        description=(
            "True when this is the purchase of the same package for the same plan made less "
            "than a minute before, answered again: nothing new was bought."
        ),
    )


PurchaseSmsCreditsResult = Annotated[
    PurchaseSmsCreditsSuccess | AnyUserError,
    strawberry.union("PurchaseSmsCreditsResult", description=answers("purchaseSmsCredits")),
]
