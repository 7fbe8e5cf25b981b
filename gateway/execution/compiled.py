"""The compiled read path: plan a query operation once, then answer it with one batched statement
per relation level, building plain dicts that orjson encodes directly.

`CompiledReads.run` returns the response's `data`, or raises `Unplannable` (this operation, or
this request's arguments, must go to the standard path, which then gives the reference answer,
errors included).
"""

from __future__ import annotations

import enum
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from graphql import (
    DirectiveNode,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    located_error,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, FragmentDetails, collect_fields
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Path, is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain import access
from domain import models as m
from domain.errors import NotAllowed, ValidationFailed
from domain.identity import Identity, Permission, Role
from domain.reads import customers as customer_reads
from domain.reads.batched import BatchSpec, CompiledBatch, Reader
from gateway.execution.documents import PreparedDocument
from gateway.execution.planner import (
    AbstractShape,
    AttributeOut,
    BatchedOut,
    BatchNode,
    ConstOut,
    Context,
    DerivedOut,
    FoldedOut,
    MethodOut,
    ObjectComputedOut,
    ObjectShape,
    Planner,
    PolyShape,
    Shape,
    Unplannable,
    ValuePlan,
    _StatementBuilder,
    compile_builder,
    compile_grouper,
    type_info,
)
from gateway.execution.resolvers import direct_call
from gateway.loaders.context import GraphQLContext
from gateway.resolvers import customers as customer_resolvers
from gateway.resolvers.me import me_key
from gateway.resolvers.nodes import SERVICE_TYPE_KINDS, is_node_type
from gateway.resolvers.root import ROOT_LISTS
from gateway.schema.base import from_global_id
from gateway.schema.ids import MAX_KEY, database_id
from gateway.settings import Settings


class Fallback(Exception):
    """This request's arguments need the standard path (e.g. a page size out of bounds)."""


# ------------------------------------------------------------------------ building objects

# The parents waiting for each batched field: (their key, the object to fill in).
Pending = defaultdict[BatchedOut, list[tuple[Any, dict[str, Any]]]]


def builder_of(shape: Shape | PolyShape) -> Any:
    """The shape's generated builder function, made on first use."""
    builder = shape.__dict__.get("_builder")
    if builder is None:
        builder = shape.__dict__["_builder"] = compile_builder(shape)
    return builder


def build(shape: Shape | PolyShape, row: Sequence[Any], pending: Pending) -> dict[str, Any] | None:
    """One object from a row."""
    return builder_of(shape)(row, pending)  # type: ignore[no-any-return]


def grouper_of(batch: BatchNode) -> Any:
    """The batch's generated grouping function, made on first use."""
    grouper = batch.__dict__.get("_grouper")
    if grouper is None:
        grouper = batch.__dict__["_grouper"] = compile_grouper(batch)
    return grouper


async def resolve_pending(run: _Run) -> None:
    """Runs each batched relation once for all its parents, level by level."""
    pending = run.pending
    reader, variables, identity = run.reader, run.variables, run.identity
    # Rows read for one statement and one set of keys: the same relation asked for again on
    # the same parents (two roots' payloads of one plan) is read once.
    fetched: dict[tuple[BatchSpec, tuple[Any, ...]], list[Sequence[Any]]] = {}
    while pending:
        level, pending = pending, defaultdict(list)
        for out_field, items in level.items():
            if isinstance(out_field, DerivedOut):
                await _derive(run, out_field, items, pending)
                continue
            batch = out_field.batch
            name = out_field.key
            refusal = access.read_refusal(statement_models(batch), identity)
            if refusal is not None:
                # As on the standard path: the field is null, with an error, for each parent
                # whose key would have been loaded.
                for key, out in items:
                    out[name] = None
                    if key is not None:
                        run.refuse(out, name, out_field.field_nodes, refusal)
                continue
            keys = list(dict.fromkeys(key for key, _ in items if key is not None))
            read = (batch.compiled.spec, tuple(keys))
            rows = fetched.get(read)
            if rows is None:
                rows = fetched[read] = await batch.compiled.fetch(reader, keys, identity)
            wanted = _filters(out_field, variables)
            if wanted:
                rows = [
                    row
                    for row in rows
                    if all(row[position] in allowed for position, allowed in wanted)
                ]
            groups = grouper_of(batch)(rows, pending)
            last = _last(out_field, variables)
            if last is not None:
                groups = {key: group[len(group) - last :] for key, group in groups.items()}
            if batch.many:
                # Parents sharing a key share its list: the answer is only serialized.
                for key, out in items:
                    out[name] = groups.get(key) or []
            else:
                for key, out in items:
                    children = groups.get(key)
                    out[name] = children[0] if children else None


def statement_models(batch: BatchNode) -> list[Any]:
    """The models whose tables the batch's own statement reads, in the statement's order."""
    models = batch.__dict__.get("_models")
    if models is None:
        models = batch.__dict__["_models"] = batch.compiled.models
    return models  # type: ignore[no-any-return]


async def _derive(
    run: _Run,
    out_field: DerivedOut,
    items: list[tuple[Any, dict[str, Any]]],
    pending: Pending,
) -> None:
    """A derived field's values for every parent of the level, from its own batch function."""
    reader, identity = run.reader, run.identity

    async def fetch(
        batch: CompiledBatch, keys: list[Any], parameters: dict[str, Any] | None = None
    ) -> list[Sequence[Any]]:
        refusal = access.read_refusal(batch.models, identity)
        if refusal is not None:
            raise refusal
        return await batch.fetch(reader, keys, identity, parameters)

    keys = list(dict.fromkeys(key for key, _ in items if key is not None))
    arguments = get_argument_values(out_field.field_def, out_field.field_node, run.variables)
    name = out_field.key
    try:
        values = await out_field.derived.batch(fetch, keys, arguments) if keys else {}
    except NotAllowed as refusal:
        for key, out in items:
            out[name] = None
            if key is not None:
                run.refuse(out, name, out_field.field_nodes, refusal)
        return
    for key, out in items:
        out[name] = serialize(out_field.value, values.get(key), pending)


def _filters(out_field: BatchedOut, variables: VariableValues) -> list[tuple[int, set[Any]]]:
    positions = out_field.batch.filter_positions
    if not positions:
        return []
    arguments = get_argument_values(out_field.field_def, out_field.field_node, variables)
    return [
        (position, {_name(value) for value in arguments[argument]})
        for argument, position in positions
        if arguments.get(argument) is not None
    ]


def _last(out_field: BatchedOut, variables: VariableValues) -> int | None:
    """How many of each parent's items a `last` argument keeps (None: every one)."""
    argument = out_field.relation.last
    if argument is None:
        return None
    value = get_argument_values(out_field.field_def, out_field.field_node, variables).get(argument)
    if value is None:
        return None
    if value < 0:
        raise Fallback(f"`{argument}` refused")  # the standard path's error answers it
    return int(value)


def _name(value: Any) -> Any:
    """Rows hold enum members' names; arguments may hold the members themselves."""
    return value.name if isinstance(value, enum.Enum) else value


def plan_models(node: BatchNode | Shape | PolyShape, into: set[Any] | None = None) -> set[Any]:
    """Every model whose table a batch (or shape) reads, its nested batches' included."""
    into = set() if into is None else into
    if isinstance(node, BatchNode):
        into.update(node.compiled.models)
        plan_models(node.shape, into)
    elif isinstance(node, PolyShape):
        for shape in node.shapes.values():
            plan_models(shape, into)
    else:
        for out in node.fields:
            if isinstance(out, BatchedOut):
                plan_models(out.batch, into)
            elif isinstance(out, DerivedOut):
                into.update(out.derived.models)
            elif isinstance(out, FoldedOut):
                plan_models(out.shape, into)
    return into


def check_permissions(identity: Identity | None, needed: frozenset[Permission]) -> None:
    """Staff lacking a read permission a root's own tables need get the standard path, which
    answers them with NotAllowed; everyone else's rows are filtered, not refused."""
    if identity is not None and identity.role is Role.STAFF:
        missing = sorted(p.name for p in needed - identity.permissions)
        if missing:
            raise Fallback(f"staff without the {', '.join(missing)} permission")


# ------------------------------------------------------------------------ root fields


@dataclass
class RootField:
    key: str
    name: str
    node: FieldNode
    field_def: Any
    details: list[FieldDetails]

    def models(self) -> set[Any]:
        """Tables of a root that does not refuse staff field by field: staff lacking one's
        read permission get the standard path (`check_permissions`). The roots planned here
        null the refused fields themselves and name none."""
        return set()


@dataclass
class ListRoot(RootField):
    batch: BatchNode | None = None
    filters: tuple[tuple[str, int], ...] = ()

    async def run(self, run: _Run) -> Any:
        assert self.batch is not None
        arguments = get_argument_values(self.field_def, self.node, run.variables)
        rows = await self.batch.compiled.fetch(run.reader, None, run.identity)
        for argument, position in self.filters:
            if arguments.get(argument) is not None:
                rows = [row for row in rows if row[position] == arguments[argument]]
        return [build(self.batch.shape, row, run.pending) for row in rows]


@dataclass
class ByIdRoot(RootField):
    """`customer(id)` and `node(id)`: plans per runtime type, built on first use."""

    planner: Planner | None = None
    by_type: dict[str, BatchNode] = field(default_factory=dict)

    def _batch(self, type_name: str) -> BatchNode:
        batch = self.by_type.get(type_name)
        if batch is None:
            assert self.planner is not None
            graphql_type = self.planner.context.graphql_schema.get_type(type_name)
            assert isinstance(graphql_type, GraphQLObjectType)
            if type_name in SERVICE_TYPE_KINDS:
                builder = _StatementBuilder(m.Service, key_offset=1)
                builder.position(0, "id")
                shape = self.planner.poly_shape(graphql_type, self.details, builder)
            else:
                model = type_info(self.planner.context.schema, type_name).model
                builder = _StatementBuilder(model, key_offset=1)
                builder.position(0, "id")
                shape = self.planner.shape(graphql_type, self.details, builder, 0)
            spec = BatchSpec(tuple(builder.tables), tuple(builder.columns), "id", ())
            batch = self.by_type[type_name] = BatchNode(CompiledBatch(spec), shape, False, ())
        return batch

    async def fetch(self, run: _Run, type_name: str, pk: int) -> Any:
        batch = self._batch(type_name)
        refusal = access.read_refusal(statement_models(batch), run.identity)
        if refusal is not None:
            run.refuse(None, self.key, [d.node for d in self.details], refusal)
            return None
        rows = await batch.compiled.fetch(run.reader, [pk], run.identity)
        if not rows:
            return None
        return build(batch.shape, rows[0], run.pending)

    async def run(self, run: _Run) -> Any:
        raw = get_argument_values(self.field_def, self.node, run.variables)["id"]
        if self.name == "customer":
            type_name, pk = "Customer", database_id(raw, "Customer")
        else:
            decoded = from_global_id(raw)
            if decoded is None or not 0 < decoded[1] <= MAX_KEY:
                return None
            type_name, pk = decoded
            if not is_node_type(type_name):
                return None
        if pk is None:
            return None
        return await self.fetch(run, type_name, pk)


@dataclass
class MeRoot(ByIdRoot):
    """`me`: the caller's own customer, reseller or voice subscriber (a union), by its key."""

    async def run(self, run: _Run) -> Any:
        found = None if run.identity is None else me_key(run.identity)
        if found is None:
            return None
        type_name, pk = found
        return await self.fetch(run, type_name, pk)


@dataclass
class ConnectionRoot(RootField):
    """`customers(...)`: count, page and the connection's own fields."""

    shape: dict[str, Any] = field(default_factory=dict)  # response key -> part
    columns: tuple[str, ...] = ()
    selected: frozenset[str] = frozenset()  # the connection's fields asked for

    async def run(self, run: _Run) -> Any:
        arguments = get_argument_values(self.field_def, self.node, run.variables)
        filter_values = arguments.get("filter") or {}
        matching = customer_resolvers.criteria(
            search=filter_values.get("search"),
            name_contains=filter_values.get("nameContains"),
            document_contains=filter_values.get("documentContains"),
            city=filter_values.get("city"),
            plan_status=filter_values.get("planStatus"),
            offer_id=filter_values.get("offerId"),
        )
        ordering = customer_resolvers.order(
            [
                (term["field"], term.get("direction", "ASC"))
                for term in arguments.get("orderBy") or ()
            ]
        )
        try:
            page = customer_resolvers.page_window(run.settings, ordering, arguments)
        except ValidationFailed:
            raise Fallback("connection arguments refused") from None
        total = (
            await customer_reads.count_customers(run.reader, matching, run.identity)
            if customer_resolvers.needs_total(self.selected)
            else customer_resolvers.UNCOUNTED
        )
        read = await customer_reads.customer_page_rows(
            run.reader,
            matching,
            ordering,
            page.page,
            columns=self.columns,
            identity=run.identity,
        )
        rows, has_next, has_previous = page.cut(read)
        width = len(self.columns)
        cursors = [customer_resolvers.cursor_of(ordering, row[width:]) for row in rows]
        out: dict[str, Any] = {}
        for key, (part, detail) in self.shape.items():
            if part == "__typename":
                out[key] = "CustomerConnection"
            elif part == "totalCount":
                out[key] = total
            elif part == "nodes":
                out[key] = [build(detail, row, run.pending) for row in rows]
            elif part == "pageInfo":
                values = {
                    "__typename": "PageInfo",
                    "hasNextPage": has_next,
                    "hasPreviousPage": has_previous,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                }
                out[key] = {k: values[name] for k, name in detail}
            else:  # edges
                edges = []
                for cursor, row in zip(cursors, rows, strict=True):
                    edge: dict[str, Any] = {}
                    for k, (name, node_shape) in detail.items():
                        if name == "__typename":
                            edge[k] = "CustomerEdge"
                        elif name == "cursor":
                            edge[k] = cursor
                        else:
                            edge[k] = build(node_shape, row, run.pending)
                    edges.append(edge)
                out[key] = edges
        return out


class RootRequest(NamedTuple):
    """A root field of the operation, for the function that plans it (`ROOTS`)."""

    planner: Planner
    key: str
    name: str
    node: FieldNode
    field_def: Any
    details: list[FieldDetails]


@dataclass
class ResolverRoot(RootField):
    """A root whose value one domain read or check computes (a statement's totals, a filtered
    search, a preview): its own resolver runs, exactly as on the standard path, on a session
    scoped to the caller; the planner turns the objects it returns into the answer and reads
    their relations in batched statements."""

    value: ValuePlan | None = None
    context: Context | None = None

    async def run(self, run: _Run) -> Any:
        assert self.value is not None and self.context is not None
        query_type = self.context.graphql_schema.query_type
        assert query_type is not None
        result = await call_resolver(
            self, self.context, query_type, run.variables, await run.resolver_context()
        )
        return serialize(self.value, result, run.pending)


async def call_resolver(
    root: RootField,
    context: Context,
    parent_type: GraphQLObjectType,
    variables: VariableValues,
    context_value: Any,
) -> Any:
    """What the root field's own resolver returns, called as graphql-core would call it: its
    arguments coerced from the variables, its Strawberry wrapper (arguments converted to their
    input types, field extensions) included. A resolver that raises is Fallback: the standard
    path answers with its own located error."""
    info = GraphQLResolveInfo(
        root.name,
        [d.node for d in root.details],
        root.field_def.type,
        parent_type,
        Path(None, root.key, parent_type.name),
        context.graphql_schema,
        {name: fragment.definition for name, fragment in context.fragments.items()},
        None,
        context.operation,
        variables,  # type: ignore[arg-type]
        context_value,
        is_awaitable,
        None,
        None,  # type: ignore[arg-type]
    )
    arguments = get_argument_values(root.field_def, root.node, variables)
    # With inputs past their bounds RefuseOutOfBounds answers (not on these roads: belt and
    # braces), through Strawberry's wrapper.
    direct = None if context_value.refused else direct_call(root.field_def, context.schema)
    try:
        if direct is not None:
            result = direct(None, info, arguments)
        else:
            result = root.field_def.resolve(None, info, **arguments)
        if is_awaitable(result):
            result = await result
    except Exception as error:
        raise Fallback(f"{root.name} raised {type(error).__name__}") from error
    return result


def serialize(plan: ValuePlan, value: Any, pending: Pending) -> Any:
    """The JSON value of a Python value (a resolver's result), as graphql-core completes it:
    leaves through their scalar's `serialize`, objects by their shape, relations queued."""
    return _serialize(plan, value, plan.depth, pending)


def _serialize(plan: ValuePlan, value: Any, depth: int, pending: Pending) -> Any:
    if value is None:
        return None
    if depth:
        return [_serialize(plan, item, depth - 1, pending) for item in value]
    shape = plan.nested
    if shape is None:
        assert plan.serialize is not None
        return plan.serialize(value)
    if isinstance(shape, AbstractShape):
        shape = shape.shapes[type(value).__strawberry_definition__.name]
    return serialize_object(shape, value, pending)


def serialize_object(shape: ObjectShape, obj: Any, pending: Pending) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in shape.fields:
        kind = type(f)
        if kind is AttributeOut:
            out[f.key] = _serialize(f.value, getattr(obj, f.attribute), f.value.depth, pending)
        elif kind is ConstOut:
            out[f.key] = f.value
        elif kind is ObjectComputedOut:
            out[f.key] = f.function(*(getattr(obj, a) for a in f.attributes))
        elif kind is MethodOut:
            out[f.key] = _serialize(f.value, f.method(obj), f.value.depth, pending)
        else:
            out[f.key] = None  # filled in when its statement has run
            pending[f.out].append((getattr(obj, f.attribute), out))
    return out


@dataclass
class _Run:
    reader: Reader
    settings: Settings
    variables: VariableValues
    identity: Identity | None  # None: every row (system use); else the caller's rows only
    pending: Pending = field(default_factory=lambda: defaultdict(list))
    sessions: Any = None  # the session factory, for resolver roots
    request: Any = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _context: Any = None
    # Fields refused for want of a read permission: (parent object, or None for a root; its
    # key; the field's nodes; the refusal), in the order the standard path meets them.
    refusals: list[tuple[Any, str, list[FieldNode], NotAllowed]] = field(default_factory=list)

    def refuse(self, parent: Any, key: str, nodes: list[FieldNode], refusal: NotAllowed) -> None:
        self.refusals.append((parent, key, nodes, refusal))

    async def resolver_context(self) -> Any:
        """The standard path's request context (a session scoped to the caller), opened for
        the first resolver root and closed when the operation's answer is built."""
        if self._context is None:
            if self.sessions is None or self.identity is None:
                raise Fallback("no session for a resolver root")
            session = await self.stack.enter_async_context(self.sessions())
            context = GraphQLContext.for_session(
                session, self.settings, self.request, identity=self.identity
            )
            self.stack.push_async_callback(context.db.finish)
            self._context = context
        return self._context

    def errors(self, data: dict[str, Any]) -> list[GraphQLError]:
        """The located errors of the refused fields: one per place each parent sits in the
        answer (a shared object sits in several), as graphql-core reports them."""
        if not self.refusals:
            return []
        paths = _paths(data)
        errors = []
        for parent, key, nodes, refusal in self.refusals:
            for path in [[]] if parent is None else paths.get(id(parent), []):
                errors.append(located_error(refusal, nodes, [*path, key]))
        return errors


def _paths(data: Any) -> dict[int, list[list[str | int]]]:
    """Where each object of the answer sits (the response paths of each dict, by id)."""
    found: dict[int, list[list[str | int]]] = defaultdict(list)

    def walk(value: Any, path: list[str | int]) -> None:
        if isinstance(value, dict):
            found[id(value)].append(path)
            for key, item in value.items():
                walk(item, [*path, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, [*path, index])

    walk(data, [])
    return found


# ------------------------------------------------------------------------ planning


@dataclass
class CompiledOperation:
    roots: list[RootField]
    # What staff need to read the tables of the roots that do not refuse field by field
    # themselves (`RootField.models`): lacking one, the standard path answers.
    needs: frozenset[Permission] = frozenset()

    async def run(
        self,
        reader: Reader,
        settings: Settings,
        variables: VariableValues,
        identity: Identity | None,
        *,
        sessions: Any = None,
        request: Any = None,
    ) -> tuple[dict[str, Any], list[GraphQLError]]:
        """The operation's `data` and errors (fields refused to staff lacking a read
        permission). `sessions` (the session factory) serves resolver roots."""
        check_permissions(identity, self.needs)
        run = _Run(reader, settings, variables, identity, sessions=sessions, request=request)
        data: dict[str, Any] = {}
        async with run.stack:
            for root in self.roots:
                if root.name == "__typename":
                    data[root.key] = "Query"
                else:
                    data[root.key] = await root.run(run)  # type: ignore[attr-defined]
            await resolve_pending(run)
        return data, run.errors(data)


@dataclass
class MutationPayloads:
    """A mutation's plan: the payload of each root field (by response key) the planner builds
    from the object its resolver returned, once the action has run; a field it cannot plan
    (`reasons`) is completed by graphql-core as before.

    When every field is planned, `resolve` calls the root fields' resolvers itself, one after
    another as graphql-core's serial execution does, and graphql-core does not run at all
    (ADR 0250); otherwise graphql-core runs the operation and `PayloadCapture` keeps the
    planned fields' results."""

    payloads: dict[str, ValuePlan]
    reasons: dict[str, str]
    roots: list[RootField] = field(default_factory=list)  # every root field, in order
    context: Context | None = None

    @property
    def executor(self) -> str:
        if self.reasons:
            return f"standard; reason={next(iter(self.reasons.values()))}"
        return "compiled"

    @property
    def direct(self) -> bool:
        """Whether `resolve` serves the operation (every root field's payload is planned)."""
        return not self.reasons

    async def resolve(self, variables: VariableValues, context_value: Any) -> dict[str, Any]:
        """The resolvers' results by response key, in the operation's order (`__typename`:
        its value). Fallback when one raises: nothing it did may be committed, and the
        standard path answers with the located error."""
        assert self.context is not None
        mutation_type = self.context.graphql_schema.mutation_type
        assert mutation_type is not None
        results: dict[str, Any] = {}
        for root in self.roots:
            if root.name == "__typename":
                results[root.key] = mutation_type.name
            else:
                results[root.key] = await call_resolver(
                    root, self.context, mutation_type, variables, context_value
                )
        return results

    async def build(
        self,
        reader: Reader,
        captured: dict[str, Any],
        settings: Settings,
        variables: VariableValues,
        identity: Identity | None,
    ) -> tuple[dict[str, Any], list[GraphQLError]]:
        """The payloads of the captured results (response key -> resolver's result), read on
        `reader` (the mutation's own connection: its transaction's rows), and the errors of
        fields refused to staff lacking a read permission."""
        run = _Run(reader, settings, variables, identity)
        data = {
            key: serialize(self.payloads[key], value, run.pending)
            for key, value in captured.items()
        }
        await resolve_pending(run)
        return data, run.errors(data)


class PayloadCapture(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, except that the root fields a MutationPayloads plans are not
    completed: their resolver's result (the action's outcome) is kept in `captured`, for the
    planner to build the payload from. Everything else, the action included, runs as ever."""

    def __init__(
        self,
        *args: Any,
        payloads: MutationPayloads | None = None,
        captured: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.planned = {} if payloads is None else payloads.payloads
        self.captured = {} if captured is None else captured

    def complete_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        *rest: Any,
    ) -> Any:
        if path.prev is None and path.key in self.planned:
            self.captured[path.key] = result
            return None  # replaced by the planned payload
        return super().complete_value(return_type, field_details_list, info, path, result, *rest)


def _directive_variables(
    operation: OperationDefinitionNode, fragments: dict[str, Any]
) -> tuple[str, ...]:
    """Variables that @skip/@include read: they change the plan's shape, so they key the cache."""
    names: set[str] = set()

    class Collect(Visitor):
        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments:
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)

    visit(operation, Collect())
    for fragment in fragments.values():
        visit(fragment.definition, Collect())
    return tuple(sorted(names))


# Plans one root field: (planner, response key, field name, node, field definition, details).
RootPlanner = Callable[[Planner, str, str, FieldNode, Any, list[FieldDetails]], RootField]


def root_fields(
    schema: Any,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDetails],
    variables: VariableValues,
) -> tuple[Planner, GraphQLObjectType, dict[str, list[FieldDetails]]]:
    """A planner for the operation, its root type, and its root fields by response key (as
    graphql-core collects them: fragments, @skip/@include)."""
    graphql_schema = schema._schema
    root_type = graphql_schema.get_root_type(operation.operation)
    assert root_type is not None
    planner = Planner(Context(schema, graphql_schema, fragments, variables, operation))
    grouped = collect_fields(graphql_schema, fragments, variables, root_type, operation)
    return planner, root_type, grouped.grouped_field_set


class PlanCache:
    """Plans, or the reason none could be made, by document, operation and the values of the
    variables its @skip/@include read; the least recently used dropped past `size`."""

    def __init__(self, graphql_schema: Any, size: int) -> None:
        self.graphql_schema = graphql_schema
        self.size = size
        self._plans: OrderedDict[Any, Any] = OrderedDict()
        self._shape_variables: dict[tuple[str, str | None], tuple[str, ...]] = {}

    def plan(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        source: str,
        inputs: dict[str, Any] | None,
        make: Callable[[OperationDefinitionNode, dict[str, FragmentDetails], VariableValues], Any],
    ) -> tuple[Any, VariableValues]:
        """`make`'s plan for this request (made once per key) and its variables, or
        Unplannable with the reason."""
        variables = get_variable_values(
            self.graphql_schema, operation.variable_definitions or (), inputs or {}
        )
        if isinstance(variables, list):
            raise Unplannable("variables do not coerce")
        assert prepared.document is not None
        fragments = {
            d.name.value: FragmentDetails(d)
            for d in prepared.document.definitions
            if d.kind == "fragment_definition"
        }
        operation_key = (source, operation.name.value if operation.name else None)
        shape_variables = self._shape_variables.get(operation_key)
        if shape_variables is None:
            shape_variables = self._shape_variables[operation_key] = _directive_variables(
                operation, fragments
            )
            if len(self._shape_variables) > self.size:
                self._shape_variables.pop(next(iter(self._shape_variables)))
        key = (*operation_key, tuple(repr(variables.coerced.get(n)) for n in shape_variables))
        plan = self._plans.get(key)
        if plan is None:
            try:
                plan = make(operation, fragments, variables)
            except Unplannable as error:
                plan = str(error)
            self._plans[key] = plan
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        if isinstance(plan, str):
            raise Unplannable(plan)
        return plan, variables


class CompiledReads:
    """Plans (cached per document, operation and @skip/@include values) and runs them."""

    def __init__(
        self, schema: Any, max_plans: int = 256, roots: dict[str, RootPlanner] | None = None
    ) -> None:
        self.schema = schema
        # Root fields planned by modules of their own (the report roots, ADR 0151).
        self.roots = roots or {}
        self.graphql_schema = schema._schema
        self._plans = PlanCache(self.graphql_schema, max_plans)

    def prepare(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        source: str,
        inputs: dict[str, Any] | None,
    ) -> tuple[Any, VariableValues]:
        """The plan for this request (a query's, or a mutation's payloads), or Unplannable
        with the reason."""
        if operation.operation is OperationType.SUBSCRIPTION:
            raise Unplannable("subscriptions run on the standard path")
        make = self._plan_payloads if operation.operation is OperationType.MUTATION else self._plan
        return self._plans.plan(prepared, operation, source, inputs, make)

    def _plan(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
    ) -> CompiledOperation:
        planner, query_type, grouped = root_fields(self.schema, operation, fragments, variables)
        roots: list[RootField] = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                roots.append(RootField(key, name, node, None, details))
                continue
            field_def = query_type.fields.get(name)
            plan_root = ROOTS.get(name)
            if field_def is None or (plan_root is None and name not in self.roots):
                raise Unplannable(f"root field {name} is not plannable")
            if name in self.roots:  # planned by a module of its own (the report roots)
                roots.append(self.roots[name](planner, key, name, node, field_def, details))
            else:
                assert plan_root is not None
                request = RootRequest(planner, key, name, node, field_def, details)
                roots.append(plan_root(self, request))
        models = set().union(*(root.models() for root in roots))
        return CompiledOperation(roots, access.read_permissions(models))

    def list_root(self, request: RootRequest) -> ListRoot:
        planner, key, name, node, field_def, details = request
        declaration = ROOT_LISTS[name]
        graphql_type = self.graphql_schema.get_type(declaration.type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        model = type_info(self.schema, declaration.type_name).model
        builder = _StatementBuilder(model, key_offset=0)
        builder.position(0, "id")
        shape = planner.shape(graphql_type, details, builder, 0)
        filters = tuple(
            (argument, builder.position(0, model.__mapper__.columns[attribute].name))
            for argument, attribute in declaration.filters
        )
        spec = BatchSpec(tuple(builder.tables), tuple(builder.columns), None, ("id",))
        batch = BatchNode(CompiledBatch(spec), shape, True, ())
        return ListRoot(key, name, node, field_def, details, batch=batch, filters=filters)

    def _plan_payloads(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
    ) -> MutationPayloads:
        planner, mutation_type, grouped = root_fields(self.schema, operation, fragments, variables)
        payloads: dict[str, ValuePlan] = {}
        reasons: dict[str, str] = {}
        roots: list[RootField] = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            field_def = mutation_type.fields.get(name)
            roots.append(RootField(key, name, node, field_def, details))
            if field_def is None:
                continue  # __typename
            try:
                payloads[key] = planner.value_plan(field_def.type, details)
            except Unplannable as error:
                reasons[key] = str(error)
        return MutationPayloads(payloads, reasons, roots, planner.context)

    def resolver_root(self, request: RootRequest) -> ResolverRoot:
        planner, key, name, node, field_def, details = request
        value = planner.value_plan(field_def.type, details)
        return ResolverRoot(
            key, name, node, field_def, details, value=value, context=planner.context
        )

    def connection_root(self, request: RootRequest) -> ConnectionRoot:
        planner, key, name, node, field_def, details = request
        schema = self.graphql_schema
        connection_type = schema.get_type("CustomerConnection")
        edge_type = schema.get_type("CustomerEdge")
        page_info_type = schema.get_type("PageInfo")
        customer_type = schema.get_type("Customer")
        assert isinstance(connection_type, GraphQLObjectType)
        assert isinstance(edge_type, GraphQLObjectType)
        assert isinstance(page_info_type, GraphQLObjectType)
        assert isinstance(customer_type, GraphQLObjectType)
        builder = _StatementBuilder(m.Customer, key_offset=0)
        builder.position(0, "id")  # a page selecting no column still has its rows
        parts: dict[str, Any] = {}
        for part_key, part_details in planner.subfields(connection_type, details).items():
            part = part_details[0].node.name.value
            if part in ("__typename", "totalCount"):
                parts[part_key] = (part, None)
            elif part == "nodes":
                parts[part_key] = (part, planner.shape(customer_type, part_details, builder, 0))
            elif part == "pageInfo":
                fields = [
                    (k, d[0].node.name.value)
                    for k, d in planner.subfields(page_info_type, part_details).items()
                ]
                parts[part_key] = (part, fields)
            elif part == "edges":
                edge_parts: dict[str, Any] = {}
                for edge_key, edge_details in planner.subfields(edge_type, part_details).items():
                    edge_field = edge_details[0].node.name.value
                    if edge_field == "node":
                        edge_parts[edge_key] = (
                            edge_field,
                            planner.shape(customer_type, edge_details, builder, 0),
                        )
                    else:
                        edge_parts[edge_key] = (edge_field, None)
                parts[part_key] = (part, edge_parts)
            else:
                raise Unplannable(f"CustomerConnection.{part} is not plannable")
        if len(builder.tables) > 1:
            raise Unplannable("the customers page reads one table")
        columns = tuple(column for _, column in builder.columns)
        selected = frozenset(part for part, _ in parts.values())
        return ConnectionRoot(
            key, name, node, field_def, details, shape=parts, columns=columns, selected=selected
        )


def _by_id_root(kind: type[ByIdRoot]) -> Callable[[CompiledReads, RootRequest], RootField]:
    def plan(_reads: CompiledReads, request: RootRequest) -> RootField:
        planner, key, name, node, field_def, details = request
        return kind(key, name, node, field_def, details, planner=planner)

    return plan


# Root field -> how the compiled path plans it. A root not listed here runs on the standard
# path; tests/gateway/test_compiled_reads.py lists each such root with its reason.
ROOTS: dict[str, Callable[[CompiledReads, RootRequest], RootField]] = {
    **dict.fromkeys(ROOT_LISTS, CompiledReads.list_root),
    "customer": _by_id_root(ByIdRoot),
    "node": _by_id_root(ByIdRoot),
    "me": _by_id_root(MeRoot),
    "customers": CompiledReads.connection_root,
    **dict.fromkeys(
        (
            "connectionStatement",
            "callStatement",
            "voiceLineCallStatement",
            "tickets",
            "dueDateChangePreview",
            "validateAddPlan",
            "equipmentByCasn",
            "tvPointPlatformData",
            "tvBillingPreview",
            "voicePanelUsername",
            "customerDataExport",
            "authenticationDiagnosis",
            "freeSlots",
        ),
        CompiledReads.resolver_root,
    ),
}
