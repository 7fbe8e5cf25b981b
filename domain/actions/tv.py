"""TV on a plan: extra packages, points (set-top boxes), commands and platform data.

Every action needs the staff permission TV_PACKAGES (manual 000: "Pacotes de TV"). Each change
is written together with an outbox message for the TV platform (domain.actions.tv_sync delivers
it after commit) and leaves the changed package or point in sync state PENDING.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.actions.outbox import enqueue
from domain.errors import NotAllowed, NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.models import (
    Equipment,
    Plan,
    PlanOffer,
    TvPackage,
    TvPackageSubscription,
    TvPoint,
    TvPointHistory,
    TvPointLocation,
)
from domain.models.base import utcnow
from domain.models.enums import (
    PlanStatus,
    SetTopBoxCommand,
    SyncState,
    TvPointEvent,
    TvPointStatus,
)
from domain.ports.tv_platform import TvPlatform, TvPlatformError
from domain.reads import tv as reads
from domain.rules import dates
from domain.rules import services as service_rules

MAX_VALUE = Decimal("9999999999.99")

TOPIC_PACKAGE_ADD = "tv.package.add"
TOPIC_PACKAGE_REMOVE = "tv.package.remove"
TOPIC_POINT_ADD = "tv.point.add"
TOPIC_POINT_MOVE = "tv.point.move"
TOPIC_POINT_SWAP = "tv.point.swap"
TOPIC_POINT_REMOVE = "tv.point.remove"
TOPIC_POINT_COMMAND = "tv.point.command"
TOPIC_PREFIX = "tv."

TARGET_PACKAGE = "tv_package_subscription"
TARGET_POINT = "tv_point"


class TvPlatformUnavailableError(RuleViolation):
    """The TV platform could not be asked right now; nothing changed."""

    def __init__(self, message: str) -> None:
        super().__init__("TV_PLATFORM_UNAVAILABLE", message)


def partition_key(customer_id: int) -> str:
    """One customer's TV changes reach the platform one at a time, in the order made."""
    return f"tv:customer:{customer_id}"


def require_tv_permission(actor: Identity) -> None:
    if not actor.has(Permission.TV_PACKAGES):
        raise NotAllowed(
            _("TV packages and points need the TV_PACKAGES permission."),
            permission=Permission.TV_PACKAGES.name,
        )


async def _tv_plan(session: AsyncSession, plan_id: int) -> Plan:
    """The plan, if TV may be added to it: it exists, is not cancelled and has a TV offer."""
    plan = await session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("Plan", plan_id)
    if plan.status is PlanStatus.CANCELLED:
        raise RuleViolation(
            "PLAN_CANCELLED", _("Plan {plan_id} is cancelled; TV cannot be added.", plan_id=plan_id)
        )
    offer = await session.get_one(PlanOffer, plan.offer_id)
    if not offer.is_tv_offer:
        raise RuleViolation(
            "NOT_A_TV_OFFER",
            _(
                "Plan {plan_id}'s offer {offer_name!r} is not a TV offer.",
                plan_id=plan_id,
                offer_name=offer.name,
            ),
        )
    return plan


def _clean_value(value: Decimal | None, default: Decimal) -> Decimal:
    if value is None:
        return default
    try:
        if not value.is_finite() or value < 0 or value > MAX_VALUE:
            raise ValidationFailed.one(
                "value", _("must be between 0 and {max_value}", max_value=MAX_VALUE)
            )
        if value != value.quantize(Decimal("0.01")):
            raise ValidationFailed.one("value", _("must have at most two decimal places"))
    except InvalidOperation:
        raise ValidationFailed.one("value", _("must be a decimal number")) from None
    return value.quantize(Decimal("0.01"))


def _clean_casn(casn: str, path: str = "casn") -> str:
    """The CASN as stored (rules.casn: upper-case, no spaces), or a ValidationFailed."""
    try:
        return service_rules.casn(casn)
    except ValueError as error:
        raise ValidationFailed.one(path, str(error)) from None


def _package_state(subscription: TvPackageSubscription) -> dict[str, Any]:
    return {
        "package_id": subscription.package_id,
        "value": str(subscription.value),
        "start_date": subscription.start_date.isoformat(),
        "end_date": subscription.end_date.isoformat() if subscription.end_date else None,
    }


def _point_state(point: TvPoint) -> dict[str, Any]:
    return {
        "location_id": point.location_id,
        "equipment_id": point.equipment_id,
        "status": point.status.name,
    }


def _enqueue_package(
    session: AsyncSession,
    subscription: TvPackageSubscription,
    plan: Plan,
    package: TvPackage,
    topic: str,
) -> None:
    subscription.sync_state, subscription.sync_error = SyncState.PENDING, None
    payload: dict[str, Any] = {
        "target": TARGET_PACKAGE,
        "target_id": subscription.id,
        "customer_id": plan.customer_id,
        "package_code": package.platform_code,
    }
    if topic == TOPIC_PACKAGE_ADD:
        payload["start_date"] = subscription.start_date.isoformat()
    enqueue(session, topic=topic, partition_key=partition_key(plan.customer_id), payload=payload)


async def subscribe_package(
    session: AsyncSession,
    *,
    plan: Plan,
    package: TvPackage,
    value: Decimal,
    start_date: dt.date,
    is_default: bool,
) -> TvPackageSubscription:
    """Puts `package` on a plan and queues it for the platform: the one way a package starts,
    for addTvPackage (an extra) and for addPlan (a TV offer's default package)."""
    subscription = TvPackageSubscription(
        plan_id=plan.id,
        package_id=package.id,
        value=value,
        start_date=start_date,
        end_date=None,
        is_default=is_default,
        sync_state=SyncState.PENDING,
        sync_error=None,
    )
    session.add(subscription)
    await session.flush()
    _enqueue_package(session, subscription, plan, package, TOPIC_PACKAGE_ADD)
    return subscription


async def add_tv_package(
    session: AsyncSession,
    *,
    plan_id: int,
    package_id: int,
    value: Decimal | None = None,
    start_date: dt.date | None = None,
    actor: Identity,
    today: dt.date | None = None,
) -> TvPackageSubscription:
    """Adds an extra package to a TV plan; value defaults to the package's, start to today."""
    require_tv_permission(actor)
    plan = await _tv_plan(session, plan_id)
    package = await session.get(TvPackage, package_id)
    if package is None:
        raise NotFound("TvPackage", package_id)
    if not package.is_extra:
        raise ValidationFailed.one(
            "packageId",
            _(
                "{package_name!r} is not an extra package; only extras can be added",
                package_name=package.name,
            ),
        )
    price = _clean_value(value, package.value)
    day = today or dt.date.today()
    start = start_date or day
    # A package cannot run before its plan did (ADR 0103).
    dates.check_date(
        start, path="startDate", earliest=plan.created_at.date(), earliest_is=_("the plan's start")
    )
    if await reads.current_subscription(session, plan.id, package.id) is not None:
        raise RuleViolation(
            "PACKAGE_ALREADY_ON_PLAN",
            _(
                "Plan {plan_id} already has the package {package_name!r}.",
                plan_id=plan.id,
                package_name=package.name,
            ),
        )
    subscription = await subscribe_package(
        session,
        plan=plan,
        package=package,
        value=price,
        start_date=start,
        is_default=False,
    )
    await audit.record(
        session,
        actor=actor,
        action="addTvPackage",
        target_type="TvPackageSubscription",
        target_id=subscription.id,
        before=None,
        after=_package_state(subscription),
    )
    return subscription


async def remove_tv_package(
    session: AsyncSession,
    *,
    subscription_id: int,
    actor: Identity,
    today: dt.date | None = None,
) -> TvPackageSubscription:
    """Ends an extra package on its plan (from today) and takes it off the platform."""
    require_tv_permission(actor)
    subscription = await session.get(TvPackageSubscription, subscription_id, with_for_update=True)
    if subscription is None:
        raise NotFound("TvPackageSubscription", subscription_id)
    if subscription.is_default:
        raise RuleViolation(
            "DEFAULT_PACKAGE",
            _("The offer's default package is part of the plan; change the plan to change it."),
        )
    if subscription.end_date is not None:
        raise RuleViolation(
            "PACKAGE_ALREADY_REMOVED",
            _("The package was removed on {end_date}.", end_date=subscription.end_date.isoformat()),
        )
    before = _package_state(subscription)
    plan = await session.get_one(Plan, subscription.plan_id)
    package = await session.get_one(TvPackage, subscription.package_id)
    # A package removed before it started ends on its start date, so it is never billed.
    subscription.end_date = max(today or dt.date.today(), subscription.start_date)
    _enqueue_package(session, subscription, plan, package, TOPIC_PACKAGE_REMOVE)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="removeTvPackage",
        target_type="TvPackageSubscription",
        target_id=subscription.id,
        before=before,
        after=_package_state(subscription),
    )
    return subscription


@dataclass(frozen=True)
class EquipmentLookup:
    """What the CASN search shows: the equipment (read-only) and whether a point already uses it."""

    equipment: Equipment
    location: TvPointLocation
    active_point: TvPoint | None


async def _location(session: AsyncSession, location_id: int) -> TvPointLocation:
    location = await session.get(TvPointLocation, location_id)
    if location is None:
        raise NotFound("TvPointLocation", location_id)
    return location


async def _equipment(session: AsyncSession, casn: str) -> Equipment:
    equipment = await reads.equipment_by_casn(session, casn)
    if equipment is None:
        raise NotFound("Equipment", casn)
    return equipment


async def find_equipment(
    session: AsyncSession, *, location_id: int, casn: str, actor: Identity
) -> EquipmentLookup:
    """The equipment with a CASN, for the add-point screen (Local do Ponto + CASN, Buscar)."""
    require_tv_permission(actor)
    cleaned = _clean_casn(casn)
    location = await _location(session, location_id)
    equipment = await _equipment(session, cleaned)
    active = await reads.active_point_with_equipment(session, equipment.id)
    return EquipmentLookup(equipment=equipment, location=location, active_point=active)


async def _free_equipment(session: AsyncSession, casn: str, path: str = "casn") -> Equipment:
    equipment = await _equipment(session, _clean_casn(casn, path))
    active = await reads.active_point_with_equipment(session, equipment.id)
    if active is not None:
        raise RuleViolation(
            "EQUIPMENT_IN_USE",
            _(
                "Equipment {casn} is already active on TV point {active_id}.",
                casn=equipment.casn,
                active_id=active.id,
            ),
        )
    return equipment


def _history(point: TvPoint, event: TvPointEvent, actor: Identity, **values: Any) -> TvPointHistory:
    return TvPointHistory(tv_point_id=point.id, event=event, actor=actor.subject, **values)


async def _active_point(session: AsyncSession, point_id: int) -> tuple[TvPoint, Plan]:
    point = await session.get(TvPoint, point_id, with_for_update=True)
    if point is None:
        raise NotFound("TvPoint", point_id)
    if point.status is not TvPointStatus.ACTIVE:
        raise RuleViolation(
            "TV_POINT_REMOVED", _("TV point {point_id} was removed.", point_id=point_id)
        )
    return point, await session.get_one(Plan, point.plan_id)


def _enqueue_point(
    session: AsyncSession, point: TvPoint, plan: Plan, topic: str, **payload: Any
) -> None:
    point.sync_state, point.sync_error = SyncState.PENDING, None
    enqueue(
        session,
        topic=topic,
        partition_key=partition_key(plan.customer_id),
        payload={
            "target": TARGET_POINT,
            "target_id": point.id,
            "customer_id": plan.customer_id,
            **payload,
        },
    )


async def add_tv_point(
    session: AsyncSession, *, plan_id: int, location_id: int, casn: str, actor: Identity
) -> TvPoint:
    """Installs the equipment with `casn` at a location of a TV plan's premises."""
    require_tv_permission(actor)
    plan = await _tv_plan(session, plan_id)
    location = await _location(session, location_id)
    equipment = await _free_equipment(session, casn)
    point = TvPoint(
        plan_id=plan.id,
        location_id=location.id,
        equipment_id=equipment.id,
        status=TvPointStatus.ACTIVE,
        sync_state=SyncState.PENDING,
    )
    session.add(point)
    # The partial unique index on active equipment turns a concurrent twin into a Conflict here.
    await session.flush()
    session.add(
        _history(
            point,
            TvPointEvent.ADDED,
            actor,
            to_location_id=location.id,
            to_equipment_id=equipment.id,
        )
    )
    _enqueue_point(
        session, point, plan, TOPIC_POINT_ADD, casn=equipment.casn, location=location.name
    )
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="addTvPoint",
        target_type="TvPoint",
        target_id=point.id,
        before=None,
        after=_point_state(point),
    )
    return point


async def change_tv_point_location(
    session: AsyncSession, *, point_id: int, location_id: int, actor: Identity
) -> TvPoint:
    """Moves a point to another location of the premises; the move stays in its history."""
    require_tv_permission(actor)
    point, plan = await _active_point(session, point_id)
    location = await _location(session, location_id)
    if location.id == point.location_id:
        raise ValidationFailed.one("locationId", _("is already the point's location"))
    before = _point_state(point)
    session.add(
        _history(
            point,
            TvPointEvent.LOCATION_CHANGED,
            actor,
            from_location_id=point.location_id,
            to_location_id=location.id,
        )
    )
    point.location_id = location.id
    _enqueue_point(session, point, plan, TOPIC_POINT_MOVE, location=location.name)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="changeTvPointLocation",
        target_type="TvPoint",
        target_id=point.id,
        before=before,
        after=_point_state(point),
    )
    return point


async def swap_tv_point_equipment(
    session: AsyncSession, *, point_id: int, casn: str, actor: Identity
) -> tuple[TvPoint, Equipment]:
    """Replaces a point's set-top box with the equipment of `casn`; returns the point and the
    equipment it had before."""
    require_tv_permission(actor)
    point, plan = await _active_point(session, point_id)
    previous = await session.get_one(Equipment, point.equipment_id)
    if _clean_casn(casn) == previous.casn:
        raise ValidationFailed.one("casn", _("is the point's current equipment"))
    equipment = await _free_equipment(session, casn)
    before = _point_state(point)
    session.add(
        _history(
            point,
            TvPointEvent.EQUIPMENT_SWAPPED,
            actor,
            from_equipment_id=previous.id,
            to_equipment_id=equipment.id,
        )
    )
    point.equipment_id = equipment.id
    _enqueue_point(session, point, plan, TOPIC_POINT_SWAP, casn=equipment.casn)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="swapTvPointEquipment",
        target_type="TvPoint",
        target_id=point.id,
        before=before,
        after=_point_state(point),
    )
    return point, previous


async def remove_tv_point(session: AsyncSession, *, point_id: int, actor: Identity) -> TvPoint:
    """Takes a point out (its equipment becomes free for another point)."""
    require_tv_permission(actor)
    point, plan = await _active_point(session, point_id)
    before = _point_state(point)
    session.add(
        _history(
            point,
            TvPointEvent.REMOVED,
            actor,
            from_location_id=point.location_id,
            from_equipment_id=point.equipment_id,
        )
    )
    point.status, point.removed_at = TvPointStatus.REMOVED, utcnow()
    _enqueue_point(session, point, plan, TOPIC_POINT_REMOVE)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="removeTvPoint",
        target_type="TvPoint",
        target_id=point.id,
        before=before,
        after=_point_state(point),
    )
    return point


async def send_set_top_box_command(
    session: AsyncSession, *, point_id: int, command: SetTopBoxCommand, actor: Identity
) -> tuple[TvPoint, TvPointHistory]:
    """Sends REFRESH or RESET_PARENTAL_KEY to a point's box; kept in the point's history."""
    require_tv_permission(actor)
    point, plan = await _active_point(session, point_id)
    entry = _history(point, TvPointEvent.COMMAND_SENT, actor, detail=command.name)
    session.add(entry)
    _enqueue_point(session, point, plan, TOPIC_POINT_COMMAND, command=command.name)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="sendSetTopBoxCommand",
        target_type="TvPoint",
        target_id=point.id,
        before=None,
        after={"command": command.name},
    )
    return point, entry


async def tv_point_for_platform_data(
    session: AsyncSession, *, point_id: int, actor: Identity
) -> TvPoint:
    """The point whose stored platform data a staff member wants to see."""
    require_tv_permission(actor)
    point = await session.get(TvPoint, point_id)
    if point is None:
        raise NotFound("TvPoint", point_id)
    return point


async def refresh_tv_point_platform_data(
    session: AsyncSession, *, point_id: int, platform: TvPlatform, actor: Identity
) -> TvPoint:
    """Asks the platform what it knows about the point's device now, and keeps the answer."""
    require_tv_permission(actor)
    point = await session.get(TvPoint, point_id)
    if point is None:
        raise NotFound("TvPoint", point_id)
    if point.platform_device_id is None:
        raise RuleViolation(
            "TV_POINT_NOT_ON_PLATFORM",
            _(
                "TV point {point_id} has not reached the TV platform yet (sync state "
                "{sync_state}).",
                point_id=point_id,
                sync_state=point.sync_state.name,
            ),
        )
    try:
        device = await platform.device(point.platform_device_id)
    except TvPlatformError as error:
        if error.retryable:
            raise TvPlatformUnavailableError(error.message) from error
        raise RuleViolation("TV_PLATFORM_REJECTED", error.message) from error
    point.platform_data, point.platform_data_at = device.data, utcnow()
    await session.flush()
    return point


async def end_plan_tv(
    session: AsyncSession,
    *,
    plan: Plan,
    actor: Identity,
    detail: str,
    at: dt.datetime | None = None,
) -> tuple[list[TvPackageSubscription], list[TvPoint]]:
    """Ends every running package (the default one too) and removes every active point of a
    plan, each with its platform message: what cancelling a plan does to its TV (ADR 0100).

    The one path that ends a plan's TV, in the caller's transaction. It checks no TV permission
    of its own: the plan action that calls it (cancelPlan) authorises it.
    """
    when = at or utcnow()
    subscriptions = await reads.running_subscriptions(session, plan.id)
    for subscription in subscriptions:
        package = await session.get_one(TvPackage, subscription.package_id)
        # A package that had not started yet ends on its start date, so it is never billed.
        subscription.end_date = max(when.date(), subscription.start_date)
        _enqueue_package(session, subscription, plan, package, TOPIC_PACKAGE_REMOVE)
    points = await reads.active_points(session, plan.id)
    for point in points:
        session.add(
            _history(
                point,
                TvPointEvent.REMOVED,
                actor,
                from_location_id=point.location_id,
                from_equipment_id=point.equipment_id,
                detail=detail,
                at=when,
            )
        )
        point.status, point.removed_at = TvPointStatus.REMOVED, when
        _enqueue_point(session, point, plan, TOPIC_POINT_REMOVE)
    await session.flush()
    return subscriptions, points
