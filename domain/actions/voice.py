"""The voice reseller's panel (PABX virtual, manual 004): subscribers, lines, franchises,
permissions and panel credentials.

A reseller acts on its own subscribers (its session sees no other); staff holding CUSTOMER_ADMIN
may act for any reseller. A subscriber of the ISP may not, nor may a voice subscriber manage its
own registration (what it may do itself is in domain/actions/voice_self.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain import credentials
from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import STATES, require, snapshot
from domain.errors import FieldProblem, NotAllowed, NotFound, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.enums import CustomerKind, FranchiseCategory, VoiceLineStatus, VoicePermission
from domain.ports.cep import CepLookup, CepUnavailable, normalize_cep
from domain.reads import voice as reads
from domain.rules import franchise as franchise_rules
from domain.rules import passwords
from domain.rules.documents import is_valid_cnpj, is_valid_cpf, normalize_document

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
PHONE_NUMBER = re.compile(r"^\+?[0-9]{8,19}$")
EXTENSION = re.compile(r"^[0-9]{2,10}$")
SUBSCRIBER_FIELDS = (
    "kind", "name", "document", "email", "phone", "cep", "street", "number", "complement",
    "district", "city", "state", "credit_limit", "monthly_limit", "sale_plan_id",
    "panel_username",
)  # fmt: skip


def _reseller_of(actor: Identity, reseller_id: int | None) -> int:
    """The reseller acted for: the caller's own, or the one staff name."""
    if actor.role is Role.RESELLER:
        if reseller_id is not None and reseller_id != actor.reseller_id:
            raise NotFound("VoiceReseller", reseller_id)
        return actor.reseller_id or -1
    if actor.role in (Role.SUBSCRIBER, Role.VOICE_SUBSCRIBER):
        raise NotAllowed(_("Only a voice reseller (or staff) manages voice subscribers."))
    require(actor, Permission.CUSTOMER_ADMIN)
    if reseller_id is None:
        raise ValidationFailed.one("resellerId", _("Staff must name the reseller."))
    return reseller_id


def _may_manage(actor: Identity) -> None:
    """A voice reseller, or staff holding CUSTOMER_ADMIN."""
    if actor.role in (Role.SUBSCRIBER, Role.VOICE_SUBSCRIBER):
        raise NotAllowed(_("Only a voice reseller (or staff) manages voice subscribers."))
    if actor.role is Role.STAFF:
        require(actor, Permission.CUSTOMER_ADMIN)


async def _subscriber(
    session: AsyncSession, subscriber_id: int, actor: Identity, *, lock: bool = False
) -> m.VoiceSubscriber:
    """The subscriber the actor manages; with `lock`, its row is locked until the transaction
    ends, so actions replacing its rows (franchises, permissions) run one after the other."""
    _may_manage(actor)
    subscriber = await session.get(
        m.VoiceSubscriber, subscriber_id, with_for_update=lock, populate_existing=lock
    )
    if subscriber is None:
        raise NotFound("VoiceSubscriber", subscriber_id)
    return subscriber


@dataclass
class SubscriberData:
    """A voice subscriber's registration; on update, None leaves a field as it is."""

    kind: CustomerKind | None = None
    name: str | None = None
    document: str | None = None
    email: str | None = None
    phone: str | None = None
    cep: str | None = None
    street: str | None = None
    number: str | None = None
    complement: str | None = None
    district: str | None = None
    city: str | None = None
    state: str | None = None
    credit_limit: Decimal | None = None
    monthly_limit: Decimal | None = None
    sale_plan_id: int | None = None


REQUIRED = ("kind", "name", "document", "cep", "street", "number", "district", "city", "state")


ADDRESS_FROM_CEP = ("street", "district", "city", "state")


async def _address_from_cep(
    data: SubscriberData, cep_lookup: CepLookup | None, bad: Callable[[str, str], None]
) -> None:
    """Looks the CEP up (manual 004: "o campo CEP faz a busca de endereço automatizado"): an
    unknown CEP is refused, and the street, district, city and state not given come from it.
    When the lookup cannot answer, an address typed in full is taken as typed (ADR 0114)."""
    assert data.cep is not None
    digits = normalize_cep(data.cep)
    if digits is None:
        bad("cep", _("must have 8 digits, e.g. 01310-100"))
        return
    data.cep = digits
    typed = all((getattr(data, name) or "").strip() for name in ADDRESS_FROM_CEP)
    if cep_lookup is None:
        if not typed:
            bad("cep", _("give street, district, city and state (no CEP lookup is configured)"))
        return
    try:
        found = await cep_lookup.lookup(digits)
    except CepUnavailable as error:
        if not typed:
            bad(
                "cep",
                _(
                    "could not be looked up ({error}); give street, district, city and state",
                    error=error,
                ),
            )
        return
    if found is None:
        bad("cep", _("CEP {digits} was not found", digits=digits))
        return
    for name in ADDRESS_FROM_CEP:
        if not (getattr(data, name) or "").strip():
            setattr(data, name, getattr(found, name))


async def _check(
    session: AsyncSession,
    data: SubscriberData,
    reseller_id: int,
    *,
    creating: bool,
    cep_lookup: CepLookup | None,
) -> SubscriberData:
    """The data normalized, or every problem at once."""
    problems: list[FieldProblem] = []

    def bad(path: str, message: str) -> None:
        problems.append(FieldProblem((path,), message))

    if data.cep is not None and data.cep.strip():
        await _address_from_cep(data, cep_lookup, bad)
    if creating:
        for name in REQUIRED:
            if getattr(data, name) in (None, ""):
                bad(_camel(name), _("is required"))
    for name in ("name", "street", "number", "district", "city"):
        value = getattr(data, name)
        if value is not None and not value.strip():
            bad(_camel(name), _("must not be blank"))
    if data.document is not None:
        data.document = normalize_document(data.document)
        valid = is_valid_cnpj if data.kind is CustomerKind.COMPANY else is_valid_cpf
        if data.kind is None:
            bad("kind", _("give the kind with the document"))
        elif not valid(data.document):
            bad(
                "document",
                _(
                    "is not a valid {value}",
                    value="CNPJ" if data.kind is CustomerKind.COMPANY else "CPF",
                ),
            )
    if data.state is not None:
        data.state = data.state.upper()
        if data.state not in STATES:
            bad("state", _("is not a Brazilian state"))
    if data.phone is not None and not PHONE_NUMBER.match(re.sub(r"[\s()-]", "", data.phone)):
        bad("phone", _("is not a phone number"))
    if data.email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", data.email):
        bad("email", _("is not an e-mail address"))
    for name in ("credit_limit", "monthly_limit"):
        value = getattr(data, name)
        if value is not None and (value < 0 or value >= Decimal("1e10")):
            bad(_camel(name), _("must be between 0 and 9999999999.99"))
    if creating:
        for name in ("credit_limit", "monthly_limit"):
            if getattr(data, name) is None:
                setattr(data, name, Decimal("0"))
    if data.sale_plan_id is not None:
        plan = await session.get(m.VoiceSalePlan, data.sale_plan_id)
        if plan is None or plan.reseller_id != reseller_id:
            bad("salePlanId", _("is not one of the reseller's sale plans"))
    if problems:
        raise ValidationFailed(problems)
    return data


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _username_base(raw: str) -> str:
    """What a wanted username becomes as a valid one: lower-case ASCII, other characters as
    dots, at most 60 characters (room for a ".N" suffix)."""
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9._-]+", ".", ascii_text).strip("._-")
    base = re.sub(r"\.{2,}", ".", base)[:60].strip("._-")
    return base if len(base) >= 3 else f"assinante{'.' + base if base else ''}"


@dataclass(frozen=True)
class UsernameCheck:
    """Whether a panel username may be used (manual 004: "validar o usuário")."""

    username: str  # as it would be stored (trimmed, lower-case)
    problem: str | None  # why it may not; None when it is free and valid
    suggestion: str | None  # a free, valid username close to it; None when it is free


async def panel_username_check(
    session: AsyncSession, username: str, *, but: int | None
) -> UsernameCheck:
    """The one check of a panel username, for the validation read and the mutations alike:
    valid, and no other voice subscriber of any reseller has it (ADR 0115)."""
    wanted = username.strip().lower()
    if not USERNAME.match(wanted):
        problem = _("use 3 to 64 lowercase letters, digits, dots, dashes or underscores")
    elif await reads.username_taken(session, wanted, but):
        problem = _("is taken")
    else:
        return UsernameCheck(wanted, None, None)
    base = _username_base(wanted)
    taken = await reads.usernames_like(session, base)
    suggestion, suffix = base, 1
    while suggestion in taken:
        suffix += 1
        suggestion = f"{base}.{suffix}"
    return UsernameCheck(wanted, problem, suggestion)


async def check_panel_username(
    session: AsyncSession, *, username: str, subscriber_id: int | None, actor: Identity
) -> UsernameCheck:
    """The validation read: a reseller (or staff with CUSTOMER_ADMIN) asks before saving;
    `subscriber_id` names the subscriber whose own current username is not "taken"."""
    if subscriber_id is not None:
        subscriber = await _subscriber(session, subscriber_id, actor)
        return await panel_username_check(session, username, but=subscriber.id)
    _may_manage(actor)
    return await panel_username_check(session, username, but=None)


async def check_credentials(
    session: AsyncSession,
    username: str,
    password: str | None,
    *,
    email: str | None,
    but: int | None,
    username_path: str = "panelUsername",
    password_path: str = "panelPassword",
) -> tuple[str, str, str | None]:
    """(username, hash, the generated password if none was chosen); the username by
    `panel_username_check`, the password by the one password rule."""
    checked = await panel_username_check(session, username, but=but)
    if checked.problem is not None:
        raise ValidationFailed.one(
            username_path,
            _(
                "{problem}; {suggestion} is free",
                problem=checked.problem,
                suggestion=checked.suggestion,
            ),
        )
    generated = None
    if password is None:
        password = generated = passwords.generate()
    try:
        passwords.acceptable(password, login=checked.username, email=email)
    except ValueError as error:
        raise ValidationFailed.one(password_path, str(error)) from None
    return checked.username, await credentials.hash_password_async(password), generated


@dataclass(frozen=True)
class CreatedSubscriber:
    subscriber: m.VoiceSubscriber
    generated_password: str | None


async def create_voice_subscriber(
    session: AsyncSession,
    *,
    data: SubscriberData,
    panel_username: str,
    panel_password: str | None,
    reseller_id: int | None,
    cep_lookup: CepLookup | None,
    actor: Identity,
) -> CreatedSubscriber:
    owner = _reseller_of(actor, reseller_id)
    if await session.get(m.VoiceReseller, owner) is None:
        raise NotFound("VoiceReseller", owner)
    data = await _check(session, data, owner, creating=True, cep_lookup=cep_lookup)
    username, password_hash, generated = await check_credentials(
        session, panel_username, panel_password, email=data.email, but=None
    )
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    subscriber = m.VoiceSubscriber(
        reseller_id=owner,
        panel_username=username,
        panel_password_hash=password_hash,
        **values,
    )
    session.add(subscriber)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="createVoiceSubscriber",
        target_type="VoiceSubscriber",
        target_id=subscriber.id,
        before=None,
        after=snapshot(subscriber, *SUBSCRIBER_FIELDS),
    )
    return CreatedSubscriber(subscriber, generated)


async def update_voice_subscriber(
    session: AsyncSession,
    *,
    subscriber_id: int,
    data: SubscriberData,
    cep_lookup: CepLookup | None,
    actor: Identity,
) -> m.VoiceSubscriber:
    subscriber = await _subscriber(session, subscriber_id, actor)
    if data.document is not None and data.kind is None:
        data.kind = subscriber.kind
    if data.kind is not None and data.document is None and data.kind is not subscriber.kind:
        raise ValidationFailed.one("document", _("give the document when the kind changes"))
    data = await _check(
        session, data, subscriber.reseller_id, creating=False, cep_lookup=cep_lookup
    )
    before = snapshot(subscriber, *SUBSCRIBER_FIELDS)
    for f in fields(data):
        value = getattr(data, f.name)
        if value is not None:
            setattr(subscriber, f.name, value)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="updateVoiceSubscriber",
        target_type="VoiceSubscriber",
        target_id=subscriber.id,
        before=before,
        after=snapshot(subscriber, *SUBSCRIBER_FIELDS),
    )
    return subscriber


async def set_panel_credentials(
    session: AsyncSession,
    *,
    subscriber_id: int,
    username: str,
    password: str | None,
    actor: Identity,
) -> CreatedSubscriber:
    """Sets the subscriber's panel username and password (generated when not chosen)."""
    subscriber = await _subscriber(session, subscriber_id, actor)
    name, password_hash, generated = await check_credentials(
        session,
        username,
        password,
        email=subscriber.email,
        but=subscriber.id,
        username_path="username",
        password_path="password",
    )
    before = {"panel_username": subscriber.panel_username}
    subscriber.panel_username, subscriber.panel_password_hash = name, password_hash
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="setVoicePanelCredentials",
        target_type="VoiceSubscriber",
        target_id=subscriber.id,
        before=before,
        after={"panel_username": name, "password_changed": True},
    )
    return CreatedSubscriber(subscriber, generated)


async def add_voice_line(
    session: AsyncSession,
    *,
    subscriber_id: int,
    number: str,
    extension: str,
    simultaneous_ip_lines: int,
    actor: Identity,
) -> m.VoiceLine:
    """Adds a line (or extension) to a subscriber."""
    subscriber = await _subscriber(session, subscriber_id, actor)
    problems = []
    number = re.sub(r"[\s()-]", "", number)
    if not PHONE_NUMBER.match(number):
        problems.append(FieldProblem(("number",), _("is not a phone number")))
    if not EXTENSION.match(extension):
        problems.append(FieldProblem(("extension",), _("must be 2 to 10 digits")))
    if not 1 <= simultaneous_ip_lines <= 100:
        problems.append(FieldProblem(("simultaneousIpLines",), _("must be between 1 and 100")))
    if not problems and await reads.extension_taken(session, subscriber.id, extension):
        problems.append(
            FieldProblem(
                ("extension",),
                _("{extension} is already an extension of this subscriber", extension=extension),
            )
        )
    if problems:
        raise ValidationFailed(problems)
    line = m.VoiceLine(
        subscriber_id=subscriber.id,
        number=number,
        extension=extension,
        simultaneous_ip_lines=simultaneous_ip_lines,
        status=VoiceLineStatus.ACTIVE,
    )
    session.add(line)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="addVoiceLine",
        target_type="VoiceLine",
        target_id=line.id,
        before=None,
        after=snapshot(line, "subscriber_id", "number", "extension", "simultaneous_ip_lines"),
    )
    return line


@dataclass(frozen=True)
class FranchiseData:
    category: FranchiseCategory
    minutes: int
    consumes_local: bool = False


async def set_voice_franchises(
    session: AsyncSession,
    *,
    subscriber_id: int,
    franchises: Sequence[FranchiseData],
    actor: Identity,
) -> list[m.VoiceFranchise]:
    """Replaces the subscriber's minute franchises (one per category at most)."""
    subscriber = await _subscriber(session, subscriber_id, actor, lock=True)
    problems = []
    seen: set[FranchiseCategory] = set()
    for index, item in enumerate(franchises):
        path = ("franchises", str(index))
        if item.category in seen:
            problems.append(FieldProblem((*path, "category"), _("appears twice")))
        seen.add(item.category)
        if not 0 <= item.minutes <= 1_000_000:
            problems.append(FieldProblem((*path, "minutes"), _("must be between 0 and 1000000")))
        if item.consumes_local and item.category not in (
            FranchiseCategory.FIXED_LDN,
            FranchiseCategory.MOBILE_LDN,
        ):
            problems.append(
                FieldProblem((*path, "consumesLocal"), _("only an LDN category consumes local"))
            )
    granted = {item.category: item.minutes for item in franchises}
    for index, item in enumerate(franchises):
        local = franchise_rules.LOCAL_OF.get(item.category)
        if item.consumes_local and local is not None and not granted.get(local):
            problems.append(
                FieldProblem(
                    ("franchises", str(index), "consumesLocal"),
                    _(
                        "needs a {local_name} franchise with minutes to draw from",
                        local_name=local.name,
                    ),
                )
            )
    if problems:
        raise ValidationFailed(problems)
    existing = await reads.franchises(session, subscriber.id)
    before = {f.category.value: [f.minutes, f.consumes_local] for f in existing}
    for row in existing:
        await session.delete(row)
    await session.flush()
    rows = [
        m.VoiceFranchise(
            subscriber_id=subscriber.id,
            category=item.category,
            minutes=item.minutes,
            consumes_local=item.consumes_local,
        )
        for item in franchises
    ]
    session.add_all(rows)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="setVoiceFranchises",
        target_type="VoiceSubscriber",
        target_id=subscriber.id,
        before=before,
        after={f.category.value: [f.minutes, f.consumes_local] for f in rows},
    )
    return rows


async def set_voice_permissions(
    session: AsyncSession,
    *,
    subscriber_id: int,
    permissions: Sequence[VoicePermission],
    actor: Identity,
) -> list[VoicePermission]:
    """Replaces what the subscriber may do in its own panel."""
    subscriber = await _subscriber(session, subscriber_id, actor, lock=True)
    existing = await reads.permissions(session, subscriber.id)
    before = sorted(p.permission.value for p in existing)
    for row in existing:
        await session.delete(row)
    await session.flush()
    wanted = sorted(set(permissions), key=lambda p: p.value)
    session.add_all(
        m.VoiceSubscriberPermission(subscriber_id=subscriber.id, permission=p) for p in wanted
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="setVoicePermissions",
        target_type="VoiceSubscriber",
        target_id=subscriber.id,
        before={"permissions": before},
        after={"permissions": [p.value for p in wanted]},
    )
    return wanted
