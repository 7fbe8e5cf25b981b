"""The Subscription root: changes pushed as they commit (ADR 0220, docs/realtime.md).

Each field follows one topic, chosen from its arguments and the caller (`topic_for`), and
yields the changed object, read again for each event with the caller's own scope: a row the
caller may not read is never sent. The WebSocket and SSE endpoints (gateway.http.subscriptions)
usually serve a field's events from compiled plans (gateway.execution.events); these resolvers
are the standard path, and the reference the compiled one answers like.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

import strawberry

from domain import access
from domain import models as m
from domain.changes import Change, Kind
from domain.errors import NotAllowed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from gateway.resolvers.nodes import node
from gateway.schema.base import Info, to_global_id
from gateway.schema.billing import ReceivableType
from gateway.schema.ids import database_id
from gateway.schema.outbox import OutboxMessageType
from gateway.schema.plans import PlanType
from gateway.schema.portal import TicketType
from gateway.schema.tv import TvPackageSubscriptionType, TvPointType

# A topic: what a subscription follows, e.g. ("plan", "customer", 7) or ("outbox",).
Topic = tuple[Any, ...]

# The GraphQL type of each kind of changed row.
TYPE_OF_KIND = {
    Kind.PLAN: "Plan",
    Kind.TV_POINT: "TvPoint",
    Kind.TV_PACKAGE: "TvPackageSubscription",
    Kind.TICKET: "Ticket",
    Kind.RECEIVABLE: "Receivable",
    Kind.OUTBOX: "OutboxMessage",
}
# Each field's event types (those its events can be), and the model each reads.
FIELD_TYPES = {
    "planChanged": ("Plan",),
    "tvSyncChanged": ("TvPoint", "TvPackageSubscription"),
    "ticketChanged": ("Ticket",),
    "receivableChanged": ("Receivable",),
    "outboxDelivery": ("OutboxMessage",),
}
_MODELS = {
    "planChanged": m.Plan,
    "tvSyncChanged": m.TvPoint,
    "ticketChanged": m.Ticket,
    "receivableChanged": m.Receivable,
    "outboxDelivery": m.OutboxMessage,
}


def topics_of(change: Change) -> list[Topic]:
    """Every topic a change is announced on."""
    kind = change.kind
    if kind is Kind.PLAN:
        return [("plan",), ("plan", "customer", change.customer_id), ("plan", "plan", change.id)]
    if kind in (Kind.TV_POINT, Kind.TV_PACKAGE):
        return [("tv", "plan", change.plan_id)]
    if kind is Kind.TICKET:
        return [
            ("ticket",),
            ("ticket", "ticket", change.id),
            ("ticket", "customer", change.customer_id),
        ]
    if kind is Kind.RECEIVABLE:
        return [("receivable",), ("receivable", "customer", change.customer_id)]
    return [("outbox",)]


def _key(arguments: Mapping[str, Any], name: str, type_name: str) -> int | None:
    raw = arguments.get(name)
    if raw is None:
        return None
    # An id that names no row follows nothing: like a read of it, it finds nothing.
    return database_id(str(raw), type_name) or 0


def topic_for(field: str, arguments: Mapping[str, Any], identity: Identity) -> Topic:
    """The topic `field` follows for these arguments and this caller; NotAllowed when the
    caller may not follow it at all (staff lacking the permission the rows need)."""
    refusal = access.read_refusal([_MODELS[field]], identity)
    if refusal is not None:
        raise refusal
    own = identity.customer_id if identity.role is Role.SUBSCRIBER else None
    if field == "outboxDelivery":
        if not identity.has(Permission.TV_PACKAGES):
            raise NotAllowed(
                _("Following outbox deliveries needs staff with the TV_PACKAGES permission."),
                permission=Permission.TV_PACKAGES.name,
            )
        return ("outbox",)
    if field == "tvSyncChanged":
        return ("tv", "plan", _key(arguments, "planId", "Plan"))
    kind = {"planChanged": "plan", "ticketChanged": "ticket", "receivableChanged": "receivable"}[
        field
    ]
    if field == "planChanged" and arguments.get("planId") is not None:
        return ("plan", "plan", _key(arguments, "planId", "Plan"))
    if field == "ticketChanged" and arguments.get("ticketId") is not None:
        return ("ticket", "ticket", _key(arguments, "ticketId", "Ticket"))
    customer = _key(arguments, "customerId", "Customer")
    if customer is None:
        customer = own
    if customer is None:
        if identity.role is not Role.STAFF:
            return (kind, "customer", 0)  # resellers and voice subscribers own none of these
        return (kind,)
    return (kind, "customer", customer)


async def follow(info: Info, field: str, arguments: Mapping[str, Any]) -> AsyncGenerator[Any, None]:
    """The changed objects of the field's topic, each read on a session of its own."""
    events = info.context.events
    if events is None:
        raise NotAllowed(_("Subscriptions are served over WebSocket or Server-Sent Events."))
    topic = topic_for(field, arguments, info.context.identity)
    async for change in events.follow(topic):
        async with events.fresh(info.context):
            found = await node(info, to_global_id(TYPE_OF_KIND[change.kind], change.id))
            if found is None:
                events.withheld()
                continue
            yield found


TvSyncTarget = Annotated[
    TvPointType | TvPackageSubscriptionType,
    strawberry.union(
        "TvSyncTarget",
        description="What `tvSyncChanged` reports: a TV point or a TV package of the plan.",
    ),
]

_CUSTOMER = "The customer's global id or database id; a subscriber's own by default."


@strawberry.type(
    description="Changes pushed as their transactions commit, in commit order per customer, "
    "over WebSocket (graphql-transport-ws) or Server-Sent Events on /graphql "
    "(docs/realtime.md). Each event is the changed object, read with the subscriber's own "
    "scope: a row the caller may not read is never sent."
)
class Subscription:
    @strawberry.subscription(
        description="A plan changed: its status, inactive reason, speed state or due date. "
        "Follows one plan, one customer's plans, or (staff) every plan."
    )
    async def plan_changed(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description=_CUSTOMER)
        ] = None,
        plan_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The plan's global id or database id."),
        ] = None,
    ) -> AsyncGenerator[PlanType, None]:
        async for found in follow(
            info, "planChanged", {"customerId": customer_id, "planId": plan_id}
        ):
            yield found

    @strawberry.subscription(
        description="A TV point or package of the plan changed, its sync state included, as "
        "the outbox delivers it to the TV platform or fails to. Staff need TV_PACKAGES."
    )
    async def tv_sync_changed(
        self,
        info: Info,
        plan_id: Annotated[
            strawberry.ID, strawberry.argument(description="The plan's global id or database id.")
        ],
    ) -> AsyncGenerator[TvSyncTarget, None]:
        async for found in follow(info, "tvSyncChanged", {"planId": plan_id}):
            yield found

    @strawberry.subscription(
        description="A ticket was opened or changed. Follows one ticket, one customer's "
        "tickets, or (staff) every ticket."
    )
    async def ticket_changed(
        self,
        info: Info,
        ticket_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The ticket's global id or database id."),
        ] = None,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description=_CUSTOMER)
        ] = None,
    ) -> AsyncGenerator[TicketType, None]:
        async for found in follow(
            info, "ticketChanged", {"ticketId": ticket_id, "customerId": customer_id}
        ):
            yield found

    @strawberry.subscription(
        description="A receivable was created, paid or changed, or got a new boleto. Staff "
        "need BILLING."
    )
    async def receivable_changed(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None, strawberry.argument(description=_CUSTOMER)
        ] = None,
    ) -> AsyncGenerator[ReceivableType, None]:
        async for found in follow(info, "receivableChanged", {"customerId": customer_id}):
            yield found

    @strawberry.subscription(
        description="An outbox message was written, delivered, or failed an attempt. Staff "
        "with TV_PACKAGES only."
    )
    async def outbox_delivery(self, info: Info) -> AsyncGenerator[OutboxMessageType, None]:
        async for found in follow(info, "outboxDelivery", {}):
            yield found
