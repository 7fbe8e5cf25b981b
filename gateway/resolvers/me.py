"""`me`: which object is the caller's own, for both read paths."""

from __future__ import annotations

from typing import Any

from domain.identity import Identity, Role
from gateway.resolvers.nodes import node_loader
from gateway.schema.base import Info, model_type


def me_key(identity: Identity) -> tuple[str, int] | None:
    """(GraphQL type, key) of the caller's own customer, reseller or voice subscriber; None
    for staff (and for a token of a role without its key)."""
    if identity.role is Role.SUBSCRIBER and identity.customer_id is not None:
        return "Customer", identity.customer_id
    if identity.role is Role.RESELLER and identity.reseller_id is not None:
        return "VoiceReseller", identity.reseller_id
    if identity.role is Role.VOICE_SUBSCRIBER and identity.voice_subscriber_id is not None:
        return "VoiceSubscriber", identity.voice_subscriber_id
    return None


async def me(info: Info) -> Any:
    """The caller's own object on the standard path (the compiled path reads the same key)."""
    found = me_key(info.context.identity)
    if found is None:
        return None
    type_name, pk = found
    loader = node_loader(type_name)
    assert loader is not None
    row = await info.context.loaders.get(loader).load(pk)
    return None if row is None else model_type(type_name).from_model(row)
