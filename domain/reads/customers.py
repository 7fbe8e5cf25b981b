"""Customer searches: filters, ordering and keyset pages for the customers connection."""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import access
from domain.identity import Identity, Role
from domain.models import Address, Customer, Plan
from domain.models.enums import PlanStatus
from domain.reads import keyset
from domain.reads.batched import Reader
from domain.reads.reports import PageSpec


class CustomerOrderField(enum.Enum):
    ID = "ID"
    NAME = "NAME"
    DOCUMENT = "DOCUMENT"
    CREATED_AT = "CREATED_AT"


_ORDER_COLUMNS = {
    CustomerOrderField.ID: Customer.id,
    CustomerOrderField.NAME: Customer.name,
    CustomerOrderField.DOCUMENT: Customer.document,
    CustomerOrderField.CREATED_AT: Customer.created_at,
}


@dataclass(frozen=True)
class CustomerOrder:
    field: CustomerOrderField = CustomerOrderField.ID
    descending: bool = False


@dataclass(frozen=True)
class CustomerFilter:
    """What a customers search keeps; every given criterion must hold."""

    search: str | None = None  # name or document contains
    name_contains: str | None = None
    document_contains: str | None = None
    city: str | None = None
    plan_statuses: Sequence[PlanStatus] = field(default_factory=tuple)
    offer_ids: Sequence[int] = field(default_factory=tuple)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(statement: Select, criteria: CustomerFilter) -> Select:  # type: ignore[type-arg]
    if criteria.search:
        digits = "".join(ch for ch in criteria.search if ch.isdigit())
        condition = Customer.name.ilike(_like(criteria.search), escape="\\")
        if digits:
            condition = condition | Customer.document.like(_like(digits), escape="\\")
        statement = statement.where(condition)
    if criteria.name_contains:
        statement = statement.where(Customer.name.ilike(_like(criteria.name_contains), escape="\\"))
    if criteria.document_contains:
        digits = "".join(ch for ch in criteria.document_contains if ch.isdigit())
        statement = statement.where(Customer.document.like(_like(digits), escape="\\"))
    if criteria.city:
        statement = statement.where(
            exists().where(
                Address.customer_id == Customer.id,
                func.lower(Address.city) == criteria.city.lower(),
            )
        )
    if criteria.plan_statuses or criteria.offer_ids:
        plan_match = exists().where(Plan.customer_id == Customer.id)
        if criteria.plan_statuses:
            plan_match = plan_match.where(Plan.status.in_(list(criteria.plan_statuses)))
        if criteria.offer_ids:
            plan_match = plan_match.where(Plan.offer_id.in_(list(criteria.offer_ids)))
        statement = statement.where(plan_match)
    return statement


Scope = tuple[Role, int] | None  # (role, owner key) of a filtered caller; None: every row


def _scope(identity: Identity | None) -> Scope:
    """What scopes a statement run outside the ORM session (the compiled path): staff read
    every customer (the compiled plan checked their permissions)."""
    if identity is None or identity.role is Role.STAFF:
        return None
    return identity.role, access.owner_key(identity)


def _visible(statement: Select, scope: Scope) -> Select:  # type: ignore[type-arg]
    if scope is None:
        return statement
    role, owner = scope
    criterion = access.row_filter(Customer, Identity(subject="compiled read", role=role), owner)
    return statement if criterion is None else statement.where(criterion)


async def count_customers(
    session: AsyncSession | Reader,
    criteria: CustomerFilter,
    identity: Identity | None = None,
) -> int:
    """How many customers match; `identity` scopes a Reader (a session scopes itself)."""
    counted = _filtered(select(func.count()).select_from(Customer), criteria)
    statement = _visible(counted, _scope(identity))
    return int(await session.scalar(statement) or 0)


def sort_keys(order: Sequence[CustomerOrder]) -> list[keyset.SortKey]:
    """The page's ordering; the id ends it, so that pages never overlap or skip."""
    keys = [keyset.SortKey(_ORDER_COLUMNS[term.field], term.descending) for term in order]
    if not any(term.field is CustomerOrderField.ID for term in order):
        keys.append(keyset.SortKey(Customer.id))
    return keys


def _page(
    statement: Select,  # type: ignore[type-arg]
    criteria: CustomerFilter,
    order: Sequence[CustomerOrder],
    page: PageSpec,
) -> Select:  # type: ignore[type-arg]
    keys = sort_keys(order)
    statement = _filtered(statement, criteria)
    if page.after is not None:
        statement = statement.where(keyset.after(keys, page.after))
    if page.before is not None:
        statement = statement.where(keyset.after(keys, page.before, backward=True))
    return statement.order_by(*keyset.order_by(keys, backward=page.backward)).limit(page.limit)


async def customer_page(
    session: AsyncSession,
    criteria: CustomerFilter,
    order: Sequence[CustomerOrder],
    page: PageSpec,
) -> list[Customer]:
    """One keyset page of matching customers, in page order."""
    if page.limit <= 0:
        return []
    rows = list(await session.scalars(_page(select(Customer), criteria, order, page)))
    return rows[::-1] if page.backward else rows


async def customer_page_rows(
    reader: Reader,
    criteria: CustomerFilter,
    order: Sequence[CustomerOrder],
    page: PageSpec,
    *,
    columns: Sequence[str],
    identity: Identity | None = None,
) -> list[Sequence[Any]]:
    """The same page as `customer_page`, as tuples of the named columns (enums by name)
    followed by the sort key's values."""
    if page.limit <= 0:
        return []
    statement = _page_rows_statement(criteria, tuple(order), page, tuple(columns), _scope(identity))
    rows = await reader.rows(statement)
    return rows[::-1] if page.backward else rows


@functools.lru_cache(maxsize=512)
def _page_rows_statement(
    criteria: CustomerFilter,
    order: tuple[CustomerOrder, ...],
    page: PageSpec,
    columns: tuple[str, ...],
    scope: Scope,
) -> Select:  # type: ignore[type-arg]
    """The page's statement, built once per arguments: most requests ask for the same pages,
    and a statement that is reused keeps its cache key, so it is not even compiled again."""
    table = Customer.__table__
    selected = [table.c[name] for name in columns]
    selected += [key.column for key in sort_keys(order)]
    statement = _visible(select(*selected), scope)
    return _page(statement, criteria, order, page)
