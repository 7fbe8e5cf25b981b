"""A voice subscriber's own panel actions, within what its reseller granted (ADR 0095)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain import models as m
from domain.actions import voice_self as actions
from domain.errors import DomainError
from domain.errors import NotFound as DomainNotFound
from gateway.resolvers.ids import database_id
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.errors import NotAllowed, NotFound, ValidationError, user_error
from gateway.schema.portal import (
    CallStatement,
    CallTermination,
    PeriodInput,
    call_statement_of,
    check_period,
)
from gateway.schema.voice import VoiceLineType, VoiceSubscriberType


@strawberry.input
class SetSimultaneousIpLinesInput:
    line_id: strawberry.ID
    lines: int = strawberry.field(description="Simultaneous IP calls, 1 to 100.")


@strawberry.type
class SetSimultaneousIpLinesSuccess:
    line: VoiceLineType


SetSimultaneousIpLinesResult = Annotated[
    SetSimultaneousIpLinesSuccess | ValidationError | NotFound | NotAllowed,
    strawberry.union("SetSimultaneousIpLinesResult"),
]


@strawberry.input
class ChangeVoicePanelPasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangeVoicePanelPasswordSuccess:
    subscriber: VoiceSubscriberType


ChangeVoicePanelPasswordResult = Annotated[
    ChangeVoicePanelPasswordSuccess | ValidationError | NotFound | NotAllowed,
    strawberry.union("ChangeVoicePanelPasswordResult"),
]


VoiceLineCallStatementResult = Annotated[
    CallStatement | ValidationError | NotFound | NotAllowed,
    strawberry.union("VoiceLineCallStatementResult"),
]


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
