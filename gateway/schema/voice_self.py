"""A voice subscriber's own panel actions, within what its reseller granted (ADR 0095)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.schema.errors import AnyUserError
from gateway.schema.portal import CallStatement
from gateway.schema.voice import VoiceExtensionType, VoiceLineType, VoiceSubscriberType


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


@strawberry.input(description="A new extension (ramal) on one of the subscriber's lines.")
class AddVoiceExtensionInput:
    line_id: strawberry.ID = strawberry.field(description="The line the extension rings.")
    extension: str = strawberry.field(
        description="2 to 10 digits, not yet dialled by the subscriber (its lines' own "
        "extensions included)."
    )
    name: str = strawberry.field(description="What the extension is called, up to 60 characters.")


@strawberry.input(description="A new name for an extension.")
class RenameVoiceExtensionInput:
    extension_id: strawberry.ID = strawberry.field(description="The VoiceExtension.")
    name: str = strawberry.field(description="The new name, up to 60 characters.")


@strawberry.input(description="The extension to remove; its number is free again.")
class RemoveVoiceExtensionInput:
    extension_id: strawberry.ID = strawberry.field(description="The VoiceExtension.")


@strawberry.type(description="The extension as it is now.")
class VoiceExtensionSuccess:
    extension: VoiceExtensionType = strawberry.field(description="The added or renamed extension.")


@strawberry.type(description="The extension was removed.")
class RemoveVoiceExtensionSuccess:
    removed_extension_id: strawberry.ID = strawberry.field(
        description="The global id the removed extension had."
    )
    line: VoiceLineType = strawberry.field(description="Its line, without it.")


VoiceExtensionResult = Annotated[
    VoiceExtensionSuccess | AnyUserError,
    strawberry.union(
        "VoiceExtensionResult", description="The result of adding or renaming an extension."
    ),
]
RemoveVoiceExtensionResult = Annotated[
    RemoveVoiceExtensionSuccess | AnyUserError,
    strawberry.union(
        "RemoveVoiceExtensionResult", description="The result of removing an extension."
    ),
]
