"""The data subject's rights under the LGPD (Lei 13.709/2018) for a customer: the export of every
personal datum we hold (art. 18 II, V) and the anonymization of a former customer (art. 18 IV,
art. 16), keeping what other laws require us to keep (ADR 0161 says what and why)."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import now, require
from domain.errors import NotAllowed, NotFound, RuleViolation
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.enums import CustomerKind
from domain.reads import registration as reads

# Never exported: secrets are not personal data the subject can use, and a leak of the export
# must not hand out credentials. An invoice's XML is served on its own (GET /invoices/{id}.xml).
SECRET_COLUMNS = frozenset({"password_hash", "panel_password_hash", "xml_document", "pass_"})
ANONYMIZED_NAME = "Cliente anonimizado"
ANONYMIZED_CONTACT = "Contato anonimizado"
ANONYMIZED_TEXT = "Anonimizado"
# Kept in the customer's audit rows after anonymization: keys that name rows, not persons.
AUDIT_KEYS_KEPT = frozenset(
    {"kind", "version", "contact_id", "address_id", "contact_ids", "address_ids", "anonymized_at"}
)


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    return value


def _row(row: Any) -> dict[str, Any]:
    """Every column of the row (a service's kind table included) but the secret ones."""
    mapper = row.__class__.__mapper__
    return {
        attr.key: _json(getattr(row, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in SECRET_COLUMNS
    }


def _rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [_row(row) for row in rows]


async def customer_data_export(
    session: AsyncSession, *, customer_id: int | None, actor: Identity
) -> tuple[m.Customer, dict[str, Any]]:
    """Every personal datum held about the customer, as one JSON-ready document: the
    registration, plans with their services, contracts, appointments and address history,
    TV, money records, tickets, connection sessions, authentication attempts and calls.

    Staff need CUSTOMER_ADMIN; a subscriber exports only itself (None: itself)."""
    if actor.role is Role.SUBSCRIBER:
        customer_id = actor.customer_id if customer_id is None else customer_id
    elif actor.role is Role.STAFF:
        require(actor, Permission.CUSTOMER_ADMIN)
    else:
        raise NotAllowed(_("Only staff and the subscriber itself export a customer's data."))
    if customer_id is None:
        raise NotFound("Customer", "none")
    customer = await session.get(m.Customer, customer_id)
    if customer is None:
        raise NotFound("Customer", customer_id)
    cid = [customer.id]
    plans = await reads.rows_of(session, m.Plan, m.Plan.customer_id, cid)
    plan_ids = [p.id for p in plans]
    services = await reads.services_of_plans(session, plan_ids)
    logins = await reads.radius_logins_of(session, plan_ids)
    terminals = await reads.voice_terminal_ids(session, plan_ids)
    tickets = await reads.rows_of(session, m.Ticket, m.Ticket.customer_id, cid)
    tv_points = await reads.rows_of(session, m.TvPoint, m.TvPoint.plan_id, plan_ids)
    by_plan = {
        "services": services,
        "contract": await reads.rows_of(session, m.Contract, m.Contract.plan_id, plan_ids),
        "appointments": await reads.rows_of(
            session, m.InstallationAppointment, m.InstallationAppointment.plan_id, plan_ids
        ),
        "addressHistory": await reads.rows_of(
            session, m.PlanAddressHistory, m.PlanAddressHistory.plan_id, plan_ids
        ),
        "extraFields": await reads.rows_of(session, m.ExtraField, m.ExtraField.plan_id, plan_ids),
        "tvPackages": await reads.rows_of(
            session, m.TvPackageSubscription, m.TvPackageSubscription.plan_id, plan_ids
        ),
        "tvPoints": tv_points,
        "dueDateChanges": await reads.rows_of(
            session, m.DueDateChange, m.DueDateChange.plan_id, plan_ids
        ),
        "smsCreditPurchases": await reads.rows_of(
            session, m.SmsCreditPurchase, m.SmsCreditPurchase.plan_id, plan_ids
        ),
    }
    plan_documents = []
    for plan in plans:
        entry = _row(plan)
        for name, rows in by_plan.items():
            entry[name] = [_row(r) for r in rows if r.plan_id == plan.id]
        entry["contract"] = entry["contract"][0] if entry["contract"] else None
        plan_documents.append(entry)
    ticket_contacts = await reads.rows_of(
        session, m.TicketContact, m.TicketContact.ticket_id, [t.id for t in tickets]
    )
    document: dict[str, Any] = {
        "generatedAt": now().isoformat(),
        "legalBasis": _("LGPD art. 18: confirmation of and access to the personal data held"),
        "customer": _row(customer),
        "emails": _rows(await reads.emails_of(session, customer.id)),
        "phones": _rows(await reads.phones_of(session, customer.id)),
        "addresses": _rows(await reads.rows_of(session, m.Address, m.Address.customer_id, cid)),
        "contacts": _rows(await reads.rows_of(session, m.Contact, m.Contact.customer_id, cid)),
        "extraFields": _rows(
            await reads.rows_of(session, m.ExtraField, m.ExtraField.customer_id, cid)
        ),
        "plans": plan_documents,
        "tvPointHistory": _rows(
            await reads.rows_of(
                session, m.TvPointHistory, m.TvPointHistory.tv_point_id, [p.id for p in tv_points]
            )
        ),
        "receivables": _rows(
            await reads.rows_of(session, m.Receivable, m.Receivable.customer_id, cid)
        ),
        "invoices": _rows(await reads.rows_of(session, m.Invoice, m.Invoice.customer_id, cid)),
        "tickets": [
            {**_row(t), "contacts": [_row(c) for c in ticket_contacts if c.ticket_id == t.id]}
            for t in tickets
        ],
        "connectionSessions": _rows(
            await reads.rows_of(session, m.ConnectionSession, m.ConnectionSession.username, logins)
        ),
        "authenticationAttempts": _rows(
            await reads.rows_of(session, m.RadPostAuth, m.RadPostAuth.username, logins)
        ),
        "callRecords": _rows(
            await reads.rows_of(session, m.CallRecord, m.CallRecord.voice_terminal_id, terminals)
        ),
    }
    return customer, document


def anonymized_document(customer: m.Customer) -> str:
    """A placeholder document that is unique (the customer's id) and never a valid CPF or CNPJ
    ('#' is no document character), of the length the kind's check constraint wants."""
    length = 11 if customer.kind is CustomerKind.PERSON else 14
    return "#" + str(customer.id).zfill(length - 1)


async def anonymize_customer(
    session: AsyncSession, *, customer_id: int, actor: Identity
) -> m.Customer:
    """Replaces the personal data of a former customer (every plan cancelled, nothing open),
    keeping its money records, invoices, connection and call records (ADR 0161)."""
    require(actor, Permission.CUSTOMER_ADMIN)
    customer = await reads.customer_for_update(session, customer_id)
    if customer is None:
        raise NotFound("Customer", customer_id)
    if customer.anonymized_at is not None:
        raise RuleViolation(
            "CUSTOMER_ANONYMIZED",
            _("Customer {customer_id} is anonymized already.", customer_id=customer_id),
        )
    blockers = await reads.anonymization_blockers(session, customer.id)
    if blockers:
        raise RuleViolation(
            "CUSTOMER_NOT_FORMER",
            _(
                "Customer {customer_id} is not a former customer yet: {blockers}.",
                customer_id=customer.id,
                blockers="; ".join(map(str, blockers)),
            ),
        )
    at = now()
    cid = [customer.id]
    for row in await reads.emails_of(session, customer.id):
        await session.delete(row)
    for row in await reads.phones_of(session, customer.id):
        await session.delete(row)
    for row in await reads.rows_of(session, m.ExtraField, m.ExtraField.customer_id, cid):
        await session.delete(row)
    for contact in await reads.rows_of(session, m.Contact, m.Contact.customer_id, cid):
        contact.name, contact.phone, contact.email, contact.role = (
            ANONYMIZED_CONTACT,
            None,
            None,
            None,
        )
    for address in await reads.rows_of(session, m.Address, m.Address.customer_id, cid):
        address.cep, address.street, address.number = "00000000", ANONYMIZED_TEXT, "S/N"
        address.complement, address.district = None, ANONYMIZED_TEXT
    tickets = await reads.rows_of(session, m.Ticket, m.Ticket.customer_id, cid)
    for ticket in tickets:
        ticket.description = ANONYMIZED_TEXT
    for row in await reads.rows_of(
        session, m.TicketContact, m.TicketContact.ticket_id, [t.id for t in tickets]
    ):
        row.name = ANONYMIZED_CONTACT
    for row in await reads.customer_audit_rows(session, customer.id):
        row.before = _scrubbed(row.before)
        row.after = _scrubbed(row.after)
    customer.name = f"{ANONYMIZED_NAME} {customer.id}"
    customer.document = anonymized_document(customer)
    customer.trade_name = customer.email = customer.phone = customer.mobile_phone = None
    customer.birth_date = None
    customer.state_registration = None
    customer.anonymized_at = at
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="anonymizeCustomer",
        target_type="Customer",
        target_id=customer.id,
        before=None,
        after={"anonymized_at": at.isoformat()},
    )
    return customer


def _scrubbed(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {key: (value if key in AUDIT_KEYS_KEPT else None) for key, value in values.items()}
