"""The subscriber's own view (Central do Assinante, manual 003): `me`, usage statements, invoices,
boletos, tickets and SMS credits.

Statements are computed for a period by domain reads and come back as unions with the typed
error a bad period gets; the rows they list are the scoped caller's only (domain.access).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, NewType

import strawberry

from domain import models as m
from domain.actions import portal as actions
from domain.errors import NotFound, ValidationFailed
from domain.models import enums as domain_enums
from domain.reads import portal as reads
from gateway.loaders import portal as loaders
from gateway.resolvers.ids import database_id
from gateway.resolvers.mutations import perform
from gateway.resolvers.pagination import offset_cursor, parse_cursor
from gateway.schema.base import FromModel, Info, Node, to_global_id
from gateway.schema.billing import ReceivableType
from gateway.schema.errors import (
    NotAllowed,
    RuleViolation,
    UserError,
    ValidationError,
    user_error,
)
from gateway.schema.errors import NotFound as NotFoundError
from gateway.schema.relations import Relation

TicketStatus = strawberry.enum(domain_enums.TicketStatus)
CallTermination = strawberry.enum(domain_enums.CallTermination)

# Octet counters outgrow GraphQL's 32-bit Int; JSON numbers hold them exactly up to 2^53.
# Its scalar definition is in the schema's config (SCALARS, gateway/schema/query.py).
BigInt = NewType("BigInt", int)
BIG_INT_SCALAR = strawberry.scalar(
    name="BigInt",
    description="An integer beyond 32 bits (byte counters), up to 2^53.",
    serialize=int,
    parse_value=int,
)

MAX_PAGE = 100
MAX_PERIOD = dt.timedelta(days=366)
MAX_TICKETS = 200

TICKET_CONTACTS = Relation(
    "Ticket", "contacts", loaders.TicketContactsByTicketIdLoader, "id", "TicketContact",
    many=True, sort=("position",),
)  # fmt: skip
CUSTOMER_INVOICES = Relation(
    "Customer", "invoices", loaders.InvoicesByCustomerIdLoader, "id", "Invoice", many=True
)
CUSTOMER_TICKETS = Relation(
    "Customer", "tickets", loaders.TicketsByCustomerIdLoader, "id", "Ticket", many=True,
    filters=(("status", "status"),),
)  # fmt: skip
RECEIVABLE_BOLETOS = Relation(
    "Receivable", "boletos", loaders.BoletosByReceivableIdLoader, "id", "Boleto", many=True
)


def invoice_xml_path(invoice_id: int) -> str:
    """Where the portal downloads an invoice's XML (gateway/http/documents.py)."""
    return f"/invoices/{to_global_id('Invoice', invoice_id)}.xml"


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
class ConnectionSessionType:
    login: str
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    duration_seconds: int | None
    input_octets: BigInt | None  # type: ignore[valid-type]
    output_octets: BigInt | None  # type: ignore[valid-type]
    ip_address: str | None
    nas_ip_address: str
    terminate_cause: str | None

    @classmethod
    def of(cls, row: m.ConnectionSession) -> ConnectionSessionType:
        return cls(
            login=row.username,
            started_at=row.acctstarttime,
            stopped_at=row.acctstoptime,
            duration_seconds=row.acctsessiontime,
            input_octets=row.acctinputoctets,
            output_octets=row.acctoutputoctets,
            ip_address=row.framedipaddress,
            nas_ip_address=row.nasipaddress,
            terminate_cause=row.acctterminatecause,
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


@strawberry.type(name="CallRecord", description="A call made from one of the plan's terminals.")
class CallRecordType:
    started_at: dt.datetime
    destination: str
    duration_seconds: int
    termination: CallTermination
    cost: Decimal


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
    ConnectionStatement | ValidationError | NotFoundError,
    strawberry.union("ConnectionStatementResult"),
]
CallStatementResult = Annotated[
    CallStatement | ValidationError | NotFoundError, strawberry.union("CallStatementResult")
]


def call_statement_of(rows: list[m.CallRecord], totals: list[reads.CallTotals]) -> CallStatement:
    """The GraphQL statement of a domain read's calls and totals (a plan's or a voice line's)."""
    return CallStatement(
        calls=[
            CallRecordType(
                started_at=r.started_at,
                destination=r.destination,
                duration_seconds=r.duration_seconds,
                termination=r.termination,
                cost=r.cost,
            )
            for r in rows
        ],
        totals=[
            CallTotals(
                termination=t.termination,
                count=t.count,
                duration_seconds=t.duration_seconds,
                cost=t.cost,
            )
            for t in totals
        ],
        total_duration_seconds=sum(t.duration_seconds for t in totals),
        total_cost=sum((t.cost for t in totals), Decimal("0.00")),
    )


@strawberry.input(description="A period: from `start` (included) to `end` (excluded).")
class PeriodInput:
    start: dt.datetime
    end: dt.datetime


def check_period(period: PeriodInput) -> None:
    """A period must be ordered, time-zoned and at most a year long."""
    start, end = period.start, period.end
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.one("period", "Give both instants with a time zone.")
    if end <= start:
        raise ValidationFailed.one("period.end", "The end must come after the start.")
    if end - start > MAX_PERIOD:
        raise ValidationFailed.one("period", "A statement covers at most 366 days.")


async def _own_plan(info: Info, raw: strawberry.ID) -> m.Plan:
    """The plan, as the caller's scoped session sees it (another customer's does not exist)."""
    key = database_id(raw, "Plan")
    plan = None if key is None else await info.context.loaders.plan.load(key)
    if plan is None:
        raise NotFound("Plan", raw)
    return plan


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


def _user_error(error: ValidationFailed | NotFound) -> UserError:
    return user_error(error)


@strawberry.type
class PortalQuery:
    @strawberry.field(description="The plan's RADIUS sessions started in the period, newest first.")
    async def connection_statement(
        self,
        info: Info,
        plan_id: strawberry.ID,
        period: PeriodInput,
        first: int = 50,
        after: str | None = None,
    ) -> ConnectionStatementResult:
        try:
            check_period(period)
            if not 0 <= first <= MAX_PAGE:
                raise ValidationFailed.one("first", f"Ask for 0 to {MAX_PAGE} sessions.")
            plan = await _own_plan(info, plan_id)
        except (ValidationFailed, NotFound) as error:
            return _user_error(error)  # type: ignore[return-value]
        offset = 0 if after is None else parse_cursor(after, "after") + 1
        rows, totals = await info.context.db.run(
            reads.connection_statement,
            plan.id,
            period.start,
            period.end,
            offset=offset,
            limit=first,
        )
        last = offset + len(rows) - 1
        return ConnectionStatement(
            sessions=[ConnectionSessionType.of(row) for row in rows],
            total_count=totals.count,
            total_duration_seconds=totals.duration_seconds,
            total_input_octets=totals.input_octets,
            total_output_octets=totals.output_octets,
            end_cursor=offset_cursor(last) if rows else None,
            has_next_page=last + 1 < totals.count,
        )

    @strawberry.field(description="The plan's calls in the period, with totals by termination.")
    async def call_statement(
        self,
        info: Info,
        plan_id: strawberry.ID,
        period: PeriodInput,
        termination: list[CallTermination] | None = None,
    ) -> CallStatementResult:
        try:
            check_period(period)
            plan = await _own_plan(info, plan_id)
        except (ValidationFailed, NotFound) as error:
            return _user_error(error)  # type: ignore[return-value]
        rows, totals = await info.context.db.run(
            reads.call_statement, plan.id, period.start, period.end, termination
        )
        return call_statement_of(rows, totals)

    @strawberry.field(
        description=f"Tickets matching the filter, newest first (at most {MAX_TICKETS})."
    )
    async def tickets(
        self,
        info: Info,
        filter: TicketFilter | None = None,
        customer_id: strawberry.ID | None = None,
    ) -> list[TicketType]:
        wanted = filter or TicketFilter()
        owner = None if customer_id is None else (database_id(customer_id, "Customer") or -1)
        rows = await info.context.db.run(
            reads.tickets,
            owner,
            reads.TicketFilter(
                protocol=wanted.protocol,
                description=wanted.description,
                type=wanted.type,
                opened_from=wanted.opened.start if wanted.opened else None,
                opened_to=wanted.opened.end if wanted.opened else None,
                status=tuple(wanted.status or ()),
                contact_name=wanted.contact_name,
            ),
            limit=MAX_TICKETS,
        )
        return TicketType.from_models(rows)


@strawberry.input
class OpenTicketInput:
    type: str
    description: str
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


OpenTicketResult = Annotated[
    OpenTicketSuccess | ValidationError | NotFoundError | NotAllowed,
    strawberry.union("OpenTicketResult"),
]


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


PurchaseSmsCreditsResult = Annotated[
    PurchaseSmsCreditsSuccess | NotFoundError | NotAllowed | RuleViolation,
    strawberry.union("PurchaseSmsCreditsResult"),
]


def _key(raw: strawberry.ID | None, *type_names: str) -> int | None:
    return None if raw is None else (database_id(raw, *type_names) or -1)


@strawberry.type
class PortalMutations:
    @strawberry.mutation(description="Opens a support ticket for the caller's customer.")
    async def open_ticket(self, info: Info, input: OpenTicketInput) -> OpenTicketResult:
        result = await perform(
            info,
            lambda session: actions.open_ticket(
                session,
                customer_id=_key(input.customer_id, "Customer"),
                plan_id=_key(input.plan_id, "Plan"),
                type=input.type,
                description=input.description,
                contact_name=input.contact_name,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, m.Ticket):
            return OpenTicketSuccess(ticket=TicketType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Buys SMS credits for a plan: a receivable and its boleto.")
    async def purchase_sms_credits(
        self, info: Info, input: PurchaseSmsCreditsInput
    ) -> PurchaseSmsCreditsResult:
        result = await perform(
            info,
            lambda session: actions.purchase_sms_credits(
                session,
                plan_id=_key(input.plan_id, "Plan") or -1,
                credit_value_id=_key(input.credit_value_id, "SmsCreditValue") or -1,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, actions.SmsPurchase):
            return PurchaseSmsCreditsSuccess(
                credits=result.credits,
                receivable=ReceivableType.from_model(result.receivable),
                boleto=BoletoType.from_model(result.boleto),
                boleto_pdf_path=boleto_pdf_path(result.receivable.id),
            )
        return result  # type: ignore[return-value]
