"""Pure service rules: names and numbers, generated logins, pool addresses, extra-service dates
and installments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from domain.models.enums import BillingType, StartDateRule
from domain.rules import extra_services as extra
from domain.rules import services as rules


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Joao.Silva", "joao.silva"), (" maria_2 ", "maria_2"), ("a", "a"), ("x-1.y", "x-1.y")],
)
def test_logins_are_lower_cased(raw: str, expected: str) -> None:
    assert rules.login(raw) == expected


@pytest.mark.parametrize("raw", ["", ".joao", "joao.", "jo..ao", "joão", "a b", "x" * 65, "a@b"])
def test_bad_logins_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        rules.login(raw)


def test_domain_names() -> None:
    assert rules.domain_name(" Exemplo.COM.br. ") == "exemplo.com.br"
    for bad in ("localhost", "-a.com", "a_b.com", "10.0.0.1", "a..com", ""):
        with pytest.raises(ValueError):
            rules.domain_name(bad)


def test_phone_numbers_serials_and_text() -> None:
    assert rules.phone_number("+55 (11) 3333-4444") == "+551133334444"
    assert rules.phone_number("5511912345678") == "+5511912345678"
    with pytest.raises(ValueError):
        rules.phone_number("3333-4444")
    assert rules.onu_serial(" fhtt0001abcd ") == "FHTT0001ABCD"
    with pytest.raises(ValueError):
        rules.onu_serial("FH-1")
    assert rules.text("  x ", max_length=3) == "x"
    assert rules.text("   ", max_length=3, required=False) is None
    with pytest.raises(ValueError):
        rules.text("abcd", max_length=3)
    with pytest.raises(ValueError):
        rules.text(" ", max_length=3)


def test_generated_logins_follow_the_pattern_and_avoid_taken_ones() -> None:
    values = rules.login_pattern_values(customer_name="João da Silva", customer_id=7, plan_id=42)
    assert values == {
        "first_name": "joao",
        "last_name": "silva",
        "customer_id": "7",
        "plan_id": "42",
    }
    base = rules.generated_login("{first_name}.{plan_id}", values)
    assert base == "joao.42"
    assert rules.first_free_login(base, set()) == "joao.42"
    assert rules.first_free_login(base, {"joao.42", "joao.42-2"}) == "joao.42-3"
    for pattern in ("{nickname}.{plan_id}", "{0}", "..{plan_id}", ""):
        with pytest.raises(ValueError, match="pattern"):
            rules.generated_login(pattern, values)


def test_next_free_address_skips_gateway_and_held() -> None:
    assert rules.next_free_address("10.0.0.0/29", "10.0.0.1", []) == "10.0.0.2"
    assert rules.next_free_address("10.0.0.0/29", "10.0.0.1", ["10.0.0.2", "10.0.0.4"]) == (
        "10.0.0.3"
    )
    # /30: hosts .1 and .2, .1 is the gateway.
    assert rules.next_free_address("10.0.0.0/30", "10.0.0.1", ["10.0.0.2"]) is None
    assert rules.next_free_address("2001:db8::/126", None, []) == "2001:db8::1"


def test_requested_pool_addresses() -> None:
    assert rules.pool_address(" 10.0.0.5 ", "10.0.0.0/29", "10.0.0.1") == "10.0.0.5"
    for bad, message in (
        ("10.0.1.5", "not in"),
        ("10.0.0.1", "gateway"),
        ("10.0.0.0", "network"),
        ("10.0.0.7", "broadcast"),
        ("ten", "must be an IP"),
    ):
        with pytest.raises(ValueError, match=message):
            rules.pool_address(bad, "10.0.0.0/29", "10.0.0.1")


@pytest.mark.parametrize(
    ("rule", "today", "due_day", "expected"),
    [
        (StartDateRule.TODAY, dt.date(2026, 3, 14), 10, dt.date(2026, 3, 14)),
        (StartDateRule.NEXT_DUE_DATE, dt.date(2026, 3, 14), 20, dt.date(2026, 3, 20)),
        (StartDateRule.NEXT_DUE_DATE, dt.date(2026, 3, 14), 14, dt.date(2026, 3, 14)),
        (StartDateRule.NEXT_DUE_DATE, dt.date(2026, 12, 20), 5, dt.date(2027, 1, 5)),
        (StartDateRule.FIRST_DAY_NEXT_MONTH, dt.date(2026, 12, 31), 10, dt.date(2027, 1, 1)),
    ],
)
def test_start_date_rules(
    rule: StartDateRule, today: dt.date, due_day: int, expected: dt.date
) -> None:
    assert extra.start_date(rule, today=today, due_day=due_day) == expected


def _charges(value: str, billing: BillingType, count: int, first: dt.date) -> list[tuple]:
    return [
        (c.number, str(c.amount), c.due_date.isoformat())
        for c in extra.installments(
            value=Decimal(value), billing_type=billing, count=count, first_due_date=first
        )
    ]


def test_installments_split_the_total_to_the_cent() -> None:
    assert _charges("100.00", BillingType.INSTALLMENTS, 3, dt.date(2026, 1, 31)) == [
        (1, "33.34", "2026-01-31"),
        (2, "33.33", "2026-02-28"),  # clamped to the month's end...
        (3, "33.33", "2026-03-31"),  # ...but counted from the first date, not the previous
    ]


def test_monthly_charges_the_value_every_month_and_one_time_once() -> None:
    assert _charges("15.00", BillingType.MONTHLY, 2, dt.date(2026, 11, 10)) == [
        (1, "15.00", "2026-11-10"),
        (2, "15.00", "2026-12-10"),
    ]
    assert _charges("80.00", BillingType.ONE_TIME, 1, dt.date(2026, 5, 5)) == [
        (1, "80.00", "2026-05-05")
    ]
    assert _charges("0", BillingType.INSTALLMENTS, 3, dt.date(2026, 5, 5)) == []


@pytest.mark.parametrize(
    ("value", "billing", "count", "message"),
    [
        ("80.00", BillingType.ONE_TIME, 2, "exactly one"),
        ("0.05", BillingType.INSTALLMENTS, 6, "cannot be split"),
        ("10.001", BillingType.MONTHLY, 1, "two decimal"),
        ("-1", BillingType.MONTHLY, 1, "negative"),
        ("10", BillingType.MONTHLY, 0, "between 1 and 60"),
        ("10", BillingType.MONTHLY, 61, "between 1 and 60"),
    ],
)
def test_schedules_that_cannot_be(
    value: str, billing: BillingType, count: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        extra.installments(
            value=Decimal(value), billing_type=billing, count=count, first_due_date=dt.date.today()
        )
