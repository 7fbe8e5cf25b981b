"""Extra services (serviço extra): added from the catalog with their installments, viewed,
never edited, and cancelled (installments not yet billed are dropped, billed ones kept)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions.plan_common import load_plan
from domain.actions.service_common import (
    DEFINITION_INACTIVE,
    Problems,
    end_service,
    plan_taking,
    record,
    require_plan_admin,
    service_to_change,
    snapshot,
)
from domain.errors import InvalidTransition, NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity
from domain.models import ExtraService, Plan, Receivable
from domain.models.base import utcnow
from domain.models.enums import ReceivableOrigin, ReceivableStatus, ServiceKind, ServiceStatus
from domain.reads import services as reads
from domain.rules import extra_services as schedule
from domain.rules import services as rules
from domain.rules.repeats import REPEAT_WINDOW

MAX_NOTES = 2000


@dataclass(frozen=True)
class ExtraServiceResult:
    """The extra service, its plan, its receivables now, and those a cancellation dropped."""

    service: ExtraService
    plan: Plan
    receivables: list[Receivable]
    dropped: list[dict[str, str]] = field(default_factory=list)
    repeated: bool = False  # the same service added moments before, answered again (ADR 0123)


def today() -> dt.date:
    """The date the gateway counts from (UTC, like every stored timestamp)."""
    return utcnow().date()


async def add_extra_service(
    session: AsyncSession,
    *,
    plan_id: int,
    definition_id: int,
    first_due_date: dt.date,
    value: Decimal | None = None,
    installments: int = 1,
    complement: str | None = None,
    contact_id: int | None = None,
    notes: str | None = None,
    actor: Identity,
    on: dt.date | None = None,
) -> ExtraServiceResult:
    """Adds an extra service from the catalog and creates its installment receivables.

    Start date (by the definition's start-date rule) and billing type come from the catalog;
    the value defaults to the definition's. `on` is the day it counts as added (today).
    """
    require_plan_admin(actor, _("Adding an extra service"))
    day = on or today()
    problems = Problems()
    if value is not None and (value < 0 or value != value.quantize(schedule.CENT)):
        problems.add("value", _("must be zero or more, with at most two decimal places"))
    if not 1 <= installments <= schedule.MAX_INSTALLMENTS:
        problems.add(
            "installments",
            _(
                "must be between 1 and {max_installments}",
                max_installments=schedule.MAX_INSTALLMENTS,
            ),
        )
    if first_due_date < day:
        problems.add("firstDueDate", _("must not be before today ({day})", day=day.isoformat()))
    complement_value = (
        problems.check("complement", rules.text, complement, max_length=200, required=False)
        if complement is not None
        else None
    )
    notes_value = (
        problems.check("notes", rules.text, notes, max_length=MAX_NOTES, required=False)
        if notes is not None
        else None
    )
    problems.raise_any()

    # Additions to one plan wait for each other on its row (ADR 0123); the lock comes first, so
    # two of them never both hold plan_taking's shared lock and wait to upgrade it.
    await load_plan(session, plan_id, lock=True)
    plan = await plan_taking(session, plan_id, ServiceKind.EXTRA_SERVICE)
    definition = await reads.extra_service_definition(session, definition_id)
    if definition is None:
        raise NotFound("ExtraServiceDefinition", definition_id)
    if not definition.active:
        raise RuleViolation(
            DEFINITION_INACTIVE,
            _(
                "The extra service {definition_name!r} is no longer offered.",
                definition_name=definition.name,
            ),
        )
    if contact_id is not None:
        contact = await reads.contact(session, contact_id)
        if contact is None or contact.customer_id != plan.customer_id:
            raise ValidationFailed.one("contactId", _("is not a contact of the plan's customer"))
    amount = definition.default_value if value is None else value
    # The same terms on the same plan moments ago are that service, answered again.
    earlier = await reads.recent_extra_service(
        session,
        plan_id=plan.id,
        definition_id=definition.id,
        value=amount,
        installments=installments,
        first_due_date=first_due_date,
        complement=complement_value,
        since=utcnow() - REPEAT_WINDOW,
    )
    if earlier is not None:
        existing = await reads.extra_service_receivables(session, earlier.id)
        return ExtraServiceResult(earlier, plan, existing, repeated=True)
    try:
        charges = schedule.installments(
            value=amount,
            billing_type=definition.billing_type,
            count=installments,
            first_due_date=first_due_date,
        )
    except ValueError as error:
        raise ValidationFailed.one("installments", str(error)) from None

    service = ExtraService(
        plan_id=plan.id,
        status=ServiceStatus.ACTIVE,
        definition_id=definition.id,
        value=amount,
        complement=complement_value,
        start_date=schedule.start_date(definition.start_date_rule, today=day, due_day=plan.due_day),
        billing_type=definition.billing_type,
        first_due_date=first_due_date,
        installments=installments,
        contact_id=contact_id,
        notes=notes_value,
    )
    session.add(service)
    await session.flush()
    receivables = [
        Receivable(
            customer_id=plan.customer_id,
            plan_id=plan.id,
            extra_service_id=service.id,
            origin=ReceivableOrigin.EXTRA_SERVICE,
            description=f"{definition.name} {charge.number}/{len(charges)}"[:200],
            installment_number=charge.number,
            amount=charge.amount,
            due_date=charge.due_date,
            status=ReceivableStatus.OPEN,
        )
        for charge in charges
    ]
    session.add_all(receivables)
    await session.flush()
    await record(
        session,
        actor=actor,
        action="addExtraService",
        service=service,
        before=None,
        extra={"receivableIds": [r.id for r in receivables]},
    )
    return ExtraServiceResult(service, plan, receivables)


async def cancel_extra_service(
    session: AsyncSession, *, service_id: int, actor: Identity
) -> ExtraServiceResult:
    """Cancels an extra service: open installments not yet billed are dropped, billed ones kept."""
    require_plan_admin(actor, _("Cancelling an extra service"))
    service = await service_to_change(
        session, service_id, ServiceKind.EXTRA_SERVICE, entity="ExtraService"
    )
    assert isinstance(service, ExtraService)
    if service.status in (ServiceStatus.CANCELLED, ServiceStatus.DISABLED):
        raise InvalidTransition("ExtraService", service.status.name, ServiceStatus.CANCELLED.name)
    before = snapshot(service)
    await end_service(session, service, status=ServiceStatus.CANCELLED)
    kept: list[Receivable] = []
    dropped: list[dict[str, str]] = []
    for receivable in await reads.extra_service_receivables(session, service.id):
        if receivable.billed_at is None and receivable.status is ReceivableStatus.OPEN:
            dropped.append(
                {
                    "id": str(receivable.id),
                    "installment": str(receivable.installment_number),
                    "amount": str(receivable.amount),
                    "dueDate": receivable.due_date.isoformat(),
                }
            )
            await session.delete(receivable)
        else:
            kept.append(receivable)
    await session.flush()
    await record(
        session,
        actor=actor,
        action="cancelExtraService",
        service=service,
        before=before,
        extra={"droppedReceivables": dropped, "keptReceivableIds": [r.id for r in kept]},
    )
    plan = await reads.plan(session, service.plan_id)
    assert plan is not None
    return ExtraServiceResult(service, plan, kept, dropped)
