"""Money types: receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import models as m
from gateway.loaders import portal as portal_loaders
from gateway.schema.base import (
    DATABASE_ID,
    FromModel,
    Info,
    Node,
    ReceivableOrigin,
    ReceivableStatus,
)
from gateway.schema.relations import Relation

if TYPE_CHECKING:
    from gateway.schema.portal import BoletoType


RECEIVABLE_BOLETOS = Relation(
    "Receivable", "boletos", portal_loaders.BoletosByReceivableIdLoader, "id", "Boleto", many=True
)


@strawberry.type(
    name="Receivable",
    description="An amount owed on a due date (conta a receber), open or paid: the rows of "
    "the portal's Extrato Financeiro. Staff need the BILLING permission to read it.",
)
class ReceivableType(FromModel, Node):
    graphql_name = "Receivable"
    model = m.Receivable
    database_id: int = strawberry.field(description=DATABASE_ID)
    origin: ReceivableOrigin = strawberry.field(description="What it charges for.")
    description: str = strawberry.field(
        description="What the customer reads on it, in Portuguese (e.g. Mensalidade 03/2026, "
        "Taxa de instalação 1/3)."
    )
    installment_number: int | None = strawberry.field(
        description="Which installment it is, from 1, of an installation fee or extra service; "
        "null for other origins."
    )
    amount: Decimal = strawberry.field(description="The amount owed in R$, above 0.")
    due_date: dt.date = strawberry.field(description="When it falls due (vencimento).")
    status: ReceivableStatus = strawberry.field(description="Open, paid or cancelled.")
    billed_at: dt.datetime | None = strawberry.field(
        description="When it went out on a boleto or invoice (billed ones are never dropped by "
        "a cancellation); null: not billed yet."
    )
    paid_at: dt.datetime | None = strawberry.field(
        description="When it was paid; null unless PAID."
    )
    paid_amount: Decimal | None = strawberry.field(
        description="What was paid in R$; null when not paid."
    )

    @strawberry.field(
        description="Boletos issued for it, oldest first; its second copy (Segunda via Boleto) is "
        "GET /receivables/{id}/boleto.pdf while it is open and not yet due."
    )
    async def boletos(
        self, info: Info
    ) -> list[Annotated[BoletoType, strawberry.lazy("gateway.schema.portal")]]:
        return await RECEIVABLE_BOLETOS.resolve(self, info)
