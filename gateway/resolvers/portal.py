"""Root fields of the subscriber portal: statements, invoices, boletos, tickets, SMS credits."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain import models as m
from domain.actions import portal as actions
from domain.errors import NotFound, ValidationFailed
from domain.i18n import _
from domain.reads import portal as reads
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.billing import ReceivableType
from gateway.schema.errors import (
    UserError,
    user_error,
)
from gateway.schema.ids import database_id
from gateway.schema.pagination import offset_cursor, parse_cursor
from gateway.schema.portal import (
    MAX_PAGE,
    MAX_TICKETS,
    BoletoType,
    CallRecordType,
    CallStatement,
    CallStatementResult,
    CallTermination,
    CallTotals,
    ConnectionSessionType,
    ConnectionStatement,
    ConnectionStatementResult,
    OpenTicketInput,
    OpenTicketResult,
    OpenTicketSuccess,
    PeriodInput,
    PurchaseSmsCreditsInput,
    PurchaseSmsCreditsResult,
    PurchaseSmsCreditsSuccess,
    TicketFilter,
    TicketType,
    boleto_pdf_path,
    check_period,
)


def call_statement_of(rows: list[m.CallRecord], totals: list[reads.CallTotals]) -> CallStatement:
    """The GraphQL statement of a domain read's calls and totals (a plan's or a voice line's)."""
    return CallStatement(
        calls=CallRecordType.from_models(rows),
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


async def _own_plan(info: Info, raw: strawberry.ID) -> m.Plan:
    """The plan, as the caller's scoped session sees it (another customer's does not exist)."""
    key = database_id(raw, "Plan")
    plan = None if key is None else await info.context.loaders.plan.load(key)
    if plan is None:
        raise NotFound("Plan", raw)
    return plan


def _user_error(error: ValidationFailed | NotFound) -> UserError:
    return user_error(error)


@strawberry.type
class PortalQuery:
    @strawberry.field(
        description="The plan's RADIUS sessions started in the period, newest first, a page at "
        "a time, with the period's totals (Extrato de Conexões). Staff, or the plan's own "
        "subscriber."
    )
    async def connection_statement(
        self,
        info: Info,
        plan_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The plan (global or database id); a subscriber's own only."
            ),
        ],
        period: Annotated[
            PeriodInput, strawberry.argument(description="The period (Período), at most 366 days.")
        ],
        first: Annotated[
            int, strawberry.argument(description="Sessions per page, 0 to 100 (default 50).")
        ] = 50,
        after: Annotated[
            str | None,
            strawberry.argument(description="The `endCursor` of the page before; null: the first."),
        ] = None,
    ) -> ConnectionStatementResult:
        try:
            check_period(period)
            if not 0 <= first <= MAX_PAGE:
                raise ValidationFailed.one(
                    "first", _("Ask for 0 to {max_page} sessions.", max_page=MAX_PAGE)
                )
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
            sessions=[ConnectionSessionType.from_model(row) for row in rows],
            total_count=totals.count,
            total_duration_seconds=totals.duration_seconds,
            total_input_octets=totals.input_octets,
            total_output_octets=totals.output_octets,
            end_cursor=offset_cursor(last) if rows else None,
            has_next_page=last + 1 < totals.count,
        )

    @strawberry.field(
        description="The calls of the plan's voice terminals in the period, with totals by "
        "termination (Extrato de Ligação). Staff, or the plan's own subscriber."
    )
    async def call_statement(
        self,
        info: Info,
        plan_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The plan (global or database id); a subscriber's own only."
            ),
        ],
        period: Annotated[
            PeriodInput, strawberry.argument(description="The period (Período), at most 366 days.")
        ],
        termination: Annotated[
            list[CallTermination] | None,
            strawberry.argument(
                description="Only calls of these termination types (Tipo de Terminação); null: all."
            ),
        ] = None,
        terminal_id: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Only the calls of these voice terminals."),
        ] = None,
    ) -> CallStatementResult:
        try:
            check_period(period)
            plan = await _own_plan(info, plan_id)
        except (ValidationFailed, NotFound) as error:
            return _user_error(error)  # type: ignore[return-value]
        terminal_ids = [database_id(t, "VoiceTerminal", "Service") or -1 for t in terminal_id or []]
        rows, totals = await info.context.db.run(
            reads.call_statement, plan.id, period.start, period.end, termination, terminal_ids
        )
        return call_statement_of(rows, totals)

    @strawberry.field(
        description=f"Tickets matching the filter, newest first (at most {MAX_TICKETS}): the "
        "portal's Atendimentos. A subscriber sees its own customer's; staff every customer's."
    )
    async def tickets(
        self,
        info: Info,
        filter: Annotated[
            TicketFilter | None,
            strawberry.argument(description="Criteria that must all hold; null: every ticket."),
        ] = None,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only this customer's tickets (global or database id); null: "
                "every ticket the caller may see."
            ),
        ] = None,
    ) -> list[TicketType]:
        wanted = filter or TicketFilter()
        if wanted.opened is not None:
            try:  # the one period rule (ADR 0103); a list answers a refusal as an error
                check_period(wanted.opened, "filter.opened")
            except ValidationFailed as error:
                raise GraphQLError(str(error)) from None
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


def _key(raw: strawberry.ID | None, *type_names: str) -> int | None:
    return None if raw is None else (database_id(raw, *type_names) or -1)


@strawberry.type
class PortalMutations:
    @strawberry.mutation(
        description="Opens a support ticket: a subscriber for its own customer, staff (with "
        "CUSTOMER_ADMIN) for the customer named."
    )
    async def open_ticket(
        self,
        info: Info,
        input: Annotated[OpenTicketInput, strawberry.argument(description="The ticket to open.")],
    ) -> OpenTicketResult:
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

    @strawberry.mutation(
        description="Buys SMS credits for a plan (Compra de Crédito): a receivable and its "
        "boleto. The same package for the same plan within 60 seconds answers the first "
        "purchase again (`repeated`). Staff with BILLING, or the plan's own subscriber."
    )
    async def purchase_sms_credits(
        self,
        info: Info,
        input: Annotated[
            PurchaseSmsCreditsInput, strawberry.argument(description="The plan and the package.")
        ],
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
                repeated=result.repeated,
            )
        return result  # type: ignore[return-value]
