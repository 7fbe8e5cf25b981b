"""What every resolver receives in `info.context`: the caller, its database access and loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import FieldProblem
from domain.identity import Identity
from gateway.loaders import Loaders, RequestDb
from gateway.settings import Settings


@dataclass
class GraphQLContext:
    """One request's context; loaders and the session live exactly as long as the request.

    `identity` is whoever the request authenticated as (gateway.http.auth); there is no default, so
    a context can never act as someone by accident.
    """

    db: RequestDb
    loaders: Loaders
    settings: Settings
    identity: Identity
    request: Any = None
    # Root fields (by response key) whose input went past its bounds: they answer with this
    # ValidationError and do not run (gateway.execution.inputs, gateway.resolvers.inputs).
    refused: dict[str, list[FieldProblem]] = field(default_factory=dict)
    # A subscription's events (gateway.realtime.hub.Events): what Subscription fields follow,
    # and a fresh session and loaders for each event. None outside subscriptions.
    events: Any = None

    @classmethod
    def for_session(
        cls,
        session: AsyncSession,
        settings: Settings,
        request: Any = None,
        *,
        identity: Identity,
    ) -> GraphQLContext:
        db = RequestDb(session, identity)
        return cls(
            db=db, loaders=Loaders(db), settings=settings, identity=identity, request=request
        )
