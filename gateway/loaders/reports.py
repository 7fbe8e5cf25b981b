"""Rows of the report tables by key, for the report connections' standard path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain import models as m
from domain.reads import common
from gateway.loaders.base import ByIdLoader


class BillingEventByIdLoader(ByIdLoader[m.BillingEvent]):
    model = m.BillingEvent


class CallRecordByIdLoader(ByIdLoader[m.CallRecord]):
    model = m.CallRecord


class ConnectionSessionByIdLoader(ByIdLoader[m.ConnectionSession]):
    """RADIUS accounting rows by `radacctid`, radacct's own key."""

    model = m.ConnectionSession

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.db.run(common.by_ids, self.model, keys)
        index = {row.radacctid: row for row in rows}
        return [index.get(key) for key in keys]
