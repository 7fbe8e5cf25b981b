"""Running a domain action for a mutation field: one savepoint, errors as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from graphql.execution.values import VariableValues, get_argument_values
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain import constraints
from domain.errors import Conflict, DomainError
from domain.i18n import _
from gateway.schema.base import Info
from gateway.schema.errors import UserError, user_error

T = TypeVar("T")


async def perform(info: Info, action: Callable[[AsyncSession], Awaitable[T]]) -> T | UserError:
    """The action's result, or the typed error it was refused with (having changed nothing).

    No database text ever reaches the client (ADR 0122): a constraint that caught a race
    becomes a ValidationError on the input field that carried the value, and a deadlock or
    serialization failure a Conflict to retry.
    """
    try:
        result = await info.context.db.write(action)
    except DomainError as error:
        return user_error(error)
    except StaleDataError:
        return user_error(Conflict(_("Someone else changed this object meanwhile; read it again.")))
    except IntegrityError as error:
        # A constraint caught a race the action's own checks could not see (e.g. a unique key
        # taken by a concurrent request between our check and our insert).
        return user_error(constraints.refusal(error, _inputs(info)))
    except DBAPIError as error:
        if not constraints.lost_race(error):
            raise
        return user_error(
            Conflict(_("A change to the same data ran at the same moment; nothing was changed."))
        )
    finally:
        info.context.loaders.clear_all()
    return result


def _inputs(info: Info) -> dict[str, Any]:
    """The field's input as the client sent it (GraphQL names), to find a field in: paths are
    inside `input`, as every ValidationError's are."""
    raw = info._raw_info
    definition = raw.parent_type.fields[raw.field_name]
    variables = raw.variable_values
    if not isinstance(variables, VariableValues):  # the resolver sees the coerced dict
        variables = VariableValues({}, dict(variables or {}))
    arguments = get_argument_values(definition, raw.field_nodes[0], variables)
    single = arguments.get("input")
    return single if isinstance(single, dict) and len(arguments) == 1 else arguments
