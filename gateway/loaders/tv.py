"""Loaders of the TV and billing-event relations (used through `Loaders.get`)."""

from __future__ import annotations

from collections.abc import Sequence

from domain import models as m
from domain.reads import tv as reads
from gateway.loaders.base import RequestLoader, group_by_key


class BillingEventsByPlanIdLoader(RequestLoader[list[m.BillingEvent]]):
    """A plan's billing events, by due date."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[m.BillingEvent]]:
        rows = await self.db.run(reads.billing_events_by_plan_ids, keys)
        return group_by_key(keys, rows, lambda row: row.plan_id)


class BillingEventsByCustomerIdLoader(RequestLoader[list[m.BillingEvent]]):
    """Every billing event of a customer's plans, by due date."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[m.BillingEvent]]:
        pairs = await self.db.run(reads.billing_events_by_customer_ids, keys)
        grouped = group_by_key(keys, pairs, lambda pair: pair[0])
        return [[event for _, event in group] for group in grouped]
