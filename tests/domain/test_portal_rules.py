"""The boleto's FEBRABAN digits and the minute franchise's balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from domain.models.enums import CallTermination as T
from domain.models.enums import FranchiseCategory as C
from domain.rules import boleto, franchise


def test_modulo10_and_modulo11_by_hand() -> None:
    # 3*2=6, 2*1=2, 1*2=2 -> 10 -> 0; 9*2=18 -> 1+8=9 -> 1.
    assert boleto.modulo10("123") == "0"
    assert boleto.modulo10("9") == "1"
    # 1*2 + 2*3 + ... + 9*2 (weights wrap after 9): the remainder decides.
    digits = "123456789"
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(digits)))
    expected = 11 - total % 11
    assert boleto.modulo11(digits) == ("1" if expected in (0, 10, 11) else str(expected))
    assert boleto.modulo11("0" * 43) == "1"  # remainder 0 -> 11 -> 1, never 0


def test_due_factor_restarts_at_1000_after_9999() -> None:
    assert boleto.due_factor(dt.date(2000, 7, 3)) == "1000"
    assert boleto.due_factor(dt.date(2025, 2, 21)) == "9999"
    assert boleto.due_factor(dt.date(2025, 2, 22)) == "1000"
    assert boleto.due_factor(dt.date(2025, 2, 23)) == "1001"


def test_slip_round_trips_through_its_digitable_line() -> None:
    slip = boleto.slip("001", dt.date(2026, 12, 10), Decimal("49.90"), "90000000000001201")
    assert len(slip.barcode) == 44 and slip.barcode[:4] == "0019"
    assert slip.barcode[9:19] == "0000004990"
    assert boleto.barcode_of_line(slip.digitable_line) == slip.barcode
    first, second, third, general, tail = slip.digitable_line.split(" ")
    assert (len(first), len(second), len(third), general, len(tail)) == (
        11,
        12,
        12,
        slip.barcode[4],
        14,
    )
    broken = slip.digitable_line.replace(first, first[:-1] + str((int(first[-1]) + 1) % 10))
    with pytest.raises(ValueError):
        boleto.barcode_of_line(broken)


def test_ldn_consumes_the_local_franchise_after_its_own() -> None:
    used = franchise.used_minutes(
        [(T.FIXED_LOCAL, 30 * 60), (T.FIXED_LONG_DISTANCE, 50 * 60 + 1), (T.MOBILE_LOCAL, 61)]
    )
    assert used[C.FIXED_LOCAL] == 30 and used[C.FIXED_LDN] == 51 and used[C.MOBILE_LOCAL] == 2
    grants = {
        C.FIXED_LOCAL: franchise.Grant(100),
        C.FIXED_LDN: franchise.Grant(20, consumes_local=True),
        C.MOBILE_LOCAL: franchise.Grant(1),
    }
    by = {b.category: b for b in franchise.balances(grants, used)}
    assert (by[C.FIXED_LDN].remaining, by[C.FIXED_LDN].from_local) == (0, 31)
    assert (by[C.FIXED_LOCAL].remaining, by[C.FIXED_LOCAL].taken_by_ldn) == (100 - 30 - 31, 31)
    assert (by[C.MOBILE_LOCAL].remaining, by[C.MOBILE_LOCAL].exceeding) == (0, 1)
    # Without the option, LDN's overflow is simply exceeding.
    grants[C.FIXED_LDN] = franchise.Grant(20)
    by = {b.category: b for b in franchise.balances(grants, used)}
    assert by[C.FIXED_LDN].exceeding == 31 and by[C.FIXED_LOCAL].remaining == 70
