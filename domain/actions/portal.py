"""The subscriber's own actions (Central do Assinante, manual 003): opening a ticket, buying SMS
credits, and the second copy of a boleto and an invoice's XML, which the portal downloads.

Staff may act for any customer with the permission named; a subscriber acts on its own rows
only (and its session cannot even see anyone else's, domain.access).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain import changes
from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import (
    ensure_not_cancelled,
    load_plan,
    now,
    require,
    require_for_plan,
    snapshot,
)
from domain.errors import FieldProblem, NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.enums import ReceivableOrigin, ReceivableStatus, TicketStatus
from domain.reads import portal as reads
from domain.rules import boleto as boleto_rules
from domain.rules.repeats import REPEAT_WINDOW

# An SMS credit receivable falls due this many days after the purchase (ADR 0092).
SMS_CREDIT_DUE_DAYS = 3
TICKET_FIELDS = ("protocol", "type", "description", "status", "opened_at")

MAX_DESCRIPTION = 4000  # a ticket's description


def _customer_of(actor: Identity, customer_id: int | None) -> int:
    """Whose ticket: a subscriber's own customer, or the one staff name."""
    if actor.role is Role.SUBSCRIBER:
        if customer_id is not None and customer_id != actor.customer_id:
            raise NotFound("Customer", customer_id)
        return actor.customer_id or -1
    require(actor, Permission.CUSTOMER_ADMIN)
    if customer_id is None:
        raise ValidationFailed.one("customerId", _("Staff must name the customer."))
    return customer_id


async def open_ticket(
    session: AsyncSession,
    *,
    customer_id: int | None,
    plan_id: int | None,
    type: str,
    description: str,
    contact_name: str | None,
    actor: Identity,
) -> m.Ticket:
    """Opens a ticket; its protocol is the opening date followed by its number."""
    owner = _customer_of(actor, customer_id)
    customer = await session.get(m.Customer, owner)
    if customer is None:
        raise NotFound("Customer", owner)
    problems = []
    if not type.strip() or len(type.strip()) > 60:
        problems.append(FieldProblem(("type",), _("Give a type of at most 60 characters.")))
    if not description.strip():
        problems.append(FieldProblem(("description",), _("Describe the request.")))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(
            FieldProblem(
                ("description",),
                _("Give at most {max_description} characters.", max_description=MAX_DESCRIPTION),
            )
        )
    if contact_name is not None and not 0 < len(contact_name.strip()) <= 200:
        problems.append(FieldProblem(("contactName",), _("Give a name of 1 to 200 characters.")))
    if problems:
        raise ValidationFailed(problems)
    if plan_id is not None:
        plan = await session.get(m.Plan, plan_id)
        if plan is None or plan.customer_id != owner:
            raise NotFound("Plan", plan_id)
    opened = now()
    ticket = m.Ticket(
        customer_id=owner,
        plan_id=plan_id,
        protocol=uuid.uuid4().hex[:30],  # replaced below, once the number is known
        description=description.strip(),
        type=type.strip(),
        status=TicketStatus.OPEN,
        opened_at=opened,
    )
    session.add(ticket)
    await session.flush()
    ticket.protocol = f"{opened:%Y%m%d}{ticket.id:06d}"
    session.add(
        m.TicketContact(
            ticket_id=ticket.id,
            contact_id=None,
            name=(contact_name or customer.name).strip(),
            position=1,
        )
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="openTicket",
        target_type="Ticket",
        target_id=ticket.id,
        before=None,
        after=snapshot(ticket, *TICKET_FIELDS),
    )
    return ticket


async def issue_boleto(
    session: AsyncSession, receivable: m.Receivable, bank: m.Bank | None = None
) -> m.Boleto:
    """A new boleto for `receivable`, its lines computed per FEBRABAN."""
    bank = bank or await reads.default_bank(session)
    if bank is None:
        raise RuleViolation("NO_BANK", _("No bank is configured to issue boletos."))
    count = await reads.boleto_count(session, receivable.id)
    our_number = boleto_rules.our_number_of(receivable.id, count + 1)
    computed = boleto_rules.slip(bank.code, receivable.due_date, receivable.amount, our_number)
    boleto = m.Boleto(
        receivable_id=receivable.id,
        bank_id=bank.id,
        our_number=our_number,
        digitable_line=computed.digitable_line,
        barcode=computed.barcode,
        due_date=receivable.due_date,
        amount=receivable.amount,
    )
    session.add(boleto)
    await session.flush()
    # A new boleto changes what the receivable offers to pay with.
    changes.note(
        session,
        changes.Change(
            changes.Kind.RECEIVABLE, receivable.id, receivable.customer_id, receivable.plan_id
        ),
    )
    return boleto


@dataclass(frozen=True)
class SmsPurchase:
    purchase: m.SmsCreditPurchase
    receivable: m.Receivable
    boleto: m.Boleto
    credits: int
    repeated: bool = False  # the purchase made moments before, answered again (ADR 0123)


async def purchase_sms_credits(
    session: AsyncSession, *, plan_id: int, credit_value_id: int, actor: Identity
) -> SmsPurchase:
    """Buys a configured SMS credit package for a plan: a receivable and its boleto.

    The same package for the same plan within REPEAT_WINDOW is the first purchase, answered
    again: purchases of a plan wait for each other on its row, so ten at once buy once.
    """
    plan = await load_plan(session, plan_id, lock=True)
    require_for_plan(actor, plan, Permission.BILLING)
    ensure_not_cancelled(plan)
    value = await session.get(m.SmsCreditValue, credit_value_id)
    if value is None:
        raise NotFound("SmsCreditValue", credit_value_id)
    at = now()
    earlier = await reads.recent_sms_purchase(
        session, plan_id=plan.id, credit_value_id=value.id, since=at - REPEAT_WINDOW
    )
    if earlier is not None:
        receivable = await session.get(m.Receivable, earlier.receivable_id)
        boleto = await reads.first_open_boleto(session, earlier.receivable_id)
        if receivable is not None and boleto is not None:
            return SmsPurchase(earlier, receivable, boleto, value.credits, repeated=True)
    receivable = m.Receivable(
        customer_id=plan.customer_id,
        plan_id=plan.id,
        origin=ReceivableOrigin.SMS_CREDIT,
        description=f"{value.credits} créditos de SMS",
        amount=Decimal(value.price),
        due_date=at.date() + dt.timedelta(days=SMS_CREDIT_DUE_DAYS),
        status=ReceivableStatus.OPEN,
        billed_at=at,
    )
    session.add(receivable)
    await session.flush()
    boleto = await issue_boleto(session, receivable)
    purchase = m.SmsCreditPurchase(
        plan_id=plan.id, credit_value_id=value.id, receivable_id=receivable.id
    )
    session.add(purchase)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="purchaseSmsCredits",
        target_type="Plan",
        target_id=plan.id,
        before=None,
        after={"credits": value.credits, "receivable": receivable.id, "amount": str(value.price)},
    )
    return SmsPurchase(purchase, receivable, boleto, value.credits)


@dataclass(frozen=True)
class SecondCopy:
    """What the second copy of a boleto prints."""

    receivable: m.Receivable
    customer: m.Customer
    bank: m.Bank
    our_number: str
    slip: boleto_rules.Slip


async def boleto_second_copy(
    session: AsyncSession, *, receivable_id: int, actor: Identity, today: dt.date | None = None
) -> SecondCopy:
    """The slip of an open receivable that is not yet due (manual 003: "2ª via de boleto").

    It reprints the receivable's latest boleto (its nosso número and bank), or, for a receivable
    billed without one, the slip it would have; it writes nothing, so a GET may serve it.
    """
    receivable = await session.get(m.Receivable, receivable_id)
    if receivable is None:
        raise NotFound("Receivable", receivable_id)
    if actor.role is not Role.SUBSCRIBER:
        require(actor, Permission.BILLING)
    if receivable.status is not ReceivableStatus.OPEN:
        raise RuleViolation(
            "NOT_OPEN",
            _(
                "Receivable {receivable_id} is {status}.",
                receivable_id=receivable.id,
                status=receivable.status.value.lower(),
            ),
        )
    today = today or now().date()
    if receivable.due_date < today:
        raise RuleViolation(
            "OVERDUE",
            _(
                "Receivable {receivable_id} fell due on {due_date:%d/%m/%Y}; an overdue boleto is "
                "not reprinted, ask the ISP for an updated one.",
                receivable_id=receivable.id,
                due_date=receivable.due_date,
            ),
        )
    existing = await reads.first_open_boleto(session, receivable.id)
    bank = await session.get(m.Bank, existing.bank_id) if existing else None
    bank = bank or await reads.default_bank(session)
    if bank is None:
        raise RuleViolation("NO_BANK", _("No bank is configured to issue boletos."))
    our_number = existing.our_number if existing else boleto_rules.our_number_of(receivable.id, 1)
    customer = await session.get(m.Customer, receivable.customer_id)
    assert customer is not None  # a receivable's customer is visible with the receivable
    computed = boleto_rules.slip(bank.code, receivable.due_date, receivable.amount, our_number)
    return SecondCopy(receivable, customer, bank, our_number, computed)


async def invoice_xml(session: AsyncSession, *, invoice_id: int, actor: Identity) -> m.Invoice:
    """An invoice, for its XML document: the subscriber's own, or any for staff with BILLING."""
    invoice = await session.get(m.Invoice, invoice_id)
    if invoice is None:
        raise NotFound("Invoice", invoice_id)
    if actor.role is not Role.SUBSCRIBER:
        require(actor, Permission.BILLING)
    return invoice
