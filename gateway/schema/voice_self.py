"""A voice subscriber's own panel actions, within what its reseller granted (ADR 0095)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.schema.errors import AnyUserError
from gateway.schema.portal import CallStatement
from gateway.schema.voice import VoiceLineType, VoiceSubscriberType


@strawberry.input
class SetSimultaneousIpLinesInput:
    line_id: strawberry.ID
    lines: int = strawberry.field(description="Simultaneous IP calls, 1 to 100.")


@strawberry.type
class SetSimultaneousIpLinesSuccess:
    line: VoiceLineType


SetSimultaneousIpLinesResult = Annotated[
    SetSimultaneousIpLinesSuccess | AnyUserError, strawberry.union("SetSimultaneousIpLinesResult")
]


@strawberry.input
class ChangeVoicePanelPasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangeVoicePanelPasswordSuccess:
    subscriber: VoiceSubscriberType


ChangeVoicePanelPasswordResult = Annotated[
    ChangeVoicePanelPasswordSuccess | AnyUserError,
    strawberry.union("ChangeVoicePanelPasswordResult"),
]


VoiceLineCallStatementResult = Annotated[
    CallStatement | AnyUserError, strawberry.union("VoiceLineCallStatementResult")
]
