"""The registration rules (regras de cadastro, manual 001 §5 Obs4): conditions on a customer's
registration that the ISP configures. `addPlan` refuses with the first one the customer fails;
createCustomer and updateCustomer return every failed one as an alert (the manual's alert
screen), so the clerk can complete the registration before the plan is finalized.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import Customer
from domain.models.enums import CustomerKind, RegistrationCondition
from domain.reads import plans as reads
from domain.rules.documents import is_valid_cnpj, is_valid_cpf


@dataclass(frozen=True)
class RegistrationAlert:
    """A registration rule the customer fails: its condition, name and the ISP's message."""

    condition: RegistrationCondition
    rule: str
    message: str


async def _holds(
    session: AsyncSession, condition: RegistrationCondition, customer: Customer, today: dt.date
) -> bool:
    if condition is RegistrationCondition.CUSTOMER_HAS_CPF:
        # A rule about CPFs says nothing about companies, which have a CNPJ instead.
        return customer.kind is not CustomerKind.PERSON or is_valid_cpf(customer.document)
    if condition is RegistrationCondition.CUSTOMER_HAS_CNPJ:
        return customer.kind is not CustomerKind.COMPANY or is_valid_cnpj(customer.document)
    if condition is RegistrationCondition.CUSTOMER_HAS_EMAIL:
        return bool((customer.email or "").strip())
    if condition is RegistrationCondition.CUSTOMER_HAS_PHONE:
        return bool((customer.phone or "").strip() or (customer.mobile_phone or "").strip())
    if condition is RegistrationCondition.CUSTOMER_HAS_CONTACT:
        return await reads.contact_count(session, customer.id) > 0
    if condition is RegistrationCondition.NO_OVERDUE_RECEIVABLES:
        return not await reads.customer_has_overdue(session, customer.id, today)
    return False  # a condition this gateway does not know yet fails, rather than passes


async def failed_rules(
    session: AsyncSession, customer: Customer, today: dt.date, *, first_only: bool = False
) -> list[RegistrationAlert]:
    """The active rules `customer` fails, in the rules' order (only the first with
    `first_only`). The customer's rows must be flushed: the contact rule counts them."""
    alerts = []
    for rule in await reads.active_registration_rules(session):
        if not await _holds(session, rule.condition, customer, today):
            alerts.append(
                RegistrationAlert(
                    condition=rule.condition, rule=rule.name, message=f"{rule.name}: {rule.message}"
                )
            )
            if first_only:
                break
    return alerts
