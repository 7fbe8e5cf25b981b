"""The authentication assistant (manual 001 §5.4.1, "Assistente de Autenticação"): why a
subscriber cannot connect, in words with the action that fixes each finding, and the
disconnection of a login's open session at its NAS (RFC 5176; ADR 0162).

Staff need PLAN_ADMIN for both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import load_plan, now, require
from domain.errors import NotFound, RuleViolation
from domain.i18n import Message, _
from domain.identity import Identity, Permission
from domain.models.enums import InactiveReason, PlanStatus, ServiceStatus
from domain.ports.radius import (
    DisconnectResult,
    DynamicAuthorization,
    NasEndpoint,
    SessionIdentity,
)
from domain.reads import authentication as reads

LAST_SESSIONS = 5
LAST_ATTEMPTS = 10
# This many Access-Rejects within REJECT_WINDOW say the equipment keeps a wrong password.
MANY_REJECTS = 5
REJECT_WINDOW = dt.timedelta(hours=1)
# No attempt for this long while offline: the equipment does not reach the RADIUS server.
SILENT_FOR = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Finding:
    """Something that keeps the subscriber offline (or explains it), and what fixes it."""

    code: str
    message: Message
    action: Message
    login: str | None = None  # the login it is about; None: the whole plan


@dataclass
class LoginDiagnosis:
    login: m.RadiusLogin
    enabled: bool
    password_set: bool
    open_session: m.ConnectionSession | None
    last_sessions: list[m.ConnectionSession]
    last_attempts: list[m.RadPostAuth]
    rejects_last_hour: int


@dataclass
class Diagnosis:
    plan: m.Plan
    logins: list[LoginDiagnosis] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _plan_findings(plan: m.Plan, at: dt.datetime) -> list[Finding]:
    if plan.status is PlanStatus.CANCELLED:
        return [
            Finding(
                "PLAN_CANCELLED",
                _(
                    "The plan was cancelled on {cancelled_at:%Y-%m-%d}; its logins no longer "
                    "authenticate.",
                    cancelled_at=plan.cancelled_at,
                ),
                _("A cancelled plan is final: add a new plan (addPlan)."),
            )
        ]
    if plan.status is PlanStatus.INACTIVE:
        if plan.inactive_reason is InactiveReason.SUSPENDED:
            if plan.enabled_until is not None and plan.enabled_until > at:
                return []  # temporarily enabled: the debt does not block until then
            return [
                Finding(
                    "SUSPENDED_FOR_DEBT",
                    _("The plan is suspended for debt: the RADIUS refuses or reduces its logins."),
                    _(
                        "Temporary enablement (enableTemporarily), or settle the overdue "
                        "receivables and reactivate the plan (changePlanStatus to ACTIVE)."
                    ),
                )
            ]
        reason = plan.inactive_reason.name if plan.inactive_reason else _("no reason")
        return [
            Finding(
                "PLAN_INACTIVE",
                _("The plan is inactive ({reason}).", reason=reason),
                _("Reactivate the plan (changePlanStatus to ACTIVE) when the reason is gone."),
            )
        ]
    return []


def _login_findings(entry: LoginDiagnosis, at: dt.datetime) -> list[Finding]:
    login = entry.login.login
    findings = []
    if not entry.enabled:
        findings.append(
            Finding(
                "LOGIN_DISABLED",
                _(
                    "The login {login} is {status}.",
                    login=login,
                    status=entry.login.status.name.lower(),
                ),
                _(
                    "Add a new RADIUS login to the plan (addRadiusLogin); an ended login stays "
                    "ended."
                ),
                login,
            )
        )
    if not entry.password_set:
        findings.append(
            Finding(
                "NO_PASSWORD",
                _("The login {login} has no password.", login=login),
                _("Set one (changeServicePassword) and configure it in the equipment."),
                login,
            )
        )
    if entry.rejects_last_hour >= MANY_REJECTS:
        findings.append(
            Finding(
                "MANY_REJECTS",
                _(
                    "{rejects_last_hour} rejects in the last hour: the equipment keeps sending a "
                    "wrong password.",
                    rejects_last_hour=entry.rejects_last_hour,
                ),
                _(
                    "Change the password (changeServicePassword) and set the same in the "
                    "subscriber's router or ONU."
                ),
                login,
            )
        )
    if entry.open_session is not None:
        started = entry.open_session.acctstarttime
        address = entry.open_session.framedipaddress or _("unknown")
        message = (
            _(
                "The login {login} is online since {started:%Y-%m-%d %H:%M} at NAS {nas} "
                "with IP {address}.",
                login=login,
                started=started,
                nas=entry.open_session.nasipaddress,
                address=address,
            )
            if started
            else _(
                "The login {login} is online at NAS {nas} with IP {address}.",
                login=login,
                nas=entry.open_session.nasipaddress,
                address=address,
            )
        )
        findings.append(
            Finding(
                "ONLINE",
                message,
                _(
                    "If the subscriber still has no access the session may be stuck: disconnect "
                    "it (disconnectSession) so the equipment authenticates again."
                ),
                login,
            )
        )
    elif entry.enabled:
        last = entry.last_attempts[0].authdate if entry.last_attempts else None
        if last is None or at - last > SILENT_FOR:
            message = (
                _(
                    "No authentication attempt of {login} since {last:%Y-%m-%d %H:%M}: the "
                    "equipment does not reach the RADIUS server.",
                    login=login,
                    last=last,
                )
                if last
                else _(
                    "No authentication attempt of {login} ever: the equipment does not reach "
                    "the RADIUS server.",
                    login=login,
                )
            )
            findings.append(
                Finding(
                    "NO_ATTEMPTS",
                    message,
                    _(
                        "Check the subscriber's router or ONU, its cable or fibre, and that it "
                        "dials PPPoE with the login {login}.",
                        login=login,
                    ),
                    login,
                )
            )
    return findings


async def authentication_diagnosis(
    session: AsyncSession, *, plan_id: int, actor: Identity
) -> Diagnosis:
    """Every RADIUS login of the plan with its state, open and last sessions and last
    attempts, and the findings in words with their fixing action."""
    require(actor, Permission.PLAN_ADMIN)
    plan = await load_plan(session, plan_id)
    at = now()
    diagnosis = Diagnosis(plan=plan, findings=_plan_findings(plan, at))
    logins = await reads.radius_logins(session, plan.id)
    if not logins:
        diagnosis.findings.append(
            Finding(
                "NO_LOGIN",
                _("The plan has no RADIUS login: nothing can authenticate."),
                _("Add a RADIUS login (addRadiusLogin)."),
            )
        )
    for login in logins:
        entry = LoginDiagnosis(
            login=login,
            enabled=login.status is ServiceStatus.ACTIVE,
            password_set=bool(login.password_hash),
            open_session=await reads.open_session(session, login.login),
            last_sessions=await reads.last_sessions(session, login.login, LAST_SESSIONS),
            last_attempts=await reads.last_attempts(session, login.login, LAST_ATTEMPTS),
            rejects_last_hour=await reads.rejects_since(session, login.login, at - REJECT_WINDOW),
        )
        diagnosis.logins.append(entry)
        diagnosis.findings.extend(_login_findings(entry, at))
    return diagnosis


@dataclass(frozen=True)
class Disconnection:
    login: m.RadiusLogin
    connection: m.ConnectionSession
    nas: m.Nas
    result: DisconnectResult


async def disconnect_session(
    session: AsyncSession,
    *,
    login_id: int,
    port: DynamicAuthorization,
    actor: Identity,
) -> Disconnection:
    """Sends a Disconnect-Request for the login's open session to its NAS. ACK, NAK and no
    answer are each an outcome (all audited); a login without an open session, or a session on
    a NAS the ISP has not registered, is refused before anything is sent."""
    require(actor, Permission.PLAN_ADMIN)
    login = await session.get(m.RadiusLogin, login_id)
    if login is None:
        raise NotFound("RadiusLogin", login_id)
    connection = await reads.open_session(session, login.login)
    if connection is None:
        raise RuleViolation(
            "NO_OPEN_SESSION",
            _("The login {login} has no open session to disconnect.", login=login.login),
        )
    nas = await reads.nas_by_address(session, connection.nasipaddress)
    if nas is None:
        raise RuleViolation(
            "NAS_UNKNOWN",
            _(
                "The session is on NAS {nasipaddress}, which is not registered (nas table): its "
                "dynamic-authorization address and secret are unknown.",
                nasipaddress=connection.nasipaddress,
            ),
        )
    result = await port.disconnect(
        NasEndpoint(host=nas.coa_host, port=nas.coa_port, secret=nas.secret),
        SessionIdentity(
            user_name=login.login,
            acct_session_id=connection.acctsessionid,
            nas_ip_address=connection.nasipaddress,
            framed_ip_address=connection.framedipaddress,
            calling_station_id=connection.callingstationid,
        ),
    )
    await audit.record(
        session,
        actor=actor,
        action="disconnectSession",
        target_type="Plan",
        target_id=login.plan_id,
        before=None,
        after={
            "login": login.login,
            "acct_session_id": connection.acctsessionid,
            "nas": nas.nasname,
            "outcome": result.outcome.name,
            "error_cause": result.error_cause,
        },
    )
    return Disconnection(login=login, connection=connection, nas=nas, result=result)
