"""Root fields refused by the input check answer with their ValidationError (ADR 0120)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from domain.errors import ValidationFailed
from gateway.schema.base import Info
from gateway.schema.errors import user_error


class RefuseOutOfBounds(FieldExtension):
    """A root field whose arguments went past their bounds (gateway.execution.inputs put the
    problems in `info.context.refused`) answers with the ValidationError, as data, without
    running its resolver; every other call goes through untouched."""

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        problems = info.context.refused.get(info.path.key)
        if problems:
            return user_error(ValidationFailed(problems))
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        problems = info.context.refused.get(info.path.key)
        if problems:
            return user_error(ValidationFailed(problems))
        return await next_(source, info, **kwargs)


def refuse_out_of_bounds(*roots: type) -> None:
    """Puts the extension on every field of the root types, before the schema is built: a root
    field added later is covered without declaring anything."""
    for root in roots:
        definition: StrawberryObjectDefinition = root.__strawberry_definition__  # type: ignore[attr-defined]
        for root_field in definition.fields:
            if not any(isinstance(e, RefuseOutOfBounds) for e in root_field.extensions):
                root_field.extensions.append(RefuseOutOfBounds())
