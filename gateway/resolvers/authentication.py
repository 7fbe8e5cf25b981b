"""Root fields of the authentication assistant."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.actions import authentication as actions
from domain.i18n import _
from domain.ports.radius import DisconnectOutcome, PyradDynamicAuthorization
from gateway.resolvers.mutations import perform
from gateway.resolvers.plan_lifecycle import plan_key
from gateway.schema.authentication import (
    AuthenticationDiagnosis,
    AuthenticationDiagnosisResult,
    AuthenticationFinding,
    DisconnectSessionInput,
    DisconnectSessionResult,
    LoginDiagnosis,
    SessionDisconnection,
)
from gateway.schema.base import Info
from gateway.schema.ids import database_id
from gateway.schema.plans import PlanType
from gateway.schema.portal import ConnectionSessionType
from gateway.schema.services import RadiusLoginType


def dynamic_authorization(info: Info) -> PyradDynamicAuthorization:
    settings = info.context.settings
    return PyradDynamicAuthorization(
        timeout=settings.radius_timeout, retries=settings.radius_retries
    )


@strawberry.type
class AuthenticationQuery:
    @strawberry.field(
        description="Why a plan's subscriber cannot connect: each RADIUS login's state, "
        "sessions and attempts, and findings with the action that fixes each (PLAN_ADMIN)."
    )
    async def authentication_diagnosis(
        self,
        info: Info,
        plan_id: Annotated[strawberry.ID, strawberry.argument(description="The plan.")],
    ) -> AuthenticationDiagnosisResult:
        result = await perform(
            info,
            lambda session: actions.authentication_diagnosis(
                session, plan_id=plan_key(plan_id), actor=info.context.identity
            ),
        )
        if not isinstance(result, actions.Diagnosis):
            return result  # type: ignore[return-value]
        return AuthenticationDiagnosis(
            plan=PlanType.from_model(result.plan),
            logins=[LoginDiagnosis.of(entry) for entry in result.logins],
            findings=[AuthenticationFinding.of(f) for f in result.findings],
        )


@strawberry.type
class AuthenticationMutation:
    @strawberry.mutation(
        description="Ends a login's open session at its NAS with an RFC 5176 "
        "Disconnect-Request (PLAN_ADMIN)."
    )
    async def disconnect_session(
        self,
        info: Info,
        input: Annotated[
            DisconnectSessionInput,
            strawberry.argument(description="The login whose open session to end."),
        ],
    ) -> DisconnectSessionResult:
        port = dynamic_authorization(info)
        result = await perform(
            info,
            lambda session: actions.disconnect_session(
                session,
                login_id=database_id(input.login_id, "RadiusLogin", "Service") or -1,
                port=port,
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, actions.Disconnection):
            return result  # type: ignore[return-value]
        answer, nas = result.result, result.nas.nasname
        if answer.outcome is DisconnectOutcome.ACKNOWLEDGED:
            message = _("NAS {nas} ended the session.", nas=nas)
        elif answer.outcome is DisconnectOutcome.REFUSED:
            message = _(
                "NAS {nas} refused ({cause}).",
                nas=nas,
                cause=answer.error_cause_name or _("no Error-Cause"),
            )
        else:
            message = _(
                "NAS {nas} did not answer after {attempts} attempt(s).",
                nas=nas,
                attempts=answer.attempts,
            )
        return SessionDisconnection(
            outcome=answer.outcome,
            message=message,
            nas=nas,
            login=RadiusLoginType.from_model(result.login),
            session=ConnectionSessionType.from_model(result.connection),
            error_cause=answer.error_cause,
            error_cause_name=answer.error_cause_name,
            attempts=answer.attempts,
        )
