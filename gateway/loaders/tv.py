"""Loaders of the TV and billing-event relations (used through `Loaders.get`)."""

from __future__ import annotations

from collections.abc import Sequence

from domain import models as m
from domain.reads import tv as reads
from gateway.loaders.base import ManyByKeyLoader, RequestLoader, group_by_key


class BillingEventsByPlanIdLoader(ManyByKeyLoader[m.BillingEvent]):
    """A plan's billing events (the relation orders them by due date)."""

    model, column = m.BillingEvent, "plan_id"


class BillingEventsByCustomerIdLoader(RequestLoader[list[m.BillingEvent]]):
    """Every billing event of a customer's plans, by due date (through the plan)."""

    model = m.BillingEvent
    through = (m.Plan, "customer_id", "id", "plan_id")
    order = ("due_date", "id")

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[m.BillingEvent]]:
        pairs = await self.db.run(reads.billing_events_by_customer_ids, keys)
        grouped = group_by_key(keys, pairs, lambda pair: pair[0])
        return [[event for _, event in group] for group in grouped]
