"""Who may read which rows: the scope every ORM statement of a request's session carries.

A request's session is bound to its caller's `Identity` (`bind`). From then on every ORM
statement it runs (a `select()` in domain/reads, a `session.get()` in an action, a lazy
relationship load) gets the caller's row filter added, through SQLAlchemy's `do_orm_execute`
event and `with_loader_criteria`, the documented recipe for row-level scoping. Reads and actions
therefore cannot forget the scope, and a subscriber asking for someone else's row by id, through
a connection or through a nested field finds nothing, exactly as if it did not exist.

`POLICIES` says for each table who owns its rows:
- CUSTOMER: the path from the row to its customer; a subscriber sees its own customer's rows.
- RESELLER: the path to its voice reseller; a reseller sees its own. A voice subscriber sees
  the few of them that are its own (`Policy.voice_subscriber_criterion`: its row, lines,
  extensions, franchises, permissions, its sale plan, its lines' call records) and nothing
  else (ADR 0094).
- CATALOG: the ISP's configuration; every authenticated caller reads it.
- STAFF: staff only (audit log, outbox, API keys).
- INTERNAL: the gateway's bookkeeping, read by key by the gateway itself, never by the graph.
Staff see every row, but some tables need a named permission to read (`Policy.permission`);
without it the statement raises `NotAllowed` naming the permission.

Sessions that were never bound (CLI commands, the seed, migrations, tests checking state) are
system sessions and see everything.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, event, false, or_, select, union
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from domain import models as m
from domain.errors import NotAllowed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.enums import ServiceKind

_IDENTITY = "access.identity"
_ACTING = "access.acting"


class Owner(enum.Enum):
    CUSTOMER = "CUSTOMER"
    RESELLER = "RESELLER"
    CATALOG = "CATALOG"
    STAFF = "STAFF"
    INTERNAL = "INTERNAL"


# A filter builder: (the model class, the owner's key) -> the WHERE criterion for that owner.
Criterion = Callable[[Any, int], ColumnElement[bool]]


@dataclass(frozen=True)
class Policy:
    owner: Owner
    criterion: Criterion | None = None  # for CUSTOMER and RESELLER tables
    permission: Permission | None = None  # staff need it to read the table
    # A reseller's rows that sit in a customer table (call records of its lines).
    reseller_criterion: Criterion | None = None
    # A voice subscriber's own rows (keyed by its voice_subscriber id); None: none of them.
    voice_subscriber_criterion: Criterion | None = None


def _plans_of(customer_id: int) -> Select[Any]:
    return select(m.Plan.id).where(m.Plan.customer_id == customer_id)


def _under_own_login(username: Any, at: Any, customer_id: int) -> ColumnElement[bool]:
    """A RADIUS row (session, authentication attempt) of one of the customer's logins, from
    the moment that login was theirs: a name released to a new owner (ADR 0104) never shows
    them the previous owner's rows."""
    login = m.RadiusLogin
    return (
        select(login.id)
        .where(
            login.login == username,
            login.plan_id.in_(_plans_of(customer_id)),
            login.created_at <= at,
        )
        .correlate_except(login)  # the outer row's username and instant, never a FROM here
        .exists()
    )


def _by_customer(cls: Any, customer_id: int) -> ColumnElement[bool]:
    return cls.customer_id == customer_id


def _by_plan(cls: Any, customer_id: int) -> ColumnElement[bool]:
    return cls.plan_id.in_(_plans_of(customer_id))


def _points_of(customer_id: int) -> Select[Any]:
    return select(m.TvPoint.id).where(m.TvPoint.plan_id.in_(_plans_of(customer_id)))


def _equipment(cls: Any, customer_id: int) -> ColumnElement[bool]:
    points = _points_of(customer_id)
    history = m.TvPointHistory
    return cls.id.in_(
        union(
            select(m.TvPoint.equipment_id).where(m.TvPoint.plan_id.in_(_plans_of(customer_id))),
            select(history.from_equipment_id).where(history.tv_point_id.in_(points)),
            select(history.to_equipment_id).where(history.tv_point_id.in_(points)),
        )
    )


def _subscribers_of(reseller_id: int) -> Select[Any]:
    return select(m.VoiceSubscriber.id).where(m.VoiceSubscriber.reseller_id == reseller_id)


def _by_voice_subscriber(cls: Any, reseller_id: int) -> ColumnElement[bool]:
    return cls.subscriber_id.in_(_subscribers_of(reseller_id))


def _calls_of_customer(cls: Any, customer_id: int) -> ColumnElement[bool]:
    terminals = select(m.Service.id).where(
        m.Service.kind == ServiceKind.VOICE_TERMINAL, m.Service.plan_id.in_(_plans_of(customer_id))
    )
    return cls.voice_terminal_id.in_(terminals)


def _calls_of_reseller(cls: Any, reseller_id: int) -> ColumnElement[bool]:
    lines = select(m.VoiceLine.id).where(
        m.VoiceLine.subscriber_id.in_(_subscribers_of(reseller_id))
    )
    return cls.voice_line_id.in_(lines)


def _own_voice_rows(cls: Any, subscriber_id: int) -> ColumnElement[bool]:
    return cls.subscriber_id == subscriber_id


def _calls_of_voice_subscriber(cls: Any, subscriber_id: int) -> ColumnElement[bool]:
    lines = select(m.VoiceLine.id).where(m.VoiceLine.subscriber_id == subscriber_id)
    return cls.voice_line_id.in_(lines)


def _sale_plan_of_voice_subscriber(cls: Any, subscriber_id: int) -> ColumnElement[bool]:
    plan = select(m.VoiceSubscriber.sale_plan_id).where(m.VoiceSubscriber.id == subscriber_id)
    return cls.id.in_(plan)


TV = Permission.TV_PACKAGES
BILLING = Permission.BILLING

POLICIES: dict[type[Any], Policy] = {
    m.Customer: Policy(Owner.CUSTOMER, lambda cls, cid: cls.id == cid),
    m.CustomerEmail: Policy(Owner.CUSTOMER, _by_customer),
    m.CustomerPhone: Policy(Owner.CUSTOMER, _by_customer),
    m.Address: Policy(Owner.CUSTOMER, _by_customer),
    m.Contact: Policy(Owner.CUSTOMER, _by_customer),
    m.ExtraField: Policy(
        Owner.CUSTOMER,
        lambda cls, cid: or_(cls.customer_id == cid, cls.plan_id.in_(_plans_of(cid))),
    ),
    m.Plan: Policy(Owner.CUSTOMER, _by_customer),
    m.Contract: Policy(Owner.CUSTOMER, _by_plan),
    m.PlanAddressHistory: Policy(Owner.CUSTOMER, _by_plan),
    m.InstallationAppointment: Policy(Owner.CUSTOMER, _by_plan),
    m.Service: Policy(Owner.CUSTOMER, _by_plan),
    m.TvPackageSubscription: Policy(Owner.CUSTOMER, _by_plan, TV),
    m.TvPoint: Policy(Owner.CUSTOMER, _by_plan, TV),
    m.TvPointHistory: Policy(
        Owner.CUSTOMER, lambda cls, cid: cls.tv_point_id.in_(_points_of(cid)), TV
    ),
    m.Equipment: Policy(Owner.CUSTOMER, _equipment, TV),
    m.Receivable: Policy(Owner.CUSTOMER, _by_customer, BILLING),
    m.DueDateChange: Policy(Owner.CUSTOMER, _by_plan, BILLING),
    m.Invoice: Policy(Owner.CUSTOMER, _by_customer, BILLING),
    m.Boleto: Policy(
        Owner.CUSTOMER,
        lambda cls, cid: cls.receivable_id.in_(
            select(m.Receivable.id).where(m.Receivable.customer_id == cid)
        ),
        BILLING,
    ),
    m.BillingEvent: Policy(Owner.CUSTOMER, _by_plan, BILLING),
    m.SmsCreditPurchase: Policy(Owner.CUSTOMER, _by_plan, BILLING),
    m.Ticket: Policy(Owner.CUSTOMER, _by_customer),
    m.TicketContact: Policy(
        Owner.CUSTOMER,
        lambda cls, cid: cls.ticket_id.in_(select(m.Ticket.id).where(m.Ticket.customer_id == cid)),
    ),
    m.ConnectionSession: Policy(
        Owner.CUSTOMER, lambda cls, cid: _under_own_login(cls.username, cls.acctstarttime, cid)
    ),
    m.RadPostAuth: Policy(
        Owner.CUSTOMER, lambda cls, cid: _under_own_login(cls.username, cls.authdate, cid)
    ),
    m.CallRecord: Policy(
        Owner.CUSTOMER,
        _calls_of_customer,
        reseller_criterion=_calls_of_reseller,
        voice_subscriber_criterion=_calls_of_voice_subscriber,
    ),
    m.VoiceReseller: Policy(Owner.RESELLER, lambda cls, rid: cls.id == rid),
    m.VoiceSalePlan: Policy(
        Owner.RESELLER,
        lambda cls, rid: cls.reseller_id == rid,
        voice_subscriber_criterion=_sale_plan_of_voice_subscriber,
    ),
    m.VoiceSubscriber: Policy(
        Owner.RESELLER,
        lambda cls, rid: cls.reseller_id == rid,
        voice_subscriber_criterion=lambda cls, sid: cls.id == sid,
    ),
    m.VoiceLine: Policy(
        Owner.RESELLER, _by_voice_subscriber, voice_subscriber_criterion=_own_voice_rows
    ),
    m.VoiceFranchise: Policy(
        Owner.RESELLER, _by_voice_subscriber, voice_subscriber_criterion=_own_voice_rows
    ),
    m.VoiceExtension: Policy(
        Owner.RESELLER, _by_voice_subscriber, voice_subscriber_criterion=_own_voice_rows
    ),
    m.VoiceSubscriberPermission: Policy(
        Owner.RESELLER, _by_voice_subscriber, voice_subscriber_criterion=_own_voice_rows
    ),
    m.AuditLog: Policy(Owner.STAFF),
    m.OutboxMessage: Policy(Owner.STAFF),
    m.ApiKey: Policy(Owner.STAFF),
    m.Nas: Policy(Owner.STAFF),  # holds the shared secrets
    m.IdempotencyRecord: Policy(Owner.INTERNAL),
    m.PersistedDocument: Policy(Owner.INTERNAL),
    **{
        model: Policy(Owner.CATALOG)
        for model in (
            m.PlanOffer,
            m.PlanOfferServiceKind,
            m.ExtraServiceDefinition,
            m.TvPackage,
            m.Channel,
            m.TvPackageChannel,
            m.TvPointLocation,
            m.ContractTemplate,
            m.BillingForm,
            m.Bank,
            m.IpPool,
            m.Role,
            m.Technician,
            m.SystemVariable,
            m.RegistrationRule,
            m.SmsCreditValue,
        )
    },
}


def policy_of(model: type[Any]) -> Policy:
    """The policy of a mapped class; a service kind's class follows the `Service` policy."""
    for cls in model.__mro__:
        policy = POLICIES.get(cls)
        if policy is not None:
            return policy
    # Fail closed: a table nobody classified is visible to system sessions only.
    raise LookupError(f"no access policy for {model.__name__}; add it to domain.access.POLICIES")


def bind(session: Session | Any, identity: Identity) -> None:
    """Scopes every later statement of `session` (sync or async) to `identity`."""
    _sync(session).info[_IDENTITY] = identity


def unbind(session: Session | Any) -> None:
    """Makes `session` a system session again (tests that check state after a request)."""
    _sync(session).info.pop(_IDENTITY, None)


def identity_of(session: Session | Any) -> Identity | None:
    """The identity a session is bound to; None for a system session."""
    return _sync(session).info.get(_IDENTITY)


@contextmanager
def unscoped(session: Session | Any) -> Iterator[None]:
    """While a read must see every row whatever the caller (a namespace shared by every owner,
    such as voice panel usernames): the session is a system session, then bound again.

    Only for reads that answer yes or no about a value the caller gave, never rows.
    """
    info = _sync(session).info
    identity = info.pop(_IDENTITY, None)
    try:
        yield
    finally:
        if identity is not None:
            info[_IDENTITY] = identity


@contextmanager
def acting(session: Session | Any) -> Iterator[None]:
    """While an action runs: rows stay scoped, but read permissions are the action's to check.

    An action checks the permission it needs itself (e.g. CUSTOMER_ADMIN) and may then touch
    rows that a plain read would need another permission for (cancelling a plan ends its TV).
    """
    info = _sync(session).info
    previous = info.get(_ACTING, False)
    info[_ACTING] = True
    try:
        yield
    finally:
        info[_ACTING] = previous


def _sync(session: Session | Any) -> Session:
    return getattr(session, "sync_session", session)


def _criterion(policy: Policy, identity: Identity) -> Criterion | None:
    """The filter for a subscriber, reseller or voice subscriber; None when `identity` sees
    the whole table."""
    if identity.role is Role.STAFF or policy.owner in (Owner.CATALOG, Owner.INTERNAL):
        return None
    if identity.role is Role.VOICE_SUBSCRIBER:
        if policy.voice_subscriber_criterion is not None:
            return policy.voice_subscriber_criterion
        return lambda _cls, _key: false()
    if identity.role is Role.SUBSCRIBER and policy.owner is Owner.CUSTOMER:
        return policy.criterion
    if identity.role is Role.RESELLER:
        if policy.owner is Owner.RESELLER:
            return policy.criterion
        if policy.reseller_criterion is not None:
            return policy.reseller_criterion
    return lambda _cls, _key: false()


def _owner_key(identity: Identity) -> int:
    if identity.role is Role.SUBSCRIBER:
        key = identity.customer_id
    elif identity.role is Role.VOICE_SUBSCRIBER:
        key = identity.voice_subscriber_id
    else:
        key = identity.reseller_id
    # An identity of a role without its key (a malformed token) sees nothing: -1 names no row.
    return -1 if key is None else key


_READ_PERMISSIONS = frozenset(p.permission for p in POLICIES.values() if p.permission)


def read_permissions(models: Iterable[type[Any]]) -> frozenset[Permission]:
    """The permissions staff need to read every one of `models`' tables."""
    return frozenset(
        POLICIES[model].permission
        for model in models
        if model in POLICIES and POLICIES[model].permission is not None
    )


def permission_of(model: type[Any]) -> Permission | None:
    """The permission staff need to read `model`'s table (a service kind's: Service's)."""
    return policy_of(model).permission


def read_refusal(models: Iterable[type[Any]], identity: Identity | None) -> NotAllowed | None:
    """The NotAllowed a scoped session would raise for a statement reading `models`' tables
    (the first one `identity`, staff, may not read); None when it may read them all."""
    if identity is None or identity.role is not Role.STAFF:
        return None  # everyone else's rows are filtered, never refused
    for model in models:
        base = next((cls for cls in model.__mro__ if cls in POLICIES), None)
        if base is None:
            continue
        refusal = _refusal(base, identity)
        if refusal is not None:
            return refusal
    return None


def _refusal(base: type[Any], identity: Identity) -> NotAllowed | None:
    permission = POLICIES[base].permission
    if permission is None or identity.has(permission):
        return None
    name = permission.name
    return NotAllowed(
        _(
            "Reading {model} needs the {permission} permission.",
            model=base.__name__,
            permission=name,
        ),
        permission=name,
    )


def owner_key(identity: Identity) -> int:
    """The key a caller's rows hang from (its customer, reseller or voice subscriber)."""
    return _owner_key(identity)


def row_filter(model: type[Any], identity: Identity, owner: Any) -> ColumnElement[bool] | None:
    """The WHERE criterion of `model`'s own table for `identity`, for statements built outside
    the ORM session (the compiled read path); None when the table is not filtered for it.

    `owner` stands for the owner's key: an int, or a bound parameter so that one statement
    serves every subscriber. A subclass table (a service kind's) is covered by its base's row
    and gets None. Staff lacking the table's read permission raise NotAllowed, as in a session.
    """
    if model not in POLICIES:
        return None
    policy = POLICIES[model]
    if identity.role is Role.STAFF:
        if policy.permission is not None and not identity.has(policy.permission):
            name = policy.permission.name
            raise NotAllowed(
                _(
                    "Reading {model} needs the {permission} permission.",
                    model=model.__name__,
                    permission=name,
                ),
                permission=name,
            )
        return None
    criterion = _criterion(policy, identity)
    return None if criterion is None else criterion(model, owner)


_MODEL_OF_TABLE: dict[Any, type[Any]] = {
    mapper.local_table: mapper.class_ for mapper in m.Base.registry.mappers
}


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    identity: Identity | None = state.session.info.get(_IDENTITY)
    if identity is None or not (state.is_select or state.is_update or state.is_delete):
        return
    acting_now = state.session.info.get(_ACTING, False)
    options = _scope_options(state.statement, identity, acting=acting_now)
    if options:
        state.statement = state.statement.options(*options)


def _scope_options(statement: Any, identity: Identity, *, acting: bool) -> list[Any]:
    if identity.role is Role.STAFF and (acting or identity.permissions >= _READ_PERMISSIONS):
        return []  # nothing to filter and nothing to refuse: skip walking the statement
    options = []
    seen: set[type[Any]] = set()
    # Every table the statement touches, in subqueries and EXISTS too, not only the entities
    # it returns: `select(func.count()).select_from(Customer)` must be scoped as well.
    for table in find_tables(statement, include_joins=True, include_crud=True):
        model = _MODEL_OF_TABLE.get(table)
        if model is None:
            continue
        policy = policy_of(model)
        # The criteria of a base class (Service) cover its subclasses: add them once.
        base = next(cls for cls in model.__mro__ if cls in POLICIES)
        if base in seen:
            continue
        seen.add(base)
        if identity.role is Role.STAFF and not acting:
            refusal = _refusal(base, identity)
            if refusal is not None:
                raise refusal
        criterion = _criterion(policy, identity)
        if criterion is None:
            continue
        # A plain expression, not a lambda: its owner key is an ordinary bound parameter, so
        # the statement cache never keeps one caller's key for another.
        options.append(
            with_loader_criteria(base, criterion(base, _owner_key(identity)), include_aliases=True)
        )
    return options
