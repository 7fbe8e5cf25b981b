"""Root fields of extra fields: setExtraFields."""

from __future__ import annotations

import strawberry

from domain.actions.extra_fields import ExtraFieldValue, set_extra_fields
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.customers import ExtraFieldEntry
from gateway.schema.extra_fields import (
    SetExtraFieldsInput,
    SetExtraFieldsResult,
    SetExtraFieldsSuccess,
)
from gateway.schema.ids import database_id


@strawberry.type
class ExtraFieldMutations:
    @strawberry.mutation(description="Sets, changes or removes extra fields of one owner.")
    async def set_extra_fields(
        self, info: Info, input: SetExtraFieldsInput
    ) -> SetExtraFieldsResult:
        customer_id = plan_id = None
        if input.customer_id is not None:
            customer_id = database_id(input.customer_id, "Customer") or -1
        if input.plan_id is not None:
            plan_id = database_id(input.plan_id, "Plan") or -1
        values = [
            ExtraFieldValue(name=f.name, value_type=f.type, value=f.value) for f in input.fields
        ]
        result = await perform(
            info,
            lambda session: set_extra_fields(
                session,
                customer_id=customer_id,
                plan_id=plan_id,
                fields=values,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, list):
            return SetExtraFieldsSuccess(fields=ExtraFieldEntry.from_models(result))
        return result  # type: ignore[return-value]
