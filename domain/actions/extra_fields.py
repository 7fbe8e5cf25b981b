"""Setting typed extra fields (campos extras) on a customer or a plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.errors import FieldProblem, NotAllowed, NotFound, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models import Customer, ExtraField, Plan
from domain.models.enums import ExtraFieldType
from domain.rules.extra_fields import canonical_value

MAX_NAME = 100


@dataclass(frozen=True)
class ExtraFieldValue:
    """One field to set; `value` None removes the field."""

    name: str
    value_type: ExtraFieldType
    value: str | None


async def set_extra_fields(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    plan_id: int | None = None,
    fields: Sequence[ExtraFieldValue],
    actor: Identity,
) -> list[ExtraField]:
    """Upserts (or removes) the named fields of one customer or plan; returns all its fields."""
    if actor.role is not Role.STAFF or not actor.has(Permission.CUSTOMER_ADMIN):
        raise NotAllowed(
            _("Setting extra fields needs the CUSTOMER_ADMIN permission."),
            permission=Permission.CUSTOMER_ADMIN.name,
        )
    if (customer_id is None) == (plan_id is None):
        raise ValidationFailed.one("owner", _("give exactly one of customerId and planId"))
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    cleaned: list[ExtraFieldValue] = []
    for index, field in enumerate(fields):
        name = field.name.strip()
        if not name or len(name) > MAX_NAME:
            problems.append(
                FieldProblem(
                    ("fields", str(index), "name"),
                    _("must be 1 to {max_name} characters", max_name=MAX_NAME),
                )
            )
        elif name in seen:
            problems.append(FieldProblem(("fields", str(index), "name"), _("appears twice")))
        seen.add(name)
        value = field.value
        if value is not None:
            try:
                value = canonical_value(field.value_type, value)
            except ValueError as error:
                problems.append(FieldProblem(("fields", str(index), "value"), str(error)))
        cleaned.append(ExtraFieldValue(name=name, value_type=field.value_type, value=value))
    if problems:
        raise ValidationFailed(problems)

    owner_column = ExtraField.customer_id if customer_id is not None else ExtraField.plan_id
    owner_id = customer_id if customer_id is not None else plan_id
    owner_model = Customer if customer_id is not None else Plan
    # Setting fields of one owner waits for another doing so: each sees the other's rows.
    owner = await session.get(owner_model, owner_id, with_for_update=True, populate_existing=True)
    if owner is None:
        raise NotFound(owner_model.__name__, owner_id)

    current = {
        row.name: row
        for row in await session.scalars(select(ExtraField).where(owner_column == owner_id))
    }
    before = {name: row.value for name, row in current.items()}
    for field in cleaned:
        row = current.get(field.name)
        if field.value is None:
            if row is not None:
                await session.delete(row)
                del current[field.name]
        elif row is None:
            row = ExtraField(
                customer_id=customer_id,
                plan_id=plan_id,
                name=field.name,
                value_type=field.value_type,
                value=field.value,
            )
            session.add(row)
            current[field.name] = row
        else:
            row.value_type, row.value = field.value_type, field.value
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="setExtraFields",
        target_type=owner_model.__name__,
        target_id=owner_id,  # type: ignore[arg-type]
        before=before,
        after={name: row.value for name, row in current.items()},
    )
    return sorted(current.values(), key=lambda row: row.id)
