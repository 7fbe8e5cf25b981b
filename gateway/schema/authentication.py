"""The authentication assistant (Assistente de Autenticação): a plan's diagnosis and the
results of disconnecting a session (ADR 0162)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from domain import models as m
from domain.actions import authentication as actions
from domain.ports import radius
from gateway.schema.base import described_enum
from gateway.schema.errors import (
    Conflict,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    ValidationError,
)
from gateway.schema.plans import PlanType
from gateway.schema.portal import ConnectionSessionType
from gateway.schema.services import RadiusLoginType


@strawberry.type(description="Something that keeps the subscriber offline, and what fixes it.")
class AuthenticationFinding:
    code: str = strawberry.field(
        description="Stable code: PLAN_CANCELLED, SUSPENDED_FOR_DEBT, PLAN_INACTIVE, NO_LOGIN, "
        "LOGIN_DISABLED, NO_PASSWORD, MANY_REJECTS, ONLINE, NO_ATTEMPTS."
    )
    message: str = strawberry.field(description="What was found, in words.")
    action: str = strawberry.field(description="What fixes it, naming the mutation to use.")
    login: str | None = strawberry.field(
        description="The login it is about; null when it is about the whole plan."
    )

    @classmethod
    def of(cls, finding: actions.Finding) -> AuthenticationFinding:
        return cls(
            code=finding.code,
            message=str(finding.message),
            action=str(finding.action),
            login=finding.login,
        )


@strawberry.type(description="One authentication attempt of a login (FreeRADIUS radpostauth).")
class AuthenticationAttempt:
    at: dt.datetime = strawberry.field(description="When the RADIUS server answered.")
    accepted: bool = strawberry.field(description="Access-Accept (true) or Access-Reject.")
    reply: str = strawberry.field(description="The RADIUS answer as logged.")
    nas: str | None = strawberry.field(description="The NAS it came through (Called-Station-Id).")
    calling_station_id: str | None = strawberry.field(description="The subscriber equipment's MAC.")

    @classmethod
    def of(cls, row: m.RadPostAuth) -> AuthenticationAttempt:
        return cls(
            at=row.authdate,
            accepted=row.reply == "Access-Accept",
            reply=row.reply,
            nas=row.calledstationid,
            calling_station_id=row.callingstationid,
        )


@strawberry.type(description="One RADIUS login of the plan, as the RADIUS server sees it.")
class LoginDiagnosis:
    login: RadiusLoginType = strawberry.field(description="The login (its fixed IP included).")
    enabled: bool = strawberry.field(description="Whether the login is active.")
    password_set: bool = strawberry.field(description="Whether the login has a password.")
    open_session: ConnectionSessionType | None = strawberry.field(
        description="The session online now (radacct without a stop time), if any."
    )
    last_sessions: list[ConnectionSessionType] = strawberry.field(
        description="The last ended sessions, latest first, with their terminate causes."
    )
    last_attempts: list[AuthenticationAttempt] = strawberry.field(
        description="The last authentication attempts, latest first."
    )
    rejects_last_hour: int = strawberry.field(description="Access-Rejects in the last hour.")

    @classmethod
    def of(cls, entry: actions.LoginDiagnosis) -> LoginDiagnosis:
        return cls(
            login=RadiusLoginType.from_model(entry.login),
            enabled=entry.enabled,
            password_set=entry.password_set,
            open_session=ConnectionSessionType.from_model(entry.open_session)
            if entry.open_session
            else None,
            last_sessions=[ConnectionSessionType.from_model(s) for s in entry.last_sessions],
            last_attempts=[AuthenticationAttempt.of(a) for a in entry.last_attempts],
            rejects_last_hour=entry.rejects_last_hour,
        )


@strawberry.type(description="Why a plan's subscriber cannot connect (manual 001 §5.4.1).")
class AuthenticationDiagnosis:
    plan: PlanType = strawberry.field(description="The plan, with its status and reason.")
    logins: list[LoginDiagnosis] = strawberry.field(description="Each RADIUS login of the plan.")
    findings: list[AuthenticationFinding] = strawberry.field(
        description="What was found, in the order to fix it; empty when nothing is wrong."
    )


DisconnectOutcome = described_enum(
    radius.DisconnectOutcome,
    "What the NAS answered to the Disconnect-Request (RFC 5176).",
    {
        "ACKNOWLEDGED": "Disconnect-ACK: the NAS ended the session.",
        "REFUSED": "Disconnect-NAK: the NAS refused; `errorCause` says why. Nothing ended.",
        "TIMED_OUT": "No answer after every retry; nothing is known to have ended.",
    },
)


@strawberry.type(description="A Disconnect-Request was sent; `outcome` is what the NAS said.")
class SessionDisconnection:
    outcome: DisconnectOutcome = strawberry.field(description="ACK, NAK or no answer.")
    message: str = strawberry.field(description="The outcome in words.")
    nas: str = strawberry.field(description="The NAS the request went to.")
    login: RadiusLoginType = strawberry.field(description="The login whose session it was.")
    session: ConnectionSessionType = strawberry.field(
        description="The session as it was; on ACK its stop arrives with the NAS's accounting."
    )
    error_cause: int | None = strawberry.field(
        description="A NAK's Error-Cause (RFC 5176 §3.5), e.g. 503 Session-Context-Not-Found."
    )
    error_cause_name: str | None = strawberry.field(description="The Error-Cause's name.")
    attempts: int = strawberry.field(description="How many times the request was sent.")


@strawberry.input(description="The login whose open session to end.")
class DisconnectSessionInput:
    login_id: strawberry.ID = strawberry.field(description="The RADIUS login (a service id).")


AuthenticationDiagnosisResult = Annotated[
    AuthenticationDiagnosis
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("AuthenticationDiagnosisResult", description="The diagnosis, or why not."),
]
DisconnectSessionResult = Annotated[
    SessionDisconnection
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union(
        "DisconnectSessionResult",
        description="ACK, NAK or no answer from the NAS, or why nothing was sent.",
    ),
]
