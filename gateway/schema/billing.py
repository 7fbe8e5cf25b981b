"""Money types: receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import models as m
from gateway.loaders import portal as portal_loaders
from gateway.schema.base import FromModel, Info, Node, ReceivableOrigin, ReceivableStatus
from gateway.schema.relations import Relation

if TYPE_CHECKING:
    from gateway.schema.portal import BoletoType


RECEIVABLE_BOLETOS = Relation(
    "Receivable", "boletos", portal_loaders.BoletosByReceivableIdLoader, "id", "Boleto", many=True
)


@strawberry.type(name="Receivable", description="An amount owed on a due date, open or paid.")
class ReceivableType(FromModel, Node):
    graphql_name = "Receivable"
    model = m.Receivable
    database_id: int
    origin: ReceivableOrigin
    description: str
    installment_number: int | None
    amount: Decimal
    due_date: dt.date
    status: ReceivableStatus
    billed_at: dt.datetime | None
    paid_at: dt.datetime | None
    paid_amount: Decimal | None

    @strawberry.field(
        description="Boletos issued for it; its second copy is GET "
        "/receivables/{id}/boleto.pdf while it is open and not yet due."
    )
    async def boletos(
        self, info: Info
    ) -> list[Annotated[BoletoType, strawberry.lazy("gateway.schema.portal")]]:
        return await RECEIVABLE_BOLETOS.resolve(self, info)
