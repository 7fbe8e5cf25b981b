"""What every plan action shares: who may act, loading the plan, addresses, audit snapshots."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain import changes, statements
from domain.errors import FieldProblem, NotAllowed, NotFound, RuleViolation
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models import Address, Contact, Plan
from domain.models.base import utcnow
from domain.models.enums import PlanStatus
from domain.ports.cep import CepLookup, CepUnavailable, normalize_cep
from domain.reads import plans as reads

STATES = frozenset(
    "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split()
)


def now() -> dt.datetime:
    return utcnow()


def require(actor: Identity, permission: Permission) -> None:
    """Refuses anyone but staff holding `permission`."""
    if not actor.has(permission):
        raise NotAllowed(
            _(
                "This action needs the {permission_name} permission.",
                permission_name=permission.name,
            ),
            permission=permission.name,
        )


def require_for_plan(actor: Identity, plan: Plan, permission: Permission) -> None:
    """Staff holding `permission`, or the subscriber whose plan it is."""
    if actor.role is Role.SUBSCRIBER and actor.customer_id == plan.customer_id:
        return
    require(actor, permission)


async def load_plan(session: AsyncSession, plan_id: int, *, lock: bool = False) -> Plan:
    """The plan as stored now (a write checks this version), or NotFound.

    Most actions rely on the version column alone (optimistic). `lock` is for an action whose
    checks read several rows and must see them as of one moment (changeDueDate).
    """
    plan = await reads.plan_for_update(session, plan_id, lock=lock)
    if plan is None:
        raise NotFound("Plan", plan_id)
    return plan


# The plan's columns as its attributes, with the enum class of each enum column.
_PLAN_ATTRIBUTES = tuple(
    (Plan.__mapper__.get_property_by_column(column).key, getattr(column.type, "enum_class", None))
    for column in Plan.__table__.columns
)


def _plan_by_id() -> Any:
    return select(*Plan.__table__.columns).where(Plan.__table__.c.id == bindparam("plan_id"))


async def plan_copy(session: AsyncSession, plan_id: int) -> Plan | None:
    """The plan as stored now, read on the session's connection without the ORM
    (domain.statements): a transient Plan the session does not track, whose changes an action
    writes with `save_plan` (checking its version)."""
    rows = await statements.run(
        session, "plans.plan_copy", _plan_by_id, {"plan_id": plan_id}, scoped=Plan
    )
    if not rows:
        return None
    plan: Plan = Plan.__mapper__.class_manager.new_instance()  # as the ORM's loading makes one
    values = plan.__dict__
    for (name, enum_class), value in zip(_PLAN_ATTRIBUTES, rows[0], strict=True):
        values[name] = enum_class[value] if enum_class is not None and value is not None else value
    return plan


async def load_plan_copy(session: AsyncSession, plan_id: int) -> Plan:
    """The plan as stored now, as a copy the session does not track (`plan_copy`), or
    NotFound; an action changes it and writes it with `save_plan`."""
    plan = await plan_copy(session, plan_id)
    if plan is None:
        raise NotFound("Plan", plan_id)
    return plan


def _plan_update(names: tuple[str, ...]) -> Any:
    table = Plan.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("plan_id"), table.c.version == bindparam("read_version"))
        .values({name: bindparam(f"new_{name}") for name in (*names, "version")})
        .returning(table.c.id)
    )


async def save_plan(session: AsyncSession, plan: Plan, *names: str) -> None:
    """Writes the named columns of a plan copy (`load_plan_copy`) in one UPDATE that checks the
    version it was read with and bumps it, as the ORM's versioned flush does: StaleDataError
    (answered as Conflict) when someone else changed the plan meanwhile."""
    version = plan.version
    written = {name: getattr(plan, name) for name in names}
    values = {f"new_{name}": value for name, value in written.items()}
    values.update(plan_id=plan.id, read_version=version, new_version=version + 1)
    rows = await statements.run(
        session, ("plans.save", names), lambda: _plan_update(names), values, scoped=Plan
    )
    if not rows:
        raise StaleDataError(f"Plan {plan.id} was changed since it was read (version {version}).")
    plan.version = version + 1
    statements.synchronize(session, Plan, plan.id, {**written, "version": plan.version})
    # No flush saw this write: the subscriptions' change feed is told here (ADR 0220).
    changes.note(session, changes.Change(changes.Kind.PLAN, plan.id, plan.customer_id, plan.id))


def ensure_not_cancelled(plan: Plan) -> None:
    if plan.status is PlanStatus.CANCELLED:
        raise RuleViolation(
            "PLAN_CANCELLED",
            _("Plan {plan_id} is cancelled, and a cancelled plan is final.", plan_id=plan.id),
        )


def touch(plan: Plan) -> None:
    """Bumps the plan's version although no column of it changes.

    Actions that change only rows around the plan (contract, appointment) still take part in
    its optimistic lock, so two concurrent actions on one plan never both win.
    """
    plan.version = plan.version + 1


def _json(value: Any) -> Any:
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "value"):  # an enum member
        return value.name
    return value


_PLAIN = frozenset({str, int, float, bool})


def snapshot(row: Any, *names: str) -> dict[str, Any]:
    """The named attributes of `row` as JSON values, for the audit log."""
    return {name: _json(getattr(row, name)) for name in names}


# ---- addresses (found by CEP, completed by hand) ----


@dataclass(frozen=True)
class NewAddress:
    """An address to create: the CEP and number at least; the rest comes from the CEP lookup
    when not given."""

    cep: str
    number: str
    complement: str | None = None
    street: str | None = None
    district: str | None = None
    city: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class AddressChoice:
    """One of the customer's addresses, or a new one."""

    address_id: int | None = None
    new: NewAddress | None = None


_LIMITS = {"street": 200, "number": 20, "complement": 100, "district": 100, "city": 100}
_NUMBER = re.compile(r"^[0-9A-Za-z /.-]+$")


async def check_new_address(
    new: NewAddress,
    *,
    path: tuple[str, ...],
    cep_lookup: CepLookup | None,
    problems: list[FieldProblem],
) -> NewAddress | None:
    """The address with the CEP's fields filled in and every field checked; None if invalid."""
    before = len(problems)
    cep = normalize_cep(new.cep)
    if cep is None:
        problems.append(FieldProblem((*path, "cep"), _("must be 8 digits, e.g. 01310-100")))
        return None
    fields = {
        "street": new.street,
        "district": new.district,
        "city": new.city,
        "state": new.state,
        "complement": new.complement,
    }
    if any(not (fields[name] or "").strip() for name in ("street", "district", "city", "state")):
        if cep_lookup is None:
            problems.append(
                FieldProblem((*path, "cep"), _("give street, district, city and state"))
            )
            return None
        try:
            found = await cep_lookup.lookup(cep)
        except CepUnavailable as error:
            problems.append(
                FieldProblem(
                    (*path, "cep"),
                    _(
                        "could not be looked up ({error}); give street, district, city and state",
                        error=error,
                    ),
                )
            )
            return None
        if found is None:
            problems.append(FieldProblem((*path, "cep"), _("CEP {cep} was not found", cep=cep)))
            return None
        # Not the complement: ViaCEP's "complemento" describes the CEP's range ("lado ímpar"),
        # the address's complement is by hand.
        for name in ("street", "district", "city", "state"):
            if not (fields[name] or "").strip():
                fields[name] = getattr(found, name)
    number = new.number.strip()
    if not number or len(number) > _LIMITS["number"] or not _NUMBER.match(number):
        problems.append(FieldProblem((*path, "number"), _("must be 1 to 20 letters or digits")))
    for name in ("street", "district", "city", "complement"):
        value = (fields[name] or "").strip()
        if len(value) > _LIMITS[name]:
            problems.append(
                FieldProblem((*path, name), _("must be at most {value} long", value=_LIMITS[name]))
            )
        fields[name] = value
    state = (fields["state"] or "").upper()
    if state not in STATES:
        problems.append(FieldProblem((*path, "state"), _("must be a Brazilian state, e.g. SP")))
    if len(problems) > before:
        return None
    return NewAddress(
        cep=cep,
        number=number,
        complement=fields["complement"] or None,
        street=fields["street"],
        district=fields["district"],
        city=fields["city"],
        state=state,
    )


async def check_address_choice(
    session: AsyncSession,
    choice: AddressChoice,
    *,
    customer_id: int,
    path: tuple[str, ...],
    cep_lookup: CepLookup | None,
    problems: list[FieldProblem],
) -> Address | NewAddress | None:
    """The chosen existing address (the customer's own) or the checked new one."""
    if (choice.address_id is None) == (choice.new is None):
        problems.append(FieldProblem(path, _("give exactly one of addressId and newAddress")))
        return None
    if choice.address_id is not None:
        address = await session.get(Address, choice.address_id)
        if address is None or address.customer_id != customer_id:
            problems.append(
                FieldProblem((*path, "addressId"), _("is not one of the customer's addresses"))
            )
            return None
        return address
    assert choice.new is not None
    return await check_new_address(
        choice.new, path=(*path, "newAddress"), cep_lookup=cep_lookup, problems=problems
    )


async def materialize_address(
    session: AsyncSession, customer_id: int, checked: Address | NewAddress
) -> Address:
    """The existing address, or the new one inserted for the customer."""
    if isinstance(checked, Address):
        return checked
    address = Address(
        customer_id=customer_id,
        cep=checked.cep,
        street=checked.street,
        number=checked.number,
        complement=checked.complement,
        district=checked.district,
        city=checked.city,
        state=checked.state,
    )
    session.add(address)
    await session.flush()
    return address


# ---- contacts ----


@dataclass(frozen=True)
class NewContact:
    name: str
    phone: str | None = None
    email: str | None = None
    role: str | None = None


def check_new_contact(
    contact: NewContact, *, path: tuple[str, ...], problems: list[FieldProblem]
) -> None:
    if not contact.name.strip() or len(contact.name) > 200:
        problems.append(FieldProblem((*path, "name"), _("must be 1 to 200 characters")))
    if contact.phone is not None and not re.fullmatch(r"\+?[0-9 ()-]{8,20}", contact.phone):
        problems.append(FieldProblem((*path, "phone"), _("must be a phone number")))
    if contact.email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", contact.email):
        problems.append(FieldProblem((*path, "email"), _("must be an e-mail address")))


async def check_contact_id(
    session: AsyncSession,
    contact_id: int,
    *,
    customer_id: int,
    path: tuple[str, ...],
    problems: list[FieldProblem],
) -> None:
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id:
        problems.append(FieldProblem(path, _("is not one of the customer's contacts")))
