"""Subscription events on the compiled read path: the changed object read like `node(id)`.

A subscription's selection is planned once, for each type its field's events can be (a
union's members too), as the compiled plan of a read of that object by id: one statement for
the object and its to-one relations, one per relation level below, with the subscriber's row
scope compiled in. A selection the planner does not know raises `Unplannable`, and the
subscription runs on graphql-core's `subscribe` with the Subscription resolvers instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues, get_argument_values

from domain.changes import Change
from domain.identity import Identity
from domain.reads.batched import Reader
from gateway.execution.compiled import ByIdRoot, PlanCache, _Run, resolve_pending, root_fields
from gateway.execution.documents import PreparedDocument
from gateway.execution.planner import Unplannable
from gateway.resolvers.subscriptions import FIELD_TYPES, TYPE_OF_KIND
from gateway.settings import Settings


@dataclass
class EventPlan:
    """How to answer one event of a subscription: its root field's object, by id."""

    root: ByIdRoot
    variables: VariableValues

    @property
    def field(self) -> str:
        return self.root.name

    def arguments(self) -> dict[str, Any]:
        return get_argument_values(self.root.field_def, self.root.node, self.variables)

    async def render(
        self, reader: Reader, settings: Settings, identity: Identity, change: Change
    ) -> tuple[dict[str, Any] | None, list[GraphQLError]]:
        """The event's `data` and errors; None when the caller may not see the row (or it is
        gone): nothing is sent then."""
        run = _Run(reader, settings, self.variables, identity)
        async with run.stack:
            found = await self.root.fetch(run, TYPE_OF_KIND[change.kind], change.id)
            if found is None:
                return None, []
            data = {self.root.key: found}
            await resolve_pending(run)
        return data, run.errors(data)


class EventPlans:
    """Plans of subscription operations, cached per document, operation and the values of
    the variables @skip/@include read (those change the plan's shape)."""

    def __init__(self, schema: Any, max_plans: int = 256) -> None:
        self.schema = schema
        self.graphql_schema = schema._schema
        self._plans = PlanCache(self.graphql_schema, max_plans)

    def prepare(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        source: str,
        inputs: dict[str, Any] | None,
    ) -> EventPlan:
        root, variables = self._plans.plan(prepared, operation, source, inputs, self._plan)
        return EventPlan(root, variables)

    def _plan(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
    ) -> ByIdRoot:
        planner, subscription_type, grouped = root_fields(
            self.schema, operation, fragments, variables
        )
        if len(grouped) != 1:
            raise Unplannable("a subscription selects one root field")
        ((key, details),) = grouped.items()
        node = details[0].node
        name = node.name.value
        if name not in FIELD_TYPES:
            raise Unplannable(f"subscription field {name} is not plannable")
        root = ByIdRoot(key, name, node, subscription_type.fields[name], details, planner=planner)
        for type_name in FIELD_TYPES[name]:
            root._batch(type_name)  # every type its events can be, planned now
        return root
