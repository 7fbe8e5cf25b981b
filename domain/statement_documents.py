"""The printable documents the manuals name besides the contract and the boleto: the bank-debit
authorization (manual 001 §5.4.1.1.4), the connection, call and financial statements and the
invoice (manual 003), as PDFs. Each reads through the caller's scoped session, so another
customer's row does not exist, and takes the same filters as its GraphQL read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.actions import portal
from domain.actions.plan_common import require_for_plan
from domain.contract_document import brl, format_document, render_pdf
from domain.errors import NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.models.enums import CallTermination, ReceivableStatus
from domain.reads import portal as reads
from domain.reads import registration as registration_reads

MAX_ROWS = 5000  # a statement longer than this is asked for a shorter period


def check_period(start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise ValidationFailed.one("end", _("must be after start"))
    if end - start > dt.timedelta(days=366):
        raise ValidationFailed.one("end", _("a period is at most 366 days"))


def _holder(customer: m.Customer) -> str:
    kind = "CPF" if len(customer.document) == 11 else "CNPJ"
    return f"{customer.name} - {kind} {format_document(customer.kind, customer.document)}"


def _period(start: dt.datetime, end: dt.datetime) -> str:
    return str(
        _("Period: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} (UTC)", start=start, end=end)
    )


def _customer_line(customer: m.Customer) -> str:
    return str(_("Customer: {holder}", holder=_holder(customer)))


def _plan_line(plan: m.Plan) -> str:
    return str(_("Plan: {plan_id}", plan_id=plan.id))


def _moment() -> str:
    """How a date and time is written in the reader's language (a strftime format)."""
    return str(_("%Y-%m-%d %H:%M"))


def _day() -> str:
    """How a date is written in the reader's language (a strftime format)."""
    return str(_("%Y-%m-%d"))


async def _plan_and_customer(session: AsyncSession, plan_id: int) -> tuple[m.Plan, m.Customer]:
    plan = await session.get(m.Plan, plan_id)
    if plan is None:
        raise NotFound("Plan", plan_id)
    customer = await session.get(m.Customer, plan.customer_id)
    assert customer is not None  # a visible plan's customer is visible
    return plan, customer


async def bank_debit_authorization_pdf(
    session: AsyncSession, *, plan_id: int, actor: Identity
) -> bytes:
    """The authorization recorded by authorizeBankDebit, printed for the customer to sign;
    staff with BILLING or the plan's own subscriber."""
    plan, customer = await _plan_and_customer(session, plan_id)
    require_for_plan(actor, plan, Permission.BILLING)
    if plan.bank_debit_authorized_at is None or plan.bank_id is None:
        raise RuleViolation(
            "NO_BANK_DEBIT_AUTHORIZATION",
            _("Plan {plan_id} has no bank-debit authorization.", plan_id=plan.id),
        )
    bank = await session.get(m.Bank, plan.bank_id)
    assert bank is not None
    text = "\n".join(
        map(
            str,
            [
                _("Account holder: {holder}", holder=_holder(customer)),
                _("Plan: {plan_id}", plan_id=plan.id),
                _("Bank: {code} - {name}", code=bank.code, name=bank.name),
                _("Branch: {branch}", branch=plan.bank_branch),
                _("Account: {account}", account=plan.bank_account),
                _(
                    "Authorized on: {authorized_at:%Y-%m-%d}",
                    authorized_at=plan.bank_debit_authorized_at,
                ),
                "",
                _(
                    "I authorize the debit from my current account, identified above, of the "
                    "amounts due for the services contracted, on their due dates."
                ),
                "",
                _("Account holder's signature: ________________________________"),
            ],
        )
    )
    return render_pdf(str(_("Bank Debit Authorization")), text)


async def connection_statement_pdf(
    session: AsyncSession, *, plan_id: int, start: dt.datetime, end: dt.datetime, actor: Identity
) -> bytes:
    """The plan's RADIUS sessions started in [start, end), newest first, with the totals."""
    check_period(start, end)
    plan, customer = await _plan_and_customer(session, plan_id)
    rows, totals = await reads.connection_statement(
        session, plan.id, start, end, offset=0, limit=MAX_ROWS
    )
    lines = [_customer_line(customer), _plan_line(plan), _period(start, end), ""]
    for row in rows:
        started = f"{row.acctstarttime:{_moment()}}" if row.acctstarttime else "-"
        lines.append(
            f"{started} | {row.username} | {row.acctsessiontime or 0} s | "
            f"IP {row.framedipaddress or '-'} | NAS {row.nasipaddress} | "
            f"{row.acctterminatecause or _('in progress')}"
        )
    lines += [
        "",
        str(_("Sessions: {count}", count=totals.count)),
        str(_("Total time: {seconds} s", seconds=totals.duration_seconds)),
        str(_("Received: {octets} bytes", octets=totals.input_octets)),
        str(_("Sent: {octets} bytes", octets=totals.output_octets)),
    ]
    return render_pdf(str(_("Connection Statement")), "\n".join(lines))


async def call_statement_pdf(
    session: AsyncSession,
    *,
    plan_id: int,
    start: dt.datetime,
    end: dt.datetime,
    terminations: Sequence[CallTermination] | None,
    terminal_ids: Sequence[int] | None,
    actor: Identity,
) -> bytes:
    """The plan's calls in [start, end) ("Imprimir"), for the terminals and termination types
    asked, with the totals by termination type."""
    check_period(start, end)
    plan, customer = await _plan_and_customer(session, plan_id)
    rows, totals = await reads.call_statement(
        session, plan.id, start, end, terminations, terminal_ids
    )
    numbers = await reads.terminal_numbers(
        session, [r.voice_terminal_id for r in rows if r.voice_terminal_id]
    )
    lines = [_customer_line(customer), _plan_line(plan), _period(start, end)]
    if terminal_ids:
        shown = await reads.terminal_numbers(session, terminal_ids)
        terminals = ", ".join(sorted(shown.values())) or "-"
        lines.append(str(_("Terminals: {terminals}", terminals=terminals)))
    lines.append("")
    for row in rows:
        terminal = numbers.get(row.voice_terminal_id or 0, "-")
        lines.append(
            f"{row.started_at:{_moment()}} | {terminal} | {row.destination} | "
            f"{row.duration_seconds} s | {row.termination.name} | R$ {brl(row.cost)}"
        )
    lines.append("")
    for total in totals:
        lines.append(
            str(
                _(
                    "{termination}: {count} calls, {seconds} s, R$ {cost}",
                    termination=total.termination.name,
                    count=total.count,
                    seconds=total.duration_seconds,
                    cost=brl(total.cost),
                )
            )
        )
    grand_total = brl(sum((t.cost for t in totals), Decimal("0.00")))
    lines.append(str(_("Total: R$ {amount}", amount=grand_total)))
    return render_pdf(str(_("Call Statement")), "\n".join(lines))


async def financial_statement_pdf(
    session: AsyncSession,
    *,
    customer_id: int,
    start: dt.date,
    end: dt.date,
    statuses: Sequence[ReceivableStatus] | None,
    actor: Identity,
) -> bytes:
    """The customer's receivables due from `start` to `end` (inclusive), in the statuses asked,
    with what is open and what was paid; staff need BILLING (the receivables' permission)."""
    if end < start:
        raise ValidationFailed.one("end", _("must not be before start"))
    customer = await session.get(m.Customer, customer_id)
    if customer is None:
        raise NotFound("Customer", customer_id)
    rows = [
        r
        for r in await registration_reads.rows_of(
            session, m.Receivable, m.Receivable.customer_id, [customer.id]
        )
        if start <= r.due_date <= end and (not statuses or r.status in statuses)
    ]
    rows.sort(key=lambda r: (r.due_date, r.id))
    due = _("Due dates: {start:%Y-%m-%d} to {end:%Y-%m-%d}", start=start, end=end)
    lines = [_customer_line(customer), str(due), ""]
    for row in rows:
        paid = str(_(" | paid on {paid_at:%Y-%m-%d}", paid_at=row.paid_at)) if row.paid_at else ""
        lines.append(
            f"{row.due_date:{_day()}} | {row.description} | R$ {brl(row.amount)} | "
            f"{row.status.name}{paid}"
        )
    open_total = sum((r.amount for r in rows if r.status is ReceivableStatus.OPEN), Decimal("0"))
    paid_total = sum(
        (r.paid_amount or r.amount for r in rows if r.status is ReceivableStatus.PAID), Decimal("0")
    )
    lines += [
        "",
        str(_("Open: R$ {amount}", amount=brl(open_total))),
        str(_("Paid: R$ {amount}", amount=brl(paid_total))),
    ]
    return render_pdf(str(_("Financial Statement")), "\n".join(lines))


async def invoice_pdf(session: AsyncSession, *, invoice_id: int, actor: Identity) -> bytes:
    """A printable view of an invoice (nota fiscal) besides its XML: the subscriber's own, or
    any for staff with BILLING."""
    invoice = await portal.invoice_xml(session, invoice_id=invoice_id, actor=actor)
    customer = await session.get(m.Customer, invoice.customer_id)
    assert customer is not None
    items = await registration_reads.rows_of(
        session, m.Receivable, m.Receivable.invoice_id, [invoice.id]
    )
    lines = [
        str(_("Invoice: {number}", number=invoice.number)),
        str(_("Issued on: {issued_on:%Y-%m-%d}", issued_on=invoice.issued_on)),
        str(_("Service taker: {holder}", holder=_holder(customer))),
        "",
    ]
    lines += [
        str(
            _(
                "{description} | due {due_date:%Y-%m-%d} | R$ {amount}",
                description=r.description,
                due_date=r.due_date,
                amount=brl(r.amount),
            )
        )
        for r in items
    ]
    lines += ["", str(_("Total amount: R$ {amount}", amount=brl(invoice.amount)))]
    return render_pdf(str(_("Service Invoice")), "\n".join(lines))
