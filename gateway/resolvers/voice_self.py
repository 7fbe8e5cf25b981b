"""Root fields of the voice subscriber's own panel."""

from __future__ import annotations

import strawberry

from domain import models as m
from domain.actions import voice_self as actions
from domain.errors import DomainError
from domain.errors import NotFound as DomainNotFound
from gateway.resolvers.mutations import perform
from gateway.resolvers.portal import call_statement_of
from gateway.schema.base import Info, to_global_id
from gateway.schema.errors import user_error
from gateway.schema.ids import database_id
from gateway.schema.portal import CallTermination, PeriodInput, check_period
from gateway.schema.voice import VoiceExtensionType, VoiceLineType, VoiceSubscriberType
from gateway.schema.voice_self import (
    AddVoiceExtensionInput,
    ChangeVoicePanelPasswordInput,
    ChangeVoicePanelPasswordResult,
    ChangeVoicePanelPasswordSuccess,
    RemoveVoiceExtensionInput,
    RemoveVoiceExtensionResult,
    RemoveVoiceExtensionSuccess,
    RenameVoiceExtensionInput,
    SetSimultaneousIpLinesInput,
    SetSimultaneousIpLinesResult,
    SetSimultaneousIpLinesSuccess,
    VoiceExtensionResult,
    VoiceExtensionSuccess,
    VoiceLineCallStatementResult,
)


@strawberry.type
class VoiceSelfQuery:
    @strawberry.field(
        description="A voice line's calls in the period, with totals by termination: for its "
        "reseller, staff, or the voice subscriber itself when granted VIEW_CALL_RECORDS."
    )
    async def voice_line_call_statement(
        self,
        info: Info,
        line_id: strawberry.ID,
        period: PeriodInput,
        termination: list[CallTermination] | None = None,
    ) -> VoiceLineCallStatementResult:
        try:
            check_period(period)
            pk = database_id(line_id, "VoiceLine")
            if pk is None:
                raise DomainNotFound("VoiceLine", line_id)
            rows, totals = await info.context.db.run(
                lambda session: actions.line_call_statement(
                    session,
                    line_id=pk,
                    start=period.start,
                    end=period.end,
                    terminations=termination,
                    actor=info.context.identity,
                )
            )
        except DomainError as error:
            return user_error(error)  # type: ignore[return-value]
        return call_statement_of(rows, totals)


@strawberry.type
class VoiceSelfMutations:
    @strawberry.mutation(
        description="Sets a voice line's simultaneous IP lines: its reseller, or the voice "
        "subscriber itself when granted CHANGE_SIMULTANEOUS_IP_LINES."
    )
    async def set_simultaneous_ip_lines(
        self, info: Info, input: SetSimultaneousIpLinesInput
    ) -> SetSimultaneousIpLinesResult:
        result = await perform(
            info,
            lambda session: actions.set_simultaneous_ip_lines(
                session,
                line_id=database_id(input.line_id, "VoiceLine") or -1,
                lines=input.lines,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, m.VoiceLine):
            return SetSimultaneousIpLinesSuccess(line=VoiceLineType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="A voice subscriber changes its own panel password (needs the "
        "CHANGE_PANEL_PASSWORD permission from its reseller)."
    )
    async def change_voice_panel_password(
        self, info: Info, input: ChangeVoicePanelPasswordInput
    ) -> ChangeVoicePanelPasswordResult:
        result = await perform(
            info,
            lambda session: actions.change_own_panel_password(
                session,
                current_password=input.current_password,
                new_password=input.new_password,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, m.VoiceSubscriber):
            return ChangeVoicePanelPasswordSuccess(
                subscriber=VoiceSubscriberType.from_model(result)
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="Adds an extension (ramal) to a voice line: its reseller, or the voice "
        "subscriber itself when granted MANAGE_EXTENSIONS."
    )
    async def add_voice_extension(
        self, info: Info, input: AddVoiceExtensionInput
    ) -> VoiceExtensionResult:
        result = await perform(
            info,
            lambda session: actions.add_extension(
                session,
                line_id=database_id(input.line_id, "VoiceLine") or -1,
                extension=input.extension,
                name=input.name,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, m.VoiceExtension):
            return VoiceExtensionSuccess(extension=VoiceExtensionType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="Renames an extension: its reseller, or the voice subscriber itself when "
        "granted MANAGE_EXTENSIONS."
    )
    async def rename_voice_extension(
        self, info: Info, input: RenameVoiceExtensionInput
    ) -> VoiceExtensionResult:
        result = await perform(
            info,
            lambda session: actions.rename_extension(
                session,
                extension_id=database_id(input.extension_id, "VoiceExtension") or -1,
                name=input.name,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, m.VoiceExtension):
            return VoiceExtensionSuccess(extension=VoiceExtensionType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="Removes an extension: its reseller, or the voice subscriber itself when "
        "granted MANAGE_EXTENSIONS."
    )
    async def remove_voice_extension(
        self, info: Info, input: RemoveVoiceExtensionInput
    ) -> RemoveVoiceExtensionResult:
        pk = database_id(input.extension_id, "VoiceExtension") or -1
        result = await perform(
            info,
            lambda session: actions.remove_extension(
                session, extension_id=pk, actor=info.context.identity
            ),
        )
        if isinstance(result, m.VoiceLine):
            return RemoveVoiceExtensionSuccess(
                removed_extension_id=strawberry.ID(to_global_id("VoiceExtension", pk)),
                line=VoiceLineType.from_model(result),
            )
        return result  # type: ignore[return-value]
