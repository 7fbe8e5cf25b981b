"""Delivering TV outbox messages to the platform, and recording what came of it.

A delivery has three steps, each short, and no transaction is open while the platform is asked:
`prepare` reads what the call needs, `deliver` talks to the platform (HTTP only), and
`record_success` / `record_failure` write the outcome: the package's or point's sync state,
the device id and data the platform returned, and on a customer's first sync the platform's
subscriber id and auth PIN as the customer's extra fields.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.actions import outbox as outbox_actions
from domain.actions.tv import (
    TARGET_PACKAGE,
    TARGET_POINT,
    TOPIC_PACKAGE_ADD,
    TOPIC_PACKAGE_REMOVE,
    TOPIC_POINT_ADD,
    TOPIC_POINT_COMMAND,
    TOPIC_POINT_MOVE,
    TOPIC_POINT_REMOVE,
    TOPIC_POINT_SWAP,
)
from domain.identity import Identity
from domain.models import Customer, ExtraField, OutboxMessage, TvPackageSubscription, TvPoint
from domain.models.enums import ExtraFieldType, OutboxStatus, SyncState
from domain.ports.tv_platform import (
    DeviceNotFound,
    PlatformDevice,
    PlatformSubscriber,
    SubscriberNotFound,
    TvPlatform,
    TvPlatformRejected,
)
from domain.reads import tv as reads
from domain.rules.outbox import RetryPolicy

# Who the audit log names for what the platform wrote back.
SYNC_ACTOR = Identity.staff("tv-platform-sync")
MAX_ERROR = 1000

_NEEDS_SUBSCRIBER = {TOPIC_PACKAGE_ADD, TOPIC_PACKAGE_REMOVE, TOPIC_POINT_ADD}


class CannotDeliver(TvPlatformRejected):
    """The message cannot be delivered as it stands (e.g. its point never reached the platform)."""


@dataclass(frozen=True)
class Delivery:
    """One message and what its platform call needs, read before the call."""

    message_id: int
    topic: str
    idempotency_key: str
    partition_key: str
    payload: dict[str, Any]
    attempt: int
    customer_id: int
    customer_name: str
    customer_document: str
    subscriber_id: str | None
    device_id: str | None


@dataclass(frozen=True)
class Delivered:
    """What the platform returned: a subscriber it provisioned, a device it described."""

    subscriber: PlatformSubscriber | None
    device: PlatformDevice | None


async def prepare(session: AsyncSession, message: OutboxMessage) -> Delivery:
    payload = dict(message.payload)
    customer = await session.get(Customer, payload["customer_id"])
    if customer is None:
        raise CannotDeliver(f"customer {payload['customer_id']} no longer exists")
    fields = await reads.subscriber_fields(session, customer.id)
    subscriber_field = fields.get(reads.SUBSCRIBER_ID_FIELD)
    device_id = None
    if payload["target"] == TARGET_POINT and message.topic != TOPIC_POINT_ADD:
        point = await session.get(TvPoint, payload["target_id"])
        device_id = point.platform_device_id if point is not None else None
    return Delivery(
        message_id=message.id,
        topic=message.topic,
        idempotency_key=message.idempotency_key,
        partition_key=message.partition_key,
        payload=payload,
        attempt=message.attempts,
        customer_id=customer.id,
        customer_name=customer.name,
        customer_document=customer.document,
        subscriber_id=subscriber_field.value if subscriber_field is not None else None,
        device_id=device_id,
    )


async def _ensure_subscriber(platform: TvPlatform, delivery: Delivery) -> PlatformSubscriber:
    return await platform.ensure_subscriber(
        external_id=str(delivery.customer_id),
        name=delivery.customer_name,
        document=delivery.customer_document,
        idempotency_key=f"{delivery.idempotency_key}:subscriber",
    )


async def _call(
    platform: TvPlatform, delivery: Delivery, subscriber_id: str | None
) -> PlatformDevice | None:
    p, key = delivery.payload, delivery.idempotency_key
    if delivery.topic == TOPIC_PACKAGE_ADD:
        assert subscriber_id is not None
        await platform.add_package(
            subscriber_id=subscriber_id,
            package_code=p["package_code"],
            start_date=dt.date.fromisoformat(p["start_date"]),
            idempotency_key=key,
        )
        return None
    if delivery.topic == TOPIC_PACKAGE_REMOVE:
        assert subscriber_id is not None
        await platform.remove_package(
            subscriber_id=subscriber_id, package_code=p["package_code"], idempotency_key=key
        )
        return None
    if delivery.topic == TOPIC_POINT_ADD:
        assert subscriber_id is not None
        return await platform.add_device(
            subscriber_id=subscriber_id,
            external_id=str(p["target_id"]),
            casn=p["casn"],
            location=p["location"],
            idempotency_key=key,
        )
    device_id = delivery.device_id
    if device_id is None and delivery.topic == TOPIC_POINT_REMOVE:
        # Its addition never reached the platform (a given-up message, data from before the
        # integration): there is nothing there to remove.
        return None
    if device_id is None:
        raise CannotDeliver(
            f"TV point {p['target_id']} has no device on the platform (its addition did not arrive)"
        )
    if delivery.topic == TOPIC_POINT_MOVE:
        return await platform.move_device(
            device_id=device_id, location=p["location"], idempotency_key=key
        )
    if delivery.topic == TOPIC_POINT_SWAP:
        return await platform.swap_device(device_id=device_id, casn=p["casn"], idempotency_key=key)
    if delivery.topic == TOPIC_POINT_REMOVE:
        with contextlib.suppress(DeviceNotFound):  # already gone: what removing wants
            await platform.remove_device(device_id=device_id, idempotency_key=key)
        return None
    if delivery.topic == TOPIC_POINT_COMMAND:
        await platform.send_command(device_id=device_id, command=p["command"], idempotency_key=key)
        return None
    raise CannotDeliver(f"unknown TV topic {delivery.topic!r}")


async def deliver(platform: TvPlatform, delivery: Delivery) -> Delivered:
    """Makes the platform call; provisions the subscriber first when we have no id for it,
    or when the platform no longer knows the id we have."""
    subscriber: PlatformSubscriber | None = None
    subscriber_id = delivery.subscriber_id
    if delivery.topic in _NEEDS_SUBSCRIBER and subscriber_id is None:
        subscriber = await _ensure_subscriber(platform, delivery)
        subscriber_id = subscriber.id
    try:
        device = await _call(platform, delivery, subscriber_id)
    except SubscriberNotFound:
        if subscriber is not None:
            raise
        subscriber = await _ensure_subscriber(platform, delivery)
        device = await _call(platform, delivery, subscriber.id)
    return Delivered(subscriber=subscriber, device=device)


async def _target(session: AsyncSession, payload: dict[str, Any]) -> Any:
    model = TvPoint if payload["target"] == TARGET_POINT else TvPackageSubscription
    # Locked, so a user's change of the same row (which sets PENDING) is not overwritten.
    return await session.get(
        model, payload["target_id"], with_for_update=True, populate_existing=True
    )


async def _target_has_later_changes(session: AsyncSession, delivery: Delivery) -> bool:
    others = await outbox_actions.pending_in_partition(
        session, delivery.partition_key, excluding=delivery.message_id
    )
    target = (delivery.payload["target"], delivery.payload["target_id"])
    return any((m.payload.get("target"), m.payload.get("target_id")) == target for m in others)


async def _store_subscriber(
    session: AsyncSession, customer_id: int, subscriber: PlatformSubscriber
) -> None:
    fields = await reads.subscriber_fields(session, customer_id)
    before = {name: row.value for name, row in fields.items()}
    for name, value in (
        (reads.SUBSCRIBER_ID_FIELD, subscriber.id),
        (reads.AUTH_PIN_FIELD, subscriber.auth_pin),
    ):
        row = fields.get(name)
        if row is None:
            session.add(
                ExtraField(
                    customer_id=customer_id,
                    name=name,
                    value_type=ExtraFieldType.STRING,
                    value=value,
                )
            )
        else:
            row.value_type, row.value = ExtraFieldType.STRING, value
    await audit.record(
        session,
        actor=SYNC_ACTOR,
        action="tvPlatformSubscriberSynced",
        target_type="Customer",
        target_id=customer_id,
        before=before or None,
        after={reads.SUBSCRIBER_ID_FIELD: subscriber.id, reads.AUTH_PIN_FIELD: subscriber.auth_pin},
    )


async def record_success(
    session: AsyncSession, delivery: Delivery, delivered: Delivered, *, now: dt.datetime
) -> None:
    # Written first: on SQLite the transaction then holds the write lock for what follows.
    await outbox_actions.mark_delivered(session, delivery.message_id, now=now)
    if delivered.subscriber is not None:
        await _store_subscriber(session, delivery.customer_id, delivered.subscriber)
    target = await _target(session, delivery.payload)
    if target is not None:
        if isinstance(target, TvPoint) and delivered.device is not None:
            if delivery.topic == TOPIC_POINT_ADD:
                target.platform_device_id = delivered.device.id
            target.platform_data, target.platform_data_at = delivered.device.data, now
        if not await _target_has_later_changes(session, delivery):
            target.sync_state, target.sync_error = SyncState.SYNCED, None
    await session.flush()


async def record_failure(
    session: AsyncSession,
    delivery: Delivery,
    *,
    error: str,
    retryable: bool,
    now: dt.datetime,
    policy: RetryPolicy,
) -> OutboxStatus:
    """Schedules the next try (the target stays PENDING, with the error) or gives up (FAILED)."""
    status, next_attempt = await outbox_actions.mark_failed_attempt(
        session,
        delivery.message_id,
        attempts=delivery.attempt,
        error=error,
        retryable=retryable,
        now=now,
        policy=policy,
    )
    target = await _target(session, delivery.payload)
    if target is not None:
        if status is OutboxStatus.FAILED:
            target.sync_state = SyncState.FAILED
            target.sync_error = f"{error} (gave up after {delivery.attempt} attempts)"[:MAX_ERROR]
        else:
            next_try = next_attempt.astimezone(dt.UTC).strftime("%H:%M:%S UTC")
            target.sync_error = f"{error} (attempt {delivery.attempt}, next try at {next_try})"[
                :MAX_ERROR
            ]
    await session.flush()
    return status


__all__ = [
    "TARGET_PACKAGE",
    "CannotDeliver",
    "Delivered",
    "Delivery",
    "deliver",
    "prepare",
    "record_failure",
    "record_success",
]
