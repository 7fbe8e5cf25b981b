"""The graph's relations, declared once: which loader (and so which table and key) each relation
field reads, which arguments filter it and how its items are ordered.

The Strawberry types resolve their relation fields through these declarations, and the compiled
read planner (gateway/execution/planner.py) reads the same declarations to build its batched
statements, so the two paths cannot disagree about what a field means.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import GraphQLError

from domain.i18n import _
from gateway.loaders.base import DerivedLoader, RequestLoader
from gateway.schema.base import Info, model_type

RELATIONS: dict[tuple[str, str], Relation] = {}


@dataclass(frozen=True, eq=False)
class Relation:
    """`owner.field` holds the rows its `loader` returns for the parent's `parent_key`."""

    owner: str  # GraphQL type that has the field
    field: str  # GraphQL field name
    loader: type[RequestLoader[Any]]
    parent_key: str  # model attribute of the parent that is the loader's key
    target: str  # GraphQL type of the items ("Service" for the interface)
    many: bool
    filters: tuple[tuple[str, str], ...] = ()  # (GraphQL argument, model attribute)
    sort: tuple[str, ...] = ()  # re-order each group by these attributes (else: loader order)
    scalar: str | None = None  # a list of this attribute's values instead of objects
    last: str | None = None  # an argument keeping each parent's last N items only

    def __post_init__(self) -> None:
        RELATIONS[(self.owner, self.field)] = self

    @property
    def parent_attribute(self) -> str:
        """The parent's attribute on a Strawberry type, where the primary key is `database_id`."""
        return "database_id" if self.parent_key == "id" else self.parent_key

    def build(self) -> Callable[[Any], Any]:
        return model_type(self.target).from_model

    def select(self, rows: list[Any], arguments: dict[str, Any]) -> list[Any]:
        """The rows the field's arguments keep, in the field's order."""
        for argument, attribute in self.filters:
            wanted = arguments.get(argument)
            if wanted is not None:
                rows = [row for row in rows if getattr(row, attribute) in wanted]
        if self.sort:
            rows = sorted(rows, key=attrgetter(*self.sort))
        if self.last is not None and arguments.get(self.last) is not None:
            rows = rows[len(rows) - last_count(arguments[self.last], self.last) :]
        return rows

    async def resolve(self, parent: Any, info: Info, **arguments: Any) -> Any:
        """The field's value on the standard (Strawberry + DataLoader) path."""
        key = getattr(parent, self.parent_attribute)
        if key is None:
            return [] if self.many else None
        loaded = await info.context.loaders.get(self.loader).load(key)
        if not self.many:
            return None if loaded is None else self.build()(loaded)
        rows = self.select(loaded, arguments)
        if self.scalar is not None:
            return [getattr(row, self.scalar) for row in rows]
        build = self.build()
        return [build(row) for row in rows]


def last_count(value: int, argument: str) -> int:
    """How many items a `last` argument keeps; a negative one is refused (on both paths)."""
    if value < 0:
        raise GraphQLError(
            str(_("`{argument}` must be 0 or more.", argument=argument)),
            extensions={"code": "BAD_USER_INPUT"},
        )
    return value


COMPUTED: dict[tuple[str, str], Computed] = {}


@dataclass(frozen=True, eq=False)
class Computed:
    """`owner.field` is `function` of some of the row's attributes, on both read paths."""

    owner: str
    field: str
    attributes: tuple[str, ...]
    function: Callable[..., Any]

    def __post_init__(self) -> None:
        COMPUTED[(self.owner, self.field)] = self

    def resolve(self, parent: Any) -> Any:
        return self.function(*(getattr(parent, attribute) for attribute in self.attributes))


DERIVED: dict[tuple[str, str], Derived] = {}

# Fetches a domain read's batched statement (domain.reads.batched.CompiledBatch) for some keys
# and parameters, scoped to the caller: rows are tuples, the key first, enum columns holding
# their members' names, on the standard path (its session's connection) and the compiled one.
Fetch = Callable[..., Awaitable[list[Sequence[Any]]]]


@dataclass(frozen=True, eq=False)
class Derived:
    """`owner.field` is computed for many parents at once, from their `parent_key` and the
    field's arguments: `batch(fetch, keys, arguments)` returns each key's value (a Strawberry
    object), reading with `fetch` (a domain read's batched statement, scoped to the caller) as
    few statements as it needs whatever the number of keys. `arguments` are graphql-core's
    coerced values (input objects as dicts). The standard path batches it with a DataLoader
    per request; the compiled path calls it once per level: both paths run the same code."""

    owner: str
    field: str
    parent_key: str  # model attribute of the parent
    batch: Callable[[Fetch, list[Any], dict[str, Any]], Awaitable[dict[Any, Any]]]
    models: tuple[Any, ...] = ()  # the tables it reads (read permissions of staff)

    def __post_init__(self) -> None:
        DERIVED[(self.owner, self.field)] = self
        loader = type(
            f"{self.owner}{self.field[:1].upper()}{self.field[1:]}Loader", (DerivedLoader,), {}
        )
        loader.derived = self  # type: ignore[attr-defined]
        object.__setattr__(self, "loader", loader)

    @property
    def parent_attribute(self) -> str:
        return "database_id" if self.parent_key == "id" else self.parent_key

    async def resolve(self, parent: Any, info: Info, **arguments: Any) -> Any:
        """The field's value on the standard path."""
        loader = info.context.loaders.get(self.loader)  # type: ignore[attr-defined]
        return await loader.load_for(getattr(parent, self.parent_attribute), arguments)
