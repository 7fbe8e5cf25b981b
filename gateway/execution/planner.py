"""Compiled read plans: a validated query operation turned into batched statements and shapes.

The planner walks the operation with graphql-core's own field collection (so fragments,
aliases, `@skip`/`@include` and response order are exactly the standard executor's), and maps
each field through the declarations the Strawberry types use themselves: the model behind each
type (`FromModel.model`), plain attributes, computed fields (`gateway.schema.relations.COMPUTED`)
and relations (`RELATIONS`). Each relation becomes one batched statement per request (to-one
relations are folded into their parent's statement as LEFT JOINs), whatever the page size.

A field it does not know raises `Unplannable`, and the whole operation goes to the standard path.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_subfields,
)
from graphql.execution.values import VariableValues

from domain import access
from domain import models as m
from domain.reads.batched import BatchSpec, CompiledBatch, TableRef
from gateway.loaders import base as loader_base
from gateway.schema.base import model_type, to_global_id
from gateway.schema.relations import COMPUTED, DERIVED, RELATIONS, Derived, Relation
from gateway.schema.services import SERVICE_TYPES


class Unplannable(Exception):
    """The operation needs the standard path; the message says why."""


# ---------------------------------------------------------------------------------- shapes


@dataclass
class ScalarOut:
    key: str
    position: int
    convert: Callable[[Any], Any] | None


@dataclass
class ConstOut:
    key: str
    value: Any


@dataclass
class GlobalIdOut:
    key: str
    type_name: str
    position: int


@dataclass
class ComputedOut:
    key: str
    function: Callable[..., Any]
    positions: tuple[int, ...]


@dataclass
class FoldedOut:
    """A to-one relation read in the parent's own statement: null when its id is null."""

    key: str
    id_position: int
    shape: Shape


@dataclass(eq=False)  # hashed by identity: it keys the parents waiting for its statement
class BatchedOut:
    """A relation read by a statement of its own, for every parent of the level at once."""

    key: str
    batch: BatchNode
    parent_position: int
    relation: Relation
    field_node: FieldNode
    field_def: Any
    field_nodes: list[FieldNode] = field(default_factory=list)  # where a refusal is located


@dataclass(eq=False)  # hashed by identity, like BatchedOut
class DerivedOut:
    """A derived field (relations.Derived), computed for every parent of the level at once."""

    key: str
    derived: Derived
    parent_position: int
    value: ValuePlan
    field_node: FieldNode
    field_def: Any
    field_nodes: list[FieldNode] = field(default_factory=list)


@dataclass
class Shape:
    """How to build one object of a concrete type from a row."""

    type_name: str
    fields: list[Any] = field(default_factory=list)


@dataclass
class PolyShape:
    """Objects of an interface: the row's kind picks the concrete shape."""

    kind_position: int
    shapes: dict[str, Shape]


@dataclass
class BatchNode:
    """One batched statement and how to build the objects of its rows."""

    compiled: CompiledBatch
    shape: Shape | PolyShape
    many: bool
    filter_positions: tuple[tuple[str, int], ...]  # (argument, row position)
    scalar_position: int | None = None  # a list of one column's values, not objects


@dataclass
class ValuePlan:
    """How to serialize a Python value of one GraphQL output type (not read from a row):
    `depth` list levels around a leaf (`serialize`, the scalar's own) or an object (`nested`)."""

    depth: int
    serialize: Callable[[Any], Any] | None = None
    nested: ObjectShape | AbstractShape | None = None


@dataclass
class AttributeOut:
    """A plain field of a Python object (a Strawberry type's instance): its attribute."""

    key: str
    attribute: str
    value: ValuePlan


@dataclass
class MethodOut:
    """A field whose resolver is a plain method of the object (`self` only, synchronous):
    e.g. `UserError.code`; the method is called, as graphql-core would."""

    key: str
    method: Callable[[Any], Any]
    value: ValuePlan


def _plain_method(strawberry_field: Any) -> bool:
    resolver = strawberry_field.base_resolver
    if resolver is None or resolver.is_async:
        return False
    parameters = list(inspect.signature(resolver.wrapped_func).parameters)
    return parameters == ["self"]


@dataclass
class ObjectComputedOut:
    key: str
    function: Callable[..., Any]
    attributes: tuple[str, ...]


@dataclass
class ObjectBatchedOut:
    """A relation of a Python object, read by a batched statement keyed by its attribute."""

    key: str
    attribute: str
    out: BatchedOut | DerivedOut


@dataclass
class ObjectShape:
    """How to turn a Python object (a resolver's or an action's result) into a dict: plain
    fields from its attributes, relations batched by the planner like a row's."""

    type_name: str
    fields: list[Any] = field(default_factory=list)


@dataclass
class AbstractShape:
    """Objects of a union or interface: the object's own Strawberry type picks the shape."""

    shapes: dict[str, ObjectShape]


_EXACT = {"Int": int, "Float": float, "String": str, "Boolean": bool, "ID": str}
_INT_RANGE = range(-(2**31), 2**31)


def fast_serializer(graphql_type: Any) -> Callable[[Any], Any]:
    """A leaf's serializer that answers what its scalar's (or enum's) own `serialize` would,
    without its checks when the value already is the JSON value: a str for String, an int in
    range for Int, an enum member by a lookup. Anything else goes to `serialize` itself."""
    serialize: Callable[[Any], Any] = graphql_type.serialize
    exact = _EXACT.get(graphql_type.name)
    if exact is int:

        def as_int(value: Any) -> Any:
            return value if type(value) is int and value in _INT_RANGE else serialize(value)

        return as_int
    if exact is not None:

        def as_is(value: Any) -> Any:
            return value if type(value) is exact else serialize(value)

        return as_is
    wrapped = getattr(graphql_type, "wrapped_cls", None)
    if wrapped is not None:  # a Strawberry enum: its members' names
        names = {member: serialize(member) for member in wrapped}

        def member_name(value: Any) -> Any:
            name = names.get(value) if isinstance(value, wrapped) else None
            return serialize(value) if name is None else name

        return member_name
    return serialize


# ------------------------------------------------------------------------ type metadata


def _converter(column: Any) -> Callable[[Any], Any] | None:
    """What turns a column's Python value into the JSON value Strawberry's scalar would give."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return None
    if python_type is Decimal:
        return _str_or_none
    if python_type in (dt.datetime, dt.date, dt.time):
        return _isoformat_or_none
    return None


def _str_or_none(value: Any) -> Any:
    return None if value is None else str(value)


def _isoformat_or_none(value: Any) -> Any:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class TypeInfo:
    """What the planner knows of one GraphQL object type backed by a model."""

    graphql_name: str
    model: Any
    attributes: dict[str, str]  # GraphQL field name -> model attribute (plain fields)
    is_node: bool


_TYPE_INFO: dict[str, TypeInfo] = {}


def type_info(schema: Any, graphql_name: str) -> TypeInfo:
    """Reads a Strawberry type's fields once: which are plain attributes of its model."""
    info = _TYPE_INFO.get(graphql_name)
    if info is not None:
        return info
    try:
        cls = model_type(graphql_name)
    except KeyError:
        raise Unplannable(f"type {graphql_name} is not backed by a model") from None
    model = getattr(cls, "model", None)
    definition = getattr(cls, "__strawberry_definition__", None)
    if model is None or definition is None:
        raise Unplannable(f"type {graphql_name} has no declared model")
    converter = schema.config.name_converter
    attributes = {
        # `database_id` is the row's key on every type, a Node or not (FromModel's rule); a
        # type may name the column behind a field (`columns`).
        converter.get_graphql_name(f): "id"
        if f.python_name == "database_id"
        else getattr(cls, "columns", {}).get(f.python_name, f.python_name)
        for f in definition.fields
        if f.base_resolver is None
    }
    for f in definition.fields:
        # A field with a resolver is never a plain attribute, though a private attribute of
        # the same name feeds it (Plan.speedState reads the stored speed_state).
        if f.base_resolver is not None:
            attributes.pop(converter.get_graphql_name(f), None)
    is_node = any(i.name == "Node" for i in definition.interfaces)
    info = TypeInfo(graphql_name, model, attributes, is_node)
    _TYPE_INFO[graphql_name] = info
    return info


# ------------------------------------------------------------------------ the planner


class _StatementBuilder:
    """Accumulates the tables and columns of one batched statement."""

    def __init__(self, base: Any, key_offset: int) -> None:
        self.tables: list[TableRef] = [TableRef(base)]
        self.columns: list[tuple[int, str]] = []
        self.key_offset = key_offset

    def position(self, table: int, column: str) -> int:
        entry = (table, column)
        if entry not in self.columns:
            self.columns.append(entry)
        return self.columns.index(entry) + self.key_offset

    def join(self, model: Any, parent: int, via: str) -> int:
        ref = TableRef(model, parent, via)
        if ref not in self.tables:
            self.tables.append(ref)
        return self.tables.index(ref)


@dataclass
class Context:
    schema: Any  # strawberry.Schema
    graphql_schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variables: VariableValues
    operation: OperationDefinitionNode


def _named_type(graphql_type: Any) -> Any:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def _column_of(model: Any, attribute: str) -> Any:
    try:
        return model.__mapper__.columns[attribute]
    except KeyError:
        raise Unplannable(f"{model.__name__}.{attribute} is not a column") from None


class Planner:
    """Builds shapes and batch nodes for the selections of one operation."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def subfields(self, return_type: GraphQLObjectType, details: list[FieldDetails]) -> Any:
        c = self.context
        return collect_subfields(
            c.graphql_schema, c.fragments, c.variables, c.operation, return_type, details
        ).grouped_field_set

    # -- one object type, reading from `builder` table `table`
    def shape(
        self,
        graphql_type: GraphQLObjectType,
        details: list[FieldDetails],
        builder: _StatementBuilder,
        table: int,
        column_table: Callable[[str], tuple[int, Any]] | None = None,
    ) -> Shape:
        info = type_info(self.context.schema, graphql_type.name)
        model = info.model

        def locate(attribute: str) -> tuple[int, Any]:
            if column_table is not None:
                return column_table(attribute)
            column = _column_of(model, attribute)
            if column.table is model.__table__:
                return table, column
            # A service kind read as itself (a call's terminal): its base columns (kind,
            # status...) sit on the parent mapper's table, joined by primary key.
            owner = next(
                mapper.class_
                for mapper in model.__mapper__.iterate_to_root()
                if mapper.local_table is column.table
            )
            return builder.join(owner, table, "id"), column

        shape = Shape(graphql_type.name)
        for key, field_details in self.subfields(graphql_type, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                shape.fields.append(ConstOut(key, graphql_type.name))
            elif name == "id" and info.is_node:
                index, column = locate("id")
                shape.fields.append(
                    GlobalIdOut(key, graphql_type.name, builder.position(index, column.name))
                )
            elif name == "databaseId" and info.is_node:
                index, column = locate("id")
                shape.fields.append(ScalarOut(key, builder.position(index, column.name), None))
            elif name in info.attributes:
                index, column = locate(info.attributes[name])
                position = builder.position(index, column.name)
                shape.fields.append(ScalarOut(key, position, _converter(column)))
            elif (graphql_type.name, name) in COMPUTED:
                computed = COMPUTED[(graphql_type.name, name)]
                positions = []
                for attribute in computed.attributes:
                    index, column = locate(attribute)
                    positions.append(builder.position(index, column.name))
                shape.fields.append(ComputedOut(key, computed.function, tuple(positions)))
            elif (graphql_type.name, name) in DERIVED:
                derived = DERIVED[(graphql_type.name, name)]
                index, column = locate(derived.parent_key)
                field_def = graphql_type.fields[name]
                shape.fields.append(
                    DerivedOut(
                        key,
                        derived,
                        builder.position(index, column.name),
                        self.value_plan(field_def.type, field_details),
                        field_details[0].node,
                        field_def,
                        [d.node for d in field_details],
                    )
                )
            elif (graphql_type.name, name) in RELATIONS:
                relation = RELATIONS[(graphql_type.name, name)]
                index, column = locate(relation.parent_key)
                parent_position = builder.position(index, column.name)
                field_def = graphql_type.fields[name]
                target = _named_type(field_def.type)
                if self._foldable(relation, field_def, model):
                    child_table = builder.join(relation.loader.model, index, column.name)
                    child_shape = self.shape(target, field_details, builder, child_table)
                    id_position = builder.position(child_table, "id")
                    shape.fields.append(FoldedOut(key, id_position, child_shape))
                else:
                    batch = self.batch(relation, target, field_details)
                    shape.fields.append(
                        BatchedOut(
                            key,
                            batch,
                            parent_position,
                            relation,
                            field_details[0].node,
                            field_def,
                            [d.node for d in field_details],
                        )
                    )
            else:
                raise Unplannable(f"field {graphql_type.name}.{name} is not plannable")
        return shape

    @staticmethod
    def _foldable(relation: Relation, field_def: Any, parent_model: Any) -> bool:
        """A to-one by primary key joins its parent's statement, unless reading it needs a
        permission the parent's table does not: staff lacking it then get that field alone
        refused (null, with an error), so it keeps a statement of its own."""
        loader = relation.loader
        return (
            not relation.many
            and issubclass(loader, loader_base.ByIdLoader)
            and not getattr(loader, "polymorphic", False)
            and not field_def.args
            and access.permission_of(loader.model) in (None, access.permission_of(parent_model))
        )

    # -- a relation's own statement
    def batch(self, relation: Relation, target: Any, details: list[FieldDetails]) -> BatchNode:
        loader = relation.loader
        model = loader.model
        key = getattr(loader, "column", "id")
        through = getattr(loader, "through", None)
        builder = _StatementBuilder(model, key_offset=1)
        if relation.scalar is not None:
            position = builder.position(0, _column_of(model, relation.scalar).name)
            shape: Shape | PolyShape = Shape(target.name)
            order = self._order(model, relation, key, through, loader)
            spec = BatchSpec(tuple(builder.tables), tuple(builder.columns), key, order, through)
            return BatchNode(CompiledBatch(spec), shape, True, (), scalar_position=position)
        builder.position(0, "id")  # rows exist even when only __typename is selected
        if getattr(loader, "polymorphic", False):
            shape = self.poly_shape(target, details, builder)
        else:
            shape = self.shape(target, details, builder, 0)
        filters = []
        for argument, attribute in relation.filters:
            column = _column_of(model, attribute)
            filters.append((argument, builder.position(0, column.name)))
        order = self._order(model, relation, key, through, loader)
        spec = BatchSpec(
            tuple(builder.tables),
            tuple(builder.columns),
            None if through else key,
            order,
            through,
        )
        return BatchNode(CompiledBatch(spec), shape, relation.many, tuple(filters))

    @staticmethod
    def _order(
        model: Any, relation: Relation, key: str, through: Any, loader: Any
    ) -> tuple[str, ...]:
        if through is not None:
            return tuple(getattr(loader, "order", ("id",)))
        primary = tuple(c.name for c in model.__table__.primary_key.columns if c.name != key)
        sort = tuple(_column_of(model, a).name for a in relation.sort)
        return sort + tuple(c for c in primary if c not in sort)

    # -- Python objects: a resolver's or an action's result
    def value_plan(self, graphql_type: Any, details: list[FieldDetails]) -> ValuePlan:
        depth = 0
        while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
            if isinstance(graphql_type, GraphQLList):
                depth += 1
            graphql_type = graphql_type.of_type
        if isinstance(graphql_type, GraphQLObjectType):
            return ValuePlan(depth, nested=self.object_shape(graphql_type, details))
        if isinstance(graphql_type, GraphQLInterfaceType | GraphQLUnionType):
            possible = self.context.graphql_schema.get_possible_types(graphql_type)
            shapes = {t.name: self.object_shape(t, details) for t in possible}
            return ValuePlan(depth, nested=AbstractShape(shapes))
        return ValuePlan(depth, serialize=fast_serializer(graphql_type))

    def object_shape(
        self, graphql_type: GraphQLObjectType, details: list[FieldDetails]
    ) -> ObjectShape:
        definition = self.context.schema.get_type_by_name(graphql_type.name)
        if definition is None:
            raise Unplannable(f"type {graphql_type.name} has no Strawberry definition")
        converter = self.context.schema.config.name_converter
        by_name = {converter.get_graphql_name(f): f for f in definition.fields}
        shape = ObjectShape(graphql_type.name)
        for key, field_details in self.subfields(graphql_type, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                shape.fields.append(ConstOut(key, graphql_type.name))
                continue
            strawberry_field = by_name.get(name)
            field_def = graphql_type.fields[name]
            if strawberry_field is not None and strawberry_field.base_resolver is None:
                value = self.value_plan(field_def.type, field_details)
                shape.fields.append(AttributeOut(key, strawberry_field.python_name, value))
            elif strawberry_field is not None and _plain_method(strawberry_field):
                value = self.value_plan(field_def.type, field_details)
                method = strawberry_field.base_resolver.wrapped_func
                shape.fields.append(MethodOut(key, method, value))
            elif (graphql_type.name, name) in COMPUTED:
                computed = COMPUTED[(graphql_type.name, name)]
                attributes = tuple("database_id" if a == "id" else a for a in computed.attributes)
                shape.fields.append(ObjectComputedOut(key, computed.function, attributes))
            elif (graphql_type.name, name) in DERIVED:
                derived = DERIVED[(graphql_type.name, name)]
                value = self.value_plan(field_def.type, field_details)
                nodes = [d.node for d in field_details]
                queued = DerivedOut(key, derived, -1, value, nodes[0], field_def, nodes)
                shape.fields.append(ObjectBatchedOut(key, derived.parent_attribute, queued))
            elif (graphql_type.name, name) in RELATIONS:
                relation = RELATIONS[(graphql_type.name, name)]
                batch = self.batch(relation, _named_type(field_def.type), field_details)
                nodes = [d.node for d in field_details]
                out = BatchedOut(key, batch, -1, relation, nodes[0], field_def, nodes)
                shape.fields.append(ObjectBatchedOut(key, relation.parent_attribute, out))
            else:
                raise Unplannable(f"field {graphql_type.name}.{name} is not plannable")
        return shape

    # -- the Service interface (or one service type read through the polymorphic loader)
    def poly_shape(
        self, target: Any, details: list[FieldDetails], builder: _StatementBuilder
    ) -> PolyShape:
        base = m.Service.__table__
        kind_position = builder.position(0, "kind")
        shapes: dict[str, Shape] = {}
        for kind, strawberry_type in SERVICE_TYPES.items():
            if (
                isinstance(target, GraphQLObjectType)
                and target.name != strawberry_type.graphql_name
            ):
                continue
            concrete = self.context.graphql_schema.get_type(strawberry_type.graphql_name)
            assert isinstance(concrete, GraphQLObjectType)
            model = strawberry_type.model

            def column_table(attribute: str, model: Any = model) -> tuple[int, Any]:
                column = _column_of(model, attribute)
                if column.table is base:
                    return 0, column
                return builder.join(model, 0, "id"), column

            shapes[kind.name] = self.shape(concrete, details, builder, 0, column_table)
        if not isinstance(target, GraphQLInterfaceType | GraphQLObjectType):
            raise Unplannable(f"{target} is not an object or interface")
        return PolyShape(kind_position, shapes)


# ------------------------------------------------------------------------ code generation


def _has_batches(shape: Shape) -> bool:
    return any(
        isinstance(f, BatchedOut | DerivedOut)
        or (isinstance(f, FoldedOut) and _has_batches(f.shape))
        for f in shape.fields
    )


class _Emitter:
    """Turns shapes into Python functions: dict literals, no interpretation loop per field."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {"_gid": to_global_id}
        self.lines: list[str] = []
        self.counter = 0

    def name(self, value: Any, prefix: str) -> str:
        self.counter += 1
        name = f"_{prefix}{self.counter}"
        self.namespace[name] = value
        return name

    def literal(self, shape: Shape) -> str:
        """A dict literal for `shape`; folded children with batched fields are filled later."""
        items = []
        for f in shape.fields:
            if isinstance(f, ScalarOut):
                value = f"row[{f.position}]"
                if f.convert is not None:
                    value = f"{self.name(f.convert, 'c')}({value})"
            elif isinstance(f, ConstOut):
                value = repr(f.value)
            elif isinstance(f, GlobalIdOut):
                value = f"_gid({f.type_name!r}, row[{f.position}])"
            elif isinstance(f, ComputedOut):
                arguments = ", ".join(f"row[{p}]" for p in f.positions)
                value = f"{self.name(f.function, 'f')}({arguments})"
            elif isinstance(f, FoldedOut) and not _has_batches(f.shape):
                value = f"(None if row[{f.id_position}] is None else {self.literal(f.shape)})"
            else:
                value = "None"
            items.append(f"{f.key!r}: {value}")
        return "{" + ", ".join(items) + "}"

    def statements(self, shape: Shape, variable: str, indent: str) -> list[str]:
        lines = [f"{indent}{variable} = {self.literal(shape)}"]
        for f in shape.fields:
            if isinstance(f, FoldedOut) and _has_batches(f.shape):
                child = self.name(None, "v")
                lines.append(f"{indent}if row[{f.id_position}] is not None:")
                lines.extend(self.statements(f.shape, child, indent + "    "))
                lines.append(f"{indent}    {variable}[{f.key!r}] = {child}")
            elif isinstance(f, BatchedOut | DerivedOut):
                lines.append(
                    f"{indent}pending[{self.name(f, 'b')}].append((row[{f.parent_position}], "
                    f"{variable}))"
                )
        return lines

    def function(self, shape: Shape) -> str:
        name = self.name(None, "build")
        self.lines.append(f"def {name}(row, pending):")
        self.lines.extend(self.statements(shape, "out", "    "))
        self.lines.append("    return out")
        return name


def compile_grouper(batch: BatchNode) -> Callable[[Any, list[Any]], dict[Any, list[Any]]]:
    """A function turning a batched statement's rows into their objects grouped by key.

    One loop with the objects' dict literals inline: each row's object is built once, even
    when several parents share the key (the same package's channels under many plans).
    """
    emitter = _Emitter()
    lines = ["def group(rows, pending):", "    groups = {}", "    for row in rows:"]
    shape = batch.shape
    if batch.scalar_position is not None:
        lines.append(f"        out = row[{batch.scalar_position}]")
    elif isinstance(shape, PolyShape):
        lines.append(f"        kind = row[{shape.kind_position}]")
        for index, (kind, concrete) in enumerate(shape.shapes.items()):
            lines.append(f"        {'if' if index == 0 else 'elif'} kind == {kind!r}:")
            lines.extend(emitter.statements(concrete, "out", " " * 12))
        # A kind the selection leaves out (a fragment on another type) has no object.
        lines.append("        else:" if shape.shapes else "        if True:")
        lines.append("            continue")
    else:
        lines.extend(emitter.statements(shape, "out", " " * 8))
    lines += [
        "        children = groups.get(row[0])",
        "        if children is None:",
        "            groups[row[0]] = [out]",
        "        else:",
        "            children.append(out)",
        "    return groups",
    ]
    exec("\n".join(emitter.lines + lines), emitter.namespace)
    return emitter.namespace["group"]  # type: ignore[no-any-return]


def compile_builder(shape: Shape | PolyShape) -> Callable[[Any, list[Any]], Any]:
    """A function building one object (or None) from a row, queueing its batched fields."""
    emitter = _Emitter()
    if isinstance(shape, PolyShape):
        branches = {kind: emitter.function(s) for kind, s in shape.shapes.items()}
        emitter.lines.append("def build(row, pending):")
        emitter.lines.append(f"    kind = row[{shape.kind_position}]")
        for kind, function_name in branches.items():
            emitter.lines.append(f"    if kind == {kind!r}: return {function_name}(row, pending)")
        emitter.lines.append("    return None")
    else:
        emitter.lines.append(f"build = {emitter.function(shape)}")
    exec("\n".join(emitter.lines), emitter.namespace)
    return emitter.namespace["build"]  # type: ignore[no-any-return]
