"""setExtraFields: typed key/values on a customer or a plan."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.rules.extra_fields import MAX_TEXT as MAX_TEXT_VALUE
from gateway.schema.base import ExtraFieldType
from gateway.schema.bounds import bounded
from gateway.schema.customers import ExtraFieldEntry
from gateway.schema.errors import AnyUserError


@strawberry.input(description="One field to set; a null value removes it.")
class ExtraFieldInput:
    name: str
    type: ExtraFieldType
    value: str | None = bounded(
        max_length=MAX_TEXT_VALUE,
        multiline=True,
        description="The value as text; null removes it.",
    )


@strawberry.input(description="Give exactly one of customerId and planId.")
class SetExtraFieldsInput:
    customer_id: strawberry.ID | None = None
    plan_id: strawberry.ID | None = None
    fields: list[ExtraFieldInput]


@strawberry.type(description="The owner's extra fields after the change.")
class SetExtraFieldsSuccess:
    fields: list[ExtraFieldEntry]


SetExtraFieldsResult = Annotated[
    SetExtraFieldsSuccess | AnyUserError, strawberry.union("SetExtraFieldsResult")
]
