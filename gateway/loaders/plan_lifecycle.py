"""Loaders of the plan lifecycle's own relations."""

from __future__ import annotations

from domain import models as m
from gateway.loaders.base import ManyByKeyLoader


class DueDateChangesByPlanIdLoader(ManyByKeyLoader[m.DueDateChange]):
    model, column = m.DueDateChange, "plan_id"
