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
from domain.identity import Identity, Permission
from domain.models.enums import CallTermination, ReceivableStatus
from domain.reads import portal as reads
from domain.reads import registration as registration_reads

MAX_ROWS = 5000  # a statement longer than this is asked for a shorter period


def check_period(start: dt.datetime, end: dt.datetime) -> None:
    if end <= start:
        raise ValidationFailed.one("end", "must be after start")
    if end - start > dt.timedelta(days=366):
        raise ValidationFailed.one("end", "a period is at most 366 days")


def _holder(customer: m.Customer) -> str:
    kind = "CPF" if len(customer.document) == 11 else "CNPJ"
    return f"{customer.name} - {kind} {format_document(customer.kind, customer.document)}"


def _period(start: dt.datetime, end: dt.datetime) -> str:
    return f"Período: {start:%d/%m/%Y %H:%M} a {end:%d/%m/%Y %H:%M} (UTC)"


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
            "NO_BANK_DEBIT_AUTHORIZATION", f"Plan {plan.id} has no bank-debit authorization."
        )
    bank = await session.get(m.Bank, plan.bank_id)
    assert bank is not None
    text = "\n".join(
        [
            f"Titular: {_holder(customer)}",
            f"Plano: {plan.id}",
            f"Banco: {bank.code} - {bank.name}",
            f"Agência: {plan.bank_branch}",
            f"Conta: {plan.bank_account}",
            f"Autorizado em: {plan.bank_debit_authorized_at:%d/%m/%Y}",
            "",
            "Autorizo o débito em minha conta corrente, acima identificada, dos valores "
            "referentes aos serviços contratados, nas datas de vencimento.",
            "",
            "Assinatura do titular: ________________________________",
        ]
    )
    return render_pdf("Autorização de Débito Bancário", text)


async def connection_statement_pdf(
    session: AsyncSession, *, plan_id: int, start: dt.datetime, end: dt.datetime, actor: Identity
) -> bytes:
    """The plan's RADIUS sessions started in [start, end), newest first, with the totals."""
    check_period(start, end)
    plan, customer = await _plan_and_customer(session, plan_id)
    rows, totals = await reads.connection_statement(
        session, plan.id, start, end, offset=0, limit=MAX_ROWS
    )
    lines = [f"Cliente: {_holder(customer)}", f"Plano: {plan.id}", _period(start, end), ""]
    for row in rows:
        started = f"{row.acctstarttime:%d/%m/%Y %H:%M}" if row.acctstarttime else "-"
        lines.append(
            f"{started} | {row.username} | {row.acctsessiontime or 0} s | "
            f"IP {row.framedipaddress or '-'} | NAS {row.nasipaddress} | "
            f"{row.acctterminatecause or 'em andamento'}"
        )
    lines += [
        "",
        f"Sessões: {totals.count}",
        f"Tempo total: {totals.duration_seconds} s",
        f"Recebido: {totals.input_octets} bytes",
        f"Enviado: {totals.output_octets} bytes",
    ]
    return render_pdf("Extrato de Conexões", "\n".join(lines))


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
    lines = [f"Cliente: {_holder(customer)}", f"Plano: {plan.id}", _period(start, end)]
    if terminal_ids:
        shown = await reads.terminal_numbers(session, terminal_ids)
        lines.append(f"Terminais: {', '.join(sorted(shown.values())) or '-'}")
    lines.append("")
    for row in rows:
        terminal = numbers.get(row.voice_terminal_id or 0, "-")
        lines.append(
            f"{row.started_at:%d/%m/%Y %H:%M} | {terminal} | {row.destination} | "
            f"{row.duration_seconds} s | {row.termination.name} | R$ {brl(row.cost)}"
        )
    lines.append("")
    for total in totals:
        lines.append(
            f"{total.termination.name}: {total.count} ligações, {total.duration_seconds} s, "
            f"R$ {brl(total.cost)}"
        )
    lines.append(f"Total: R$ {brl(sum((t.cost for t in totals), Decimal('0.00')))}")
    return render_pdf("Extrato de Ligações", "\n".join(lines))


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
        raise ValidationFailed.one("end", "must not be before start")
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
    lines = [f"Cliente: {_holder(customer)}", f"Vencimentos: {start:%d/%m/%Y} a {end:%d/%m/%Y}", ""]
    for row in rows:
        paid = f" | pago em {row.paid_at:%d/%m/%Y}" if row.paid_at else ""
        lines.append(
            f"{row.due_date:%d/%m/%Y} | {row.description} | R$ {brl(row.amount)} | "
            f"{row.status.name}{paid}"
        )
    open_total = sum((r.amount for r in rows if r.status is ReceivableStatus.OPEN), Decimal("0"))
    paid_total = sum(
        (r.paid_amount or r.amount for r in rows if r.status is ReceivableStatus.PAID), Decimal("0")
    )
    lines += ["", f"Em aberto: R$ {brl(open_total)}", f"Pago: R$ {brl(paid_total)}"]
    return render_pdf("Extrato Financeiro", "\n".join(lines))


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
        f"Nota fiscal: {invoice.number}",
        f"Emitida em: {invoice.issued_on:%d/%m/%Y}",
        f"Tomador: {_holder(customer)}",
        "",
    ]
    lines += [f"{r.description} | venc. {r.due_date:%d/%m/%Y} | R$ {brl(r.amount)}" for r in items]
    lines += ["", f"Valor total: R$ {brl(invoice.amount)}"]
    return render_pdf("Nota Fiscal de Serviços", "\n".join(lines))
