"""What every resolver receives in `info.context`: the request's database access and loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.identity import DEVELOPMENT_STAFF, Identity
from gateway.loaders import Loaders, RequestDb
from gateway.settings import Settings


@dataclass
class GraphQLContext:
    """One request's context; loaders and the session live exactly as long as the request."""

    db: RequestDb
    loaders: Loaders
    settings: Settings
    identity: Identity = DEVELOPMENT_STAFF
    request: Any = None

    @classmethod
    def for_session(
        cls,
        session: AsyncSession,
        settings: Settings,
        request: Any = None,
        identity: Identity = DEVELOPMENT_STAFF,
    ) -> GraphQLContext:
        db = RequestDb(session)
        return cls(
            db=db, loaders=Loaders(db), settings=settings, identity=identity, request=request
        )
