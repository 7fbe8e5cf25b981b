"""Running a domain action for a mutation field: one savepoint, errors as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain.errors import Conflict, DomainError
from gateway.schema.base import Info
from gateway.schema.errors import UserError, user_error

T = TypeVar("T")


async def perform(info: Info, action: Callable[[AsyncSession], Awaitable[T]]) -> T | UserError:
    """The action's result, or the typed error it was refused with (having changed nothing)."""
    try:
        result = await info.context.db.write(action)
    except DomainError as error:
        return user_error(error)
    except StaleDataError:
        return user_error(Conflict("Someone else changed this object meanwhile; read it again."))
    except IntegrityError as error:
        # A constraint caught a race the action's own checks could not see (e.g. a unique key
        # taken by a concurrent request between our check and our insert).
        detail = str(error.orig).splitlines()[0] if error.orig else "constraint violated"
        return user_error(Conflict(f"The change conflicts with existing data: {detail}"))
    finally:
        info.context.loaders.clear_all()
    return result
