"""setExtraFields: typed key/values on a customer or a plan."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.rules.extra_fields import MAX_TEXT as MAX_TEXT_VALUE
from gateway.schema.base import ExtraFieldType
from gateway.schema.bounds import bounded
from gateway.schema.customers import ExtraFieldEntry
from gateway.schema.errors import AnyUserError, answers


@strawberry.input(description="One field to set; a null value removes it.")
class ExtraFieldInput:
    name: str = strawberry.field(
        description="The field's name, 1 to 100 characters; at most once in the list."
    )
    type: ExtraFieldType = strawberry.field(
        description="The value's type; the value must be one (e.g. YYYY-MM-DD for a DATE)."
    )
    value: str | None = bounded(
        max_length=MAX_TEXT_VALUE,
        multiline=True,
        description="The value as text; null removes it.",
    )


@strawberry.input(description="Give exactly one of customerId and planId.")
class SetExtraFieldsInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer whose fields to set."
    )
    plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="The plan whose fields to set."
    )
    fields: list[ExtraFieldInput] = strawberry.field(
        description="The fields to set or remove; the owner's other fields stay as they are."
    )


@strawberry.type(description="The owner's extra fields after the change.")
class SetExtraFieldsSuccess:
    fields: list[ExtraFieldEntry] = strawberry.field(
        description="Every extra field the owner has now."
    )


SetExtraFieldsResult = Annotated[
    SetExtraFieldsSuccess | AnyUserError,
    strawberry.union("SetExtraFieldsResult", description=answers("setExtraFields")),
]
