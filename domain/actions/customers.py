"""Customer registration (manual 001, "Cadastro de Cliente" / "Novo Cliente"): creating and
changing a customer, its e-mails, phones, contacts and addresses; the LGPD data export and
anonymization (ADR 0160, 0161).

Staff need CUSTOMER_ADMIN. A subscriber may change its own e-mails, phones and contacts (never
its document, name or addresses). Every action writes one audit row targeting the customer, so
the customer's whole registration history is one `target_type = 'Customer'` query. After each
change the registration rules that addPlan enforces are evaluated and returned as alerts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import (
    NewAddress,
    NewContact,
    check_new_address,
    check_new_contact,
    now,
    require,
    snapshot,
)
from domain.actions.registration_rules import RegistrationAlert, failed_rules
from domain.errors import (
    Conflict,
    FieldProblem,
    NotAllowed,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.enums import CustomerKind, PhoneKind
from domain.ports.cep import CepLookup
from domain.reads import registration as reads
from domain.rules.documents import is_valid_cnpj, is_valid_cpf, normalize_document

MAX_EMAILS = 10
MAX_PHONES = 10
MAX_CONTACTS = 50
MAX_ADDRESSES = 20
OLDEST_BIRTH = dt.date(1900, 1, 1)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9]{8,15}")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")
_STATE_REGISTRATION = re.compile(r"[0-9A-Z]{2,14}|ISENTO")
CUSTOMER_FIELDS = (
    "kind", "name", "trade_name", "document", "email", "phone", "mobile_phone", "birth_date",
    "state_registration", "version",
)  # fmt: skip
CONTACT_FIELDS = ("name", "phone", "email", "role")
ADDRESS_FIELDS = ("cep", "street", "number", "complement", "district", "city", "state")
# What a subscriber may change of its own registration; the rest is staff's (CUSTOMER_ADMIN).
SUBSCRIBER_FIELDS = frozenset({"emails", "phones"})


@dataclass(frozen=True)
class PhoneNumber:
    number: str
    kind: PhoneKind


@dataclass(frozen=True)
class CustomerFields:
    """A customer's own fields; on update None leaves a field as it is (a list replaces the
    whole list; [] empties it)."""

    kind: CustomerKind | None = None
    name: str | None = None
    trade_name: str | None = None
    document: str | None = None
    birth_date: dt.date | None = None
    state_registration: str | None = None
    emails: list[str] | None = None
    phones: list[PhoneNumber] | None = None

    def given(self) -> set[str]:
        return {name for name in self.__dataclass_fields__ if getattr(self, name) is not None}


@dataclass(frozen=True)
class NewCustomer:
    fields: CustomerFields
    addresses: list[NewAddress] = field(default_factory=list)
    contacts: list[NewContact] = field(default_factory=list)


@dataclass
class Registration:
    """The customer after a registration action, what the action touched, and the alerts."""

    customer: m.Customer
    alerts: list[RegistrationAlert]
    addresses: list[m.Address] = field(default_factory=list)
    contacts: list[m.Contact] = field(default_factory=list)
    removed_contact_id: int | None = None


# ---- who may act ----


def _own_customer(actor: Identity, customer_id: int | None) -> int:
    """The customer acted on: the given one, or the subscriber's own when none is given."""
    if customer_id is not None:
        return customer_id
    if actor.role is Role.SUBSCRIBER and actor.customer_id is not None:
        return actor.customer_id
    raise ValidationFailed.one("customerId", _("is required"))


def _require_editor(actor: Identity, *, subscriber_may: bool) -> None:
    """Staff holding CUSTOMER_ADMIN; the subscriber too where `subscriber_may` (its session sees
    only its own customer, so another's is not found)."""
    if subscriber_may and actor.role is Role.SUBSCRIBER:
        return
    require(actor, Permission.CUSTOMER_ADMIN)


async def _load(session: AsyncSession, customer_id: int) -> m.Customer:
    customer = await reads.customer_for_update(session, customer_id)
    if customer is None:
        raise NotFound("Customer", customer_id)
    if customer.anonymized_at is not None:
        raise RuleViolation(
            "CUSTOMER_ANONYMIZED",
            _("Customer {customer_id} was anonymized; it cannot change.", customer_id=customer_id),
        )
    return customer


def _touch(customer: m.Customer) -> None:
    """Bumps the version: a change of the customer's contacts or addresses takes part in the
    customer's optimistic lock (ADR 0042's rule for plans)."""
    customer.version = customer.version + 1


# ---- checks ----


def _text(
    value: str | None,
    path: str,
    problems: list[FieldProblem],
    *,
    limit: int,
    required: bool = False,
) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        if required:
            problems.append(FieldProblem((path,), _("must not be blank")))
        return None
    if len(value) > limit or not value.isprintable():
        problems.append(
            FieldProblem((path,), _("must be at most {limit} printable characters", limit=limit))
        )
    return value


def _check_emails(emails: list[str], problems: list[FieldProblem]) -> list[str]:
    if len(emails) > MAX_EMAILS:
        problems.append(
            FieldProblem(("emails",), _("must be at most {max_emails}", max_emails=MAX_EMAILS))
        )
    result: list[str] = []
    for index, raw in enumerate(emails):
        email = raw.strip().lower()
        if len(email) > 254 or not _EMAIL.fullmatch(email):
            problems.append(FieldProblem(("emails", str(index)), _("must be an e-mail address")))
        elif email in result:
            problems.append(FieldProblem(("emails", str(index)), _("is given twice")))
        else:
            result.append(email)
    return result


def _check_phones(phones: list[PhoneNumber], problems: list[FieldProblem]) -> list[PhoneNumber]:
    if len(phones) > MAX_PHONES:
        problems.append(
            FieldProblem(("phones",), _("must be at most {max_phones}", max_phones=MAX_PHONES))
        )
    result: list[PhoneNumber] = []
    for index, phone in enumerate(phones):
        number = _PHONE_PUNCTUATION.sub("", phone.number.strip())
        if not _PHONE.fullmatch(number):
            problems.append(
                FieldProblem(
                    ("phones", str(index), "number"),
                    _("must be 8 to 15 digits, e.g. +5511987654321"),
                )
            )
        elif any(p.number == number for p in result):
            problems.append(FieldProblem(("phones", str(index), "number"), _("is given twice")))
        else:
            result.append(PhoneNumber(number=number, kind=phone.kind))
    return result


async def _check_fields(
    session: AsyncSession,
    fields: CustomerFields,
    *,
    current: m.Customer | None,
    today: dt.date,
    problems: list[FieldProblem],
) -> dict[str, Any]:
    """The given fields normalised (None ones absent), every problem appended."""
    values: dict[str, Any] = {}
    kind = fields.kind or (current.kind if current else None)
    if current is None and fields.kind is None:
        problems.append(FieldProblem(("kind",), _("is required")))
    elif fields.kind is not None:
        values["kind"] = fields.kind
    name = _text(fields.name, "name", problems, limit=200, required=True)
    if current is None and name is None and fields.name is None:
        problems.append(FieldProblem(("name",), _("is required")))
    if name is not None:
        values["name"] = name
    if fields.trade_name is not None:
        trade_name = _text(fields.trade_name, "tradeName", problems, limit=200)
        if trade_name is not None and kind is CustomerKind.PERSON:
            problems.append(FieldProblem(("tradeName",), _("is only for a company (PJ)")))
        values["trade_name"] = trade_name
    elif kind is CustomerKind.PERSON and current is not None and current.trade_name:
        values["trade_name"] = None  # a company that becomes a person has no trade name
    document = fields.document
    if document is None and current is not None and fields.kind is not None:
        document = current.document  # a new kind must fit the document
    if document is None and current is None:
        problems.append(FieldProblem(("document",), _("is required")))
    elif document is not None and kind is not None:
        normalised = normalize_document(document)
        valid = is_valid_cpf if kind is CustomerKind.PERSON else is_valid_cnpj
        what = "CPF" if kind is CustomerKind.PERSON else "CNPJ"
        if not valid(normalised):
            problems.append(FieldProblem(("document",), _("is not a valid {what}", what=what)))
        else:
            holder = await reads.document_holder(session, normalised)
            if holder is not None and (current is None or holder != current.id):
                problems.append(
                    FieldProblem(
                        ("document",), _("is already registered (customer {holder})", holder=holder)
                    )
                )
            values["document"] = normalised
    if fields.birth_date is not None:
        if not OLDEST_BIRTH <= fields.birth_date <= today:
            problems.append(
                FieldProblem(
                    ("birthDate",),
                    _("must be between {oldest_birth} and today", oldest_birth=OLDEST_BIRTH),
                )
            )
        values["birth_date"] = fields.birth_date
    if fields.state_registration is not None:
        registration = normalize_document(fields.state_registration) or None
        if registration is not None and not _STATE_REGISTRATION.fullmatch(registration):
            problems.append(
                FieldProblem(
                    ("stateRegistration",), _("must be 2 to 14 letters or digits, or ISENTO")
                )
            )
        values["state_registration"] = registration
    if fields.emails is not None:
        values["emails"] = _check_emails(fields.emails, problems)
    if fields.phones is not None:
        values["phones"] = _check_phones(fields.phones, problems)
    return values


async def _check_addresses(
    addresses: list[NewAddress],
    *,
    path: str,
    cep_lookup: CepLookup | None,
    problems: list[FieldProblem],
) -> list[NewAddress]:
    if len(addresses) > MAX_ADDRESSES:
        problems.append(
            FieldProblem((path,), _("must be at most {max_addresses}", max_addresses=MAX_ADDRESSES))
        )
    checked = []
    for index, address in enumerate(addresses):
        found = await check_new_address(
            address, path=(path, str(index)), cep_lookup=cep_lookup, problems=problems
        )
        if found is not None:
            checked.append(found)
    return checked


def _check_contact(
    contact: NewContact, path: tuple[str, ...], problems: list[FieldProblem]
) -> None:
    check_new_contact(contact, path=path, problems=problems)
    if contact.role is not None and len(contact.role) > 100:
        problems.append(FieldProblem((*path, "role"), _("must be at most 100 characters")))


# ---- writing ----


async def _write_lists(session: AsyncSession, customer: m.Customer, values: dict[str, Any]) -> None:
    """Replaces the customer's e-mail and phone rows with the lists `values` holds."""
    if "emails" in values:
        for row in await reads.emails_of(session, customer.id):
            await session.delete(row)
    if "phones" in values:
        for row in await reads.phones_of(session, customer.id):
            await session.delete(row)
    await session.flush()  # the old rows go before new ones take their unique keys
    for position, email in enumerate(values.get("emails", ()), start=1):
        session.add(m.CustomerEmail(customer_id=customer.id, address=email, position=position))
    for position, phone in enumerate(values.get("phones", ()), start=1):
        session.add(
            m.CustomerPhone(
                customer_id=customer.id, kind=phone.kind, number=phone.number, position=position
            )
        )


def _set_principals(customer: m.Customer, values: dict[str, Any]) -> None:
    """The principal columns follow the lists: the first e-mail, the first of each kind of
    phone (what boletos, the TV platform and the registration rules read)."""
    if "emails" in values:
        customer.email = values["emails"][0] if values["emails"] else None
    if "phones" in values:
        phones: list[PhoneNumber] = values["phones"]
        customer.phone = next((p.number for p in phones if p.kind is PhoneKind.LANDLINE), None)
        customer.mobile_phone = next((p.number for p in phones if p.kind is PhoneKind.MOBILE), None)


def _listed(values: dict[str, Any]) -> dict[str, Any]:
    """The lists of `values` as JSON, for the audit row."""
    listed: dict[str, Any] = {}
    if "emails" in values:
        listed["emails"] = list(values["emails"])
    if "phones" in values:
        listed["phones"] = [{"number": p.number, "kind": p.kind.name} for p in values["phones"]]
    return listed


def _contact(customer_id: int, contact: NewContact) -> m.Contact:
    return m.Contact(
        customer_id=customer_id,
        name=contact.name.strip(),
        phone=contact.phone,
        email=contact.email.strip().lower() if contact.email else None,
        role=contact.role.strip() if contact.role else None,
    )


def _address(customer_id: int, address: NewAddress) -> m.Address:
    return m.Address(
        customer_id=customer_id, **{name: getattr(address, name) for name in ADDRESS_FIELDS}
    )


async def _alerts(session: AsyncSession, customer: m.Customer) -> list[RegistrationAlert]:
    await session.flush()
    return await failed_rules(session, customer, now().date())


async def create_customer(
    session: AsyncSession, *, new: NewCustomer, cep_lookup: CepLookup | None, actor: Identity
) -> Registration:
    """Registers a person (CPF) or a company (CNPJ) with its e-mails, phones, addresses and
    contacts; every problem of the input is reported at once and nothing is written."""
    require(actor, Permission.CUSTOMER_ADMIN)
    problems: list[FieldProblem] = []
    values = await _check_fields(
        session, new.fields, current=None, today=now().date(), problems=problems
    )
    addresses = await _check_addresses(
        new.addresses, path="addresses", cep_lookup=cep_lookup, problems=problems
    )
    if len(new.contacts) > MAX_CONTACTS:
        problems.append(
            FieldProblem(
                ("contacts",), _("must be at most {max_contacts}", max_contacts=MAX_CONTACTS)
            )
        )
    for index, contact in enumerate(new.contacts):
        _check_contact(contact, ("contacts", str(index)), problems)
    if problems:
        raise ValidationFailed(problems)
    customer = m.Customer(**{k: v for k, v in values.items() if k not in ("emails", "phones")})
    _set_principals(customer, values)
    session.add(customer)
    await session.flush()
    await _write_lists(session, customer, values)
    address_rows = [_address(customer.id, a) for a in addresses]
    contact_rows = [_contact(customer.id, c) for c in new.contacts]
    session.add_all([*address_rows, *contact_rows])
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="createCustomer",
        target_type="Customer",
        target_id=customer.id,
        before=None,
        after={
            **snapshot(customer, *CUSTOMER_FIELDS),
            **_listed(values),
            "address_ids": [a.id for a in address_rows],
            "contact_ids": [c.id for c in contact_rows],
        },
    )
    return Registration(
        customer=customer,
        alerts=await _alerts(session, customer),
        addresses=address_rows,
        contacts=contact_rows,
    )


async def update_customer(
    session: AsyncSession,
    *,
    customer_id: int | None,
    fields: CustomerFields,
    expected_version: int | None,
    actor: Identity,
) -> Registration:
    """Changes the given fields. A subscriber changes only its own e-mails and phones.

    `expected_version` is the version the caller read: another change since then makes this
    one a Conflict (so does a concurrent change: the version column, ADR 0042)."""
    given = fields.given()
    if actor.role is Role.SUBSCRIBER:
        if given - SUBSCRIBER_FIELDS:
            names = ", ".join(sorted(given - SUBSCRIBER_FIELDS))
            raise NotAllowed(
                _("A subscriber changes only its e-mails and phones, not: {names}.", names=names),
                permission=Permission.CUSTOMER_ADMIN.name,
            )
    else:
        require(actor, Permission.CUSTOMER_ADMIN)
    if not given:
        raise ValidationFailed.one("input", _("give at least one field to change"))
    customer = await _load(session, _own_customer(actor, customer_id))
    if expected_version is not None and expected_version != customer.version:
        raise Conflict(
            _(
                "Customer {customer_id} is at version {version}, not {expected_version}: someone "
                "changed it meanwhile; read it again.",
                customer_id=customer.id,
                version=customer.version,
                expected_version=expected_version,
            )
        )
    problems: list[FieldProblem] = []
    values = await _check_fields(
        session, fields, current=customer, today=now().date(), problems=problems
    )
    if problems:
        raise ValidationFailed(problems)
    before = {
        **snapshot(customer, *CUSTOMER_FIELDS),
        **_listed(
            {
                "emails": [e.address for e in await reads.emails_of(session, customer.id)],
                "phones": [
                    PhoneNumber(p.number, p.kind)
                    for p in await reads.phones_of(session, customer.id)
                ],
            }
        ),
    }
    # Rows first, the customer's one UPDATE last: its version moves by exactly one.
    await _write_lists(session, customer, values)
    for name, value in values.items():
        if name not in ("emails", "phones"):
            setattr(customer, name, value)
    _set_principals(customer, values)
    _touch(customer)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="updateCustomer",
        target_type="Customer",
        target_id=customer.id,
        before=before,
        after={**snapshot(customer, *CUSTOMER_FIELDS), **_listed(values)},
    )
    return Registration(customer=customer, alerts=await _alerts(session, customer))


# ---- contacts ----


@dataclass(frozen=True)
class ContactChanges:
    """On update, None leaves a field as it is; "" clears an optional one."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    role: str | None = None


async def add_contact(
    session: AsyncSession, *, customer_id: int | None, contact: NewContact, actor: Identity
) -> Registration:
    """Adds a contact (a person who follows installations or extra services)."""
    _require_editor(actor, subscriber_may=True)
    customer = await _load(session, _own_customer(actor, customer_id))
    problems: list[FieldProblem] = []
    _check_contact(contact, ("contact",), problems)
    if problems:
        raise ValidationFailed(problems)
    row = _contact(customer.id, contact)
    session.add(row)
    _touch(customer)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="addContact",
        target_type="Customer",
        target_id=customer.id,
        before=None,
        after={"contact_id": row.id, **snapshot(row, *CONTACT_FIELDS)},
    )
    return Registration(customer=customer, alerts=await _alerts(session, customer), contacts=[row])


async def _contact_row(session: AsyncSession, contact_id: int) -> m.Contact:
    contact = await session.get(m.Contact, contact_id)
    if contact is None:
        raise NotFound("Contact", contact_id)
    return contact


async def update_contact(
    session: AsyncSession, *, contact_id: int, changes: ContactChanges, actor: Identity
) -> Registration:
    _require_editor(actor, subscriber_may=True)
    row = await _contact_row(session, contact_id)
    customer = await _load(session, row.customer_id)
    merged = NewContact(
        name=changes.name if changes.name is not None else row.name,
        phone=row.phone if changes.phone is None else (changes.phone or None),
        email=row.email if changes.email is None else (changes.email or None),
        role=row.role if changes.role is None else (changes.role or None),
    )
    problems: list[FieldProblem] = []
    _check_contact(merged, ("contact",), problems)
    if problems:
        raise ValidationFailed(problems)
    before = snapshot(row, *CONTACT_FIELDS)
    fresh = _contact(customer.id, merged)
    for name in CONTACT_FIELDS:
        setattr(row, name, getattr(fresh, name))
    _touch(customer)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="updateContact",
        target_type="Customer",
        target_id=customer.id,
        before={"contact_id": row.id, **before},
        after={"contact_id": row.id, **snapshot(row, *CONTACT_FIELDS)},
    )
    return Registration(customer=customer, alerts=await _alerts(session, customer), contacts=[row])


async def remove_contact(
    session: AsyncSession, *, contact_id: int, actor: Identity
) -> Registration:
    """Removes a contact, unless it still follows a scheduled installation or an extra service
    (choose another contact there first)."""
    _require_editor(actor, subscriber_may=True)
    row = await _contact_row(session, contact_id)
    customer = await _load(session, row.customer_id)
    following = await reads.contact_followers(session, row.id)
    if following:
        raise RuleViolation(
            "CONTACT_IN_USE",
            _(
                "Contact {contact_id} still follows {following}; give them another contact first.",
                contact_id=row.id,
                following=", ".join(map(str, following)),
            ),
        )
    before = {"contact_id": row.id, **snapshot(row, *CONTACT_FIELDS)}
    await session.delete(row)
    _touch(customer)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="removeContact",
        target_type="Customer",
        target_id=customer.id,
        before=before,
        after=None,
    )
    return Registration(
        customer=customer, alerts=await _alerts(session, customer), removed_contact_id=contact_id
    )


# ---- addresses ----


async def add_address(
    session: AsyncSession,
    *,
    customer_id: int,
    address: NewAddress,
    cep_lookup: CepLookup | None,
    actor: Identity,
) -> Registration:
    """Adds an address, completed by the CEP lookup where fields are missing."""
    require(actor, Permission.CUSTOMER_ADMIN)
    customer = await _load(session, customer_id)
    problems: list[FieldProblem] = []
    checked = await check_new_address(
        address, path=("address",), cep_lookup=cep_lookup, problems=problems
    )
    if problems or checked is None:
        raise ValidationFailed(problems)
    row = _address(customer.id, checked)
    session.add(row)
    _touch(customer)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="addAddress",
        target_type="Customer",
        target_id=customer.id,
        before=None,
        after={"address_id": row.id, **snapshot(row, *ADDRESS_FIELDS)},
    )
    return Registration(customer=customer, alerts=await _alerts(session, customer), addresses=[row])


async def update_address(
    session: AsyncSession,
    *,
    address_id: int,
    address: NewAddress,
    cep_lookup: CepLookup | None,
    actor: Identity,
) -> Registration:
    """Corrects an address no plan uses; a plan's address changes only through transferAddress,
    which keeps the plan's address history."""
    require(actor, Permission.CUSTOMER_ADMIN)
    row = await session.get(m.Address, address_id)
    if row is None:
        raise NotFound("Address", address_id)
    customer = await _load(session, row.customer_id)
    plans = await reads.plans_using_address(session, row.id)
    if plans:
        raise RuleViolation(
            "ADDRESS_USED_BY_PLAN",
            _(
                "Address {row_id} is (or was) the address of plan(s) {value}; move a plan with "
                "transferAddress instead.",
                row_id=row.id,
                value=", ".join(map(str, plans)),
            ),
        )
    problems: list[FieldProblem] = []
    checked = await check_new_address(
        address, path=("address",), cep_lookup=cep_lookup, problems=problems
    )
    if problems or checked is None:
        raise ValidationFailed(problems)
    before = {"address_id": row.id, **snapshot(row, *ADDRESS_FIELDS)}
    for name in ADDRESS_FIELDS:
        setattr(row, name, getattr(checked, name))
    _touch(customer)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="updateAddress",
        target_type="Customer",
        target_id=customer.id,
        before=before,
        after={"address_id": row.id, **snapshot(row, *ADDRESS_FIELDS)},
    )
    return Registration(customer=customer, alerts=await _alerts(session, customer), addresses=[row])
