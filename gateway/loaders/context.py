"""What every resolver receives in `info.context`: the caller, its database access and loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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
