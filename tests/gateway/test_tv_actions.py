"""TV packages and points on a plan: every action, every refusal, and what each one writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.models.enums import OutboxStatus, PlanStatus, TvPointStatus
from gateway.schema.base import to_global_id
from tests.gateway.tv_support import NO_TV_STAFF, execute, tv_fixture, used_casn

ADD_PACKAGE = """
mutation ($input: AddTvPackageInput!) {
  addTvPackage(input: $input) {
    __typename
    ... on AddTvPackageSuccess {
      tvPackage { id databaseId value startDate endDate isDefault syncState syncError
                  package { name channels { name number family } } }
      plan { databaseId tvPackages { databaseId package { name } } }
    }
    ... on UserError { message }
    ... on ValidationError { fields { path message } }
    ... on RuleViolation { rule }
    ... on NotFound { entity id }
    ... on NotAllowed { permission }
  }
}
"""

REMOVE_PACKAGE = """
mutation ($input: RemoveTvPackageInput!) {
  removeTvPackage(input: $input) {
    __typename
    ... on RemoveTvPackageSuccess { tvPackage { databaseId endDate syncState } }
    ... on RuleViolation { rule }
    ... on NotFound { entity }
    ... on NotAllowed { permission }
  }
}
"""

POINT_FIELDS = """
  databaseId status syncState removedAt
  location { databaseId name } equipment { casn }
  history { event detail actor fromLocation { databaseId } toLocation { databaseId }
            fromEquipment { casn } toEquipment { casn } }
"""

ERRORS = """
    ... on ValidationError { fields { path message } }
    ... on RuleViolation { rule message }
    ... on NotFound { entity id }
    ... on NotAllowed { permission }
"""

ADD_POINT = f"""
mutation ($input: AddTvPointInput!) {{
  addTvPoint(input: $input) {{
    __typename
    ... on AddTvPointSuccess {{ tvPoint {{ {POINT_FIELDS} }} plan {{ databaseId }} }}
    {ERRORS}
  }}
}}
"""

MOVE_POINT = f"""
mutation ($input: ChangeTvPointLocationInput!) {{
  changeTvPointLocation(input: $input) {{
    __typename
    ... on TvPointSuccess {{ tvPoint {{ {POINT_FIELDS} }} }}
    {ERRORS}
  }}
}}
"""

SWAP_POINT = f"""
mutation ($input: SwapTvPointEquipmentInput!) {{
  swapTvPointEquipment(input: $input) {{
    __typename
    ... on SwapTvPointEquipmentSuccess {{
      tvPoint {{ {POINT_FIELDS} }} previousEquipment {{ casn }}
    }}
    {ERRORS}
  }}
}}
"""

REMOVE_POINT = f"""
mutation ($input: RemoveTvPointInput!) {{
  removeTvPoint(input: $input) {{
    __typename
    ... on TvPointSuccess {{ tvPoint {{ {POINT_FIELDS} }} }}
    {ERRORS}
  }}
}}
"""

COMMAND = f"""
mutation ($input: SendSetTopBoxCommandInput!) {{
  sendSetTopBoxCommand(input: $input) {{
    __typename
    ... on SendSetTopBoxCommandSuccess {{
      tvPoint {{ databaseId syncState }} historyEntry {{ event detail actor }}
    }}
    {ERRORS}
  }}
}}
"""

LOOKUP = """
query ($locationId: ID!, $casn: String!) {
  equipmentByCasn(locationId: $locationId, casn: $casn) {
    __typename
    ... on EquipmentLookup {
      equipment { casn description assetTag serial internalCode smartcard }
      location { databaseId } inUse activePoint { databaseId }
    }
    ... on ValidationError { fields { path } }
    ... on NotFound { entity id }
    ... on NotAllowed { permission }
  }
}
"""


async def _count(session: AsyncSession, model: type[m.Base]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _messages(session: AsyncSession) -> list[m.OutboxMessage]:
    return list(await session.scalars(select(m.OutboxMessage).order_by(m.OutboxMessage.id)))


async def _non_tv_plan(session: AsyncSession) -> int:
    plan_id = await session.scalar(
        select(m.Plan.id)
        .join(m.PlanOffer, m.PlanOffer.id == m.Plan.offer_id)
        .where(m.PlanOffer.is_tv_offer.is_(False), m.Plan.status == PlanStatus.ACTIVE)
        .limit(1)
    )
    assert plan_id is not None
    return plan_id


async def test_add_packages_with_defaults_and_overrides(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    telecine, hbo = tv.extra_package_ids[:2]
    package = await session.get_one(m.TvPackage, telecine)
    audits = await _count(session, m.AuditLog)

    data = await execute(
        session,
        ADD_PACKAGE,
        {"input": {"planId": to_global_id("Plan", tv.plan_id), "packageId": str(telecine)}},
    )
    result = data["addTvPackage"]
    assert result["__typename"] == "AddTvPackageSuccess"
    added = result["tvPackage"]
    assert Decimal(added["value"]) == package.value
    assert added["startDate"] == dt.date.today().isoformat()
    assert (added["endDate"], added["isDefault"], added["syncState"]) == (None, False, "PENDING")
    channels = [
        (row.name, row.number, row.family)
        for row in await session.scalars(
            select(m.Channel)
            .join(m.TvPackageChannel, m.TvPackageChannel.channel_id == m.Channel.id)
            .where(m.TvPackageChannel.package_id == telecine)
            .order_by(m.Channel.number)
        )
    ]
    assert (
        channels
        and [(c["name"], c["number"], c["family"]) for c in added["package"]["channels"]]
        == channels
    )

    data = await execute(
        session,
        ADD_PACKAGE,
        {
            "input": {
                "planId": str(tv.plan_id),
                "packageId": to_global_id("TvPackage", hbo),
                "value": "19.90",
                "startDate": "2027-01-05",
            }
        },
    )
    second = data["addTvPackage"]
    assert second["tvPackage"]["value"] == "19.90"
    assert second["tvPackage"]["startDate"] == "2027-01-05"
    on_plan = {p["databaseId"] for p in second["plan"]["tvPackages"]}
    assert {added["databaseId"], second["tvPackage"]["databaseId"]} <= on_plan

    messages = await _messages(session)
    assert [msg.topic for msg in messages[-2:]] == ["tv.package.add", "tv.package.add"]
    assert {msg.partition_key for msg in messages[-2:]} == {f"tv:customer:{tv.customer_id}"}
    assert messages[-1].payload["target_id"] == second["tvPackage"]["databaseId"]
    assert messages[-1].idempotency_key != messages[-2].idempotency_key
    assert all(msg.status is OutboxStatus.PENDING for msg in messages[-2:])
    assert await _count(session, m.AuditLog) == audits + 2


async def test_add_package_refusals_change_nothing(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    extra = tv.extra_package_ids[0]
    default_package = await session.scalar(
        select(m.TvPackage.id).where(m.TvPackage.is_extra.is_(False)).limit(1)
    )
    await execute(
        session, ADD_PACKAGE, {"input": {"planId": str(tv.plan_id), "packageId": str(extra)}}
    )
    before = (
        await _count(session, m.TvPackageSubscription),
        await _count(session, m.OutboxMessage),
    )

    async def refused(variables: dict, **kwargs) -> dict:  # type: ignore[no-untyped-def, type-arg]
        data = await execute(session, ADD_PACKAGE, {"input": variables}, **kwargs)
        return data["addTvPackage"]  # type: ignore[no-any-return]

    plan = str(tv.plan_id)
    result = await refused({"planId": plan, "packageId": str(extra)})
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "PACKAGE_ALREADY_ON_PLAN")
    result = await refused({"planId": plan, "packageId": str(default_package)})
    assert result["__typename"] == "ValidationError"
    assert result["fields"][0]["path"] == ["packageId"]
    for value in ("-1", "10.555", "99999999999"):
        result = await refused(
            {"planId": plan, "packageId": str(tv.extra_package_ids[1]), "value": value}
        )
        assert result["__typename"] == "ValidationError", value
        assert result["fields"][0]["path"] == ["value"]
    result = await refused({"planId": str(await _non_tv_plan(session)), "packageId": str(extra)})
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "NOT_A_TV_OFFER")
    result = await refused({"planId": str(10**8), "packageId": str(extra)})
    assert (result["__typename"], result["entity"]) == ("NotFound", "Plan")
    result = await refused({"planId": "not-an-id", "packageId": str(extra)})
    assert (result["__typename"], result["entity"], result["id"]) == (
        "NotFound",
        "Plan",
        "not-an-id",
    )
    result = await refused({"planId": plan, "packageId": str(10**6)})
    assert (result["__typename"], result["entity"]) == ("NotFound", "TvPackage")
    result = await refused(
        {"planId": plan, "packageId": str(tv.extra_package_ids[1])}, identity=NO_TV_STAFF
    )
    assert result == {
        "__typename": "NotAllowed",
        "message": result["message"],
        "permission": "TV_PACKAGES",
    }

    await session.execute(
        update(m.Plan)
        .where(m.Plan.id == tv.plan_id)
        .values(status=PlanStatus.CANCELLED, inactive_reason=None, cancelled_at=func.now())
    )
    result = await refused({"planId": plan, "packageId": str(tv.extra_package_ids[1])})
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "PLAN_CANCELLED")
    after = (await _count(session, m.TvPackageSubscription), await _count(session, m.OutboxMessage))
    assert after == before


async def test_remove_package(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    data = await execute(
        session,
        ADD_PACKAGE,
        {"input": {"planId": str(tv.plan_id), "packageId": str(tv.extra_package_ids[0])}},
    )
    subscription = to_global_id(
        "TvPackageSubscription", data["addTvPackage"]["tvPackage"]["databaseId"]
    )

    refused = await execute(
        session, REMOVE_PACKAGE, {"input": {"tvPackageId": subscription}}, identity=NO_TV_STAFF
    )
    assert refused["removeTvPackage"]["permission"] == "TV_PACKAGES"
    data = await execute(session, REMOVE_PACKAGE, {"input": {"tvPackageId": subscription}})
    removed = data["removeTvPackage"]
    assert removed["__typename"] == "RemoveTvPackageSuccess"
    assert removed["tvPackage"]["endDate"] == dt.date.today().isoformat()
    assert removed["tvPackage"]["syncState"] == "PENDING"
    last = (await _messages(session))[-1]
    assert last.topic == "tv.package.remove" and last.payload["package_code"].startswith("BNS-")

    again = await execute(session, REMOVE_PACKAGE, {"input": {"tvPackageId": subscription}})
    assert again["removeTvPackage"]["rule"] == "PACKAGE_ALREADY_REMOVED"
    default_id = await session.scalar(
        select(m.TvPackageSubscription.id).where(
            m.TvPackageSubscription.plan_id == tv.plan_id,
            m.TvPackageSubscription.is_default.is_(True),
        )
    )
    data = await execute(session, REMOVE_PACKAGE, {"input": {"tvPackageId": str(default_id)}})
    assert data["removeTvPackage"]["rule"] == "DEFAULT_PACKAGE"
    data = await execute(session, REMOVE_PACKAGE, {"input": {"tvPackageId": str(10**8)}})
    assert data["removeTvPackage"]["entity"] == "TvPackageSubscription"


async def test_equipment_by_casn(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    location = str(tv.location_ids[0])
    spare = await session.scalar(select(m.Equipment).where(m.Equipment.casn == tv.spare_casns[0]))
    assert spare is not None

    data = await execute(session, LOOKUP, {"locationId": location, "casn": f" {spare.casn} "})
    found = data["equipmentByCasn"]
    assert found["__typename"] == "EquipmentLookup" and found["inUse"] is False
    assert found["equipment"] == {
        "casn": spare.casn,
        "description": spare.description,
        "assetTag": spare.asset_tag,
        "serial": spare.serial,
        "internalCode": spare.internal_code,
        "smartcard": spare.smartcard,
    }
    data = await execute(
        session, LOOKUP, {"locationId": location, "casn": await used_casn(session)}
    )
    assert data["equipmentByCasn"]["inUse"] is True
    assert data["equipmentByCasn"]["activePoint"]["databaseId"] > 0

    data = await execute(session, LOOKUP, {"locationId": location, "casn": "000"})
    assert data["equipmentByCasn"] == {"__typename": "NotFound", "entity": "Equipment", "id": "000"}
    data = await execute(session, LOOKUP, {"locationId": location, "casn": "  "})
    assert data["equipmentByCasn"]["fields"] == [{"path": ["casn"]}]
    data = await execute(session, LOOKUP, {"locationId": "999999", "casn": spare.casn})
    assert data["equipmentByCasn"]["entity"] == "TvPointLocation"
    data = await execute(
        session, LOOKUP, {"locationId": location, "casn": spare.casn}, identity=NO_TV_STAFF
    )
    assert data["equipmentByCasn"] == {"__typename": "NotAllowed", "permission": "TV_PACKAGES"}


async def test_point_lifecycle_keeps_its_history(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    first_casn, second_casn = tv.spare_casns[:2]
    here, there = tv.location_ids[:2]

    data = await execute(
        session,
        ADD_POINT,
        {"input": {"planId": str(tv.plan_id), "locationId": str(here), "casn": first_casn}},
    )
    point = data["addTvPoint"]["tvPoint"]
    point_id = to_global_id("TvPoint", point["databaseId"])
    assert (point["status"], point["syncState"]) == ("ACTIVE", "PENDING")
    assert point["equipment"]["casn"] == first_casn
    assert [h["event"] for h in point["history"]] == ["ADDED"]
    assert point["history"][0]["actor"] == "tv-clerk"

    data = await execute(
        session, MOVE_POINT, {"input": {"tvPointId": point_id, "locationId": str(there)}}
    )
    moved = data["changeTvPointLocation"]["tvPoint"]
    assert moved["location"]["databaseId"] == there
    change = moved["history"][-1]
    assert change["event"] == "LOCATION_CHANGED"
    assert (change["fromLocation"]["databaseId"], change["toLocation"]["databaseId"]) == (
        here,
        there,
    )
    data = await execute(
        session, MOVE_POINT, {"input": {"tvPointId": point_id, "locationId": str(there)}}
    )
    assert data["changeTvPointLocation"]["fields"][0]["path"] == ["locationId"]

    data = await execute(
        session, SWAP_POINT, {"input": {"tvPointId": point_id, "casn": second_casn}}
    )
    swapped = data["swapTvPointEquipment"]
    assert swapped["previousEquipment"]["casn"] == first_casn
    assert swapped["tvPoint"]["equipment"]["casn"] == second_casn
    assert swapped["tvPoint"]["history"][-1]["fromEquipment"]["casn"] == first_casn
    freed = await execute(session, LOOKUP, {"locationId": str(here), "casn": first_casn})
    assert freed["equipmentByCasn"]["inUse"] is False

    data = await execute(
        session, COMMAND, {"input": {"tvPointId": point_id, "command": "RESET_PARENTAL_KEY"}}
    )
    sent = data["sendSetTopBoxCommand"]
    assert sent["historyEntry"] == {
        "event": "COMMAND_SENT",
        "detail": "RESET_PARENTAL_KEY",
        "actor": "tv-clerk",
    }

    data = await execute(session, REMOVE_POINT, {"input": {"tvPointId": point_id}})
    removed = data["removeTvPoint"]["tvPoint"]
    assert removed["status"] == "REMOVED" and removed["removedAt"] is not None
    assert [h["event"] for h in removed["history"]] == [
        "ADDED", "LOCATION_CHANGED", "EQUIPMENT_SWAPPED", "COMMAND_SENT", "REMOVED",
    ]  # fmt: skip
    data = await execute(session, COMMAND, {"input": {"tvPointId": point_id, "command": "REFRESH"}})
    assert data["sendSetTopBoxCommand"]["rule"] == "TV_POINT_REMOVED"
    data = await execute(session, REMOVE_POINT, {"input": {"tvPointId": point_id}})
    assert data["removeTvPoint"]["rule"] == "TV_POINT_REMOVED"

    messages = (await _messages(session))[-5:]
    assert [msg.topic for msg in messages] == [
        "tv.point.add", "tv.point.move", "tv.point.swap", "tv.point.command", "tv.point.remove",
    ]  # fmt: skip
    assert {msg.payload["target_id"] for msg in messages} == {point["databaseId"]}
    assert messages[2].payload["casn"] == second_casn


async def test_point_refusals(session: AsyncSession) -> None:
    tv = await tv_fixture(session)
    location = str(tv.location_ids[0])
    busy = await used_casn(session)
    points = await _count(session, m.TvPoint)

    async def add(casn: str, plan: int | None = None, **kwargs) -> dict:  # type: ignore[no-untyped-def, type-arg]
        variables = {"planId": str(plan or tv.plan_id), "locationId": location, "casn": casn}
        return (await execute(session, ADD_POINT, {"input": variables}, **kwargs))["addTvPoint"]  # type: ignore[no-any-return]

    assert (await add(busy))["rule"] == "EQUIPMENT_IN_USE"
    assert (await add("nope"))["entity"] == "Equipment"
    assert (await add(tv.spare_casns[0], await _non_tv_plan(session)))["rule"] == "NOT_A_TV_OFFER"
    assert (await add(tv.spare_casns[0], identity=NO_TV_STAFF))["permission"] == "TV_PACKAGES"
    assert await _count(session, m.TvPoint) == points

    added = await add(tv.spare_casns[0])
    point_id = str(added["tvPoint"]["databaseId"])
    data = await execute(session, SWAP_POINT, {"input": {"tvPointId": point_id, "casn": busy}})
    assert data["swapTvPointEquipment"]["rule"] == "EQUIPMENT_IN_USE"
    data = await execute(
        session, SWAP_POINT, {"input": {"tvPointId": point_id, "casn": tv.spare_casns[0]}}
    )
    assert data["swapTvPointEquipment"]["fields"][0]["path"] == ["casn"]
    for query, name, extra in (
        (MOVE_POINT, "changeTvPointLocation", {"locationId": location}),
        (SWAP_POINT, "swapTvPointEquipment", {"casn": tv.spare_casns[1]}),
        (REMOVE_POINT, "removeTvPoint", {}),
        (COMMAND, "sendSetTopBoxCommand", {"command": "REFRESH"}),
    ):
        data = await execute(
            session, query, {"input": {"tvPointId": point_id, **extra}}, identity=NO_TV_STAFF
        )
        assert data[name]["permission"] == "TV_PACKAGES", name
        data = await execute(session, query, {"input": {"tvPointId": str(10**8), **extra}})
        assert data[name]["entity"] == "TvPoint", name


async def test_the_database_backs_one_active_point_per_equipment(session: AsyncSession) -> None:
    point = await session.scalar(
        select(m.TvPoint).where(m.TvPoint.status == TvPointStatus.ACTIVE).limit(1)
    )
    assert point is not None
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(
                m.TvPoint(
                    plan_id=point.plan_id,
                    location_id=point.location_id,
                    equipment_id=point.equipment_id,
                    status=TvPointStatus.ACTIVE,
                )
            )
            await session.flush()


async def test_ending_a_plans_tv_removes_points_and_ends_packages(session: AsyncSession) -> None:
    from domain.actions.tv import end_plan_tv
    from tests.gateway.tv_support import TV_STAFF

    plan_id = await session.scalar(
        select(m.TvPoint.plan_id).where(m.TvPoint.status == TvPointStatus.ACTIVE).limit(1)
    )
    assert plan_id is not None
    running = set(
        await session.scalars(
            select(m.TvPackageSubscription.id).where(
                m.TvPackageSubscription.plan_id == plan_id,
                m.TvPackageSubscription.end_date.is_(None),
            )
        )
    )
    messages = await _count(session, m.OutboxMessage)
    plan = await session.get_one(m.Plan, plan_id)
    subscriptions, points = await end_plan_tv(
        session,
        plan=plan,
        actor=TV_STAFF,
        detail="Plano cancelado",
        at=dt.datetime(2031, 1, 1, tzinfo=dt.UTC),
    )
    assert {s.id for s in subscriptions} == running and points
    assert all(s.end_date is not None and s.sync_state.name == "PENDING" for s in subscriptions)
    assert all(p.status is TvPointStatus.REMOVED for p in points)
    assert await _count(session, m.OutboxMessage) == messages + len(running) + len(points)
    left = await session.scalar(
        select(func.count())
        .select_from(m.TvPoint)
        .where(m.TvPoint.plan_id == plan_id, m.TvPoint.status == TvPointStatus.ACTIVE)
    )
    assert left == 0
