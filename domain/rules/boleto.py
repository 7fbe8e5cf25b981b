"""The boleto's barcode and digitable line, per the FEBRABAN layout (bloqueto de cobrança).

Barcode (44 digits): bank (3), currency "9" (1), general check digit (1, modulo 11), due-date
factor (4), amount in cents (10), free field (25, the bank's own). The digitable line splits it
into five fields: the first three carry the bank, currency and free field, each closed by a
modulo-10 check digit; the fourth is the general check digit; the fifth the factor and amount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from domain.i18n import _

CURRENCY_REAL = "9"
FACTOR_BASE = dt.date(1997, 10, 7)
# The factor has four digits: after 9999 (2025-02-21) it starts again at 1000 (FEBRABAN 2025).
FACTOR_RESTART = dt.date(2025, 2, 22)


def modulo10(digits: str) -> str:
    """The check digit of a digitable-line field: weights 2,1,2,... from the right, products'
    digits summed; 10 minus the remainder (0 when the remainder is 0)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def modulo11(digits: str) -> str:
    """The barcode's general check digit: weights 2..9 from the right, 11 minus the remainder;
    0, 10 and 11 become 1 (a barcode's check digit is never 0)."""
    total = sum(int(char) * (2 + position % 8) for position, char in enumerate(reversed(digits)))
    digit = 11 - total % 11
    return "1" if digit in (0, 10, 11) else str(digit)


def due_factor(due: dt.date) -> str:
    """Days from the base date, four digits, restarting at 1000 after 9999."""
    if due >= FACTOR_RESTART:
        return f"{1000 + (due - FACTOR_RESTART).days % 9000:04d}"
    days = (due - FACTOR_BASE).days
    if days < 1000:
        raise ValueError(_("a boleto cannot fall due on {due}", due=due))
    return f"{days:04d}"


def free_field(our_number: str) -> str:
    """The 25-digit free field: this ISP's layout is the nosso número, zero-padded (ADR 0091)."""
    digits = "".join(ch for ch in our_number if ch.isdigit())
    if len(digits) != len(our_number) or not 0 < len(digits) <= 25:
        raise ValueError(_("the nosso número must be 1 to 25 digits"))
    return digits.zfill(25)


def our_number_of(receivable_id: int, sequence: int) -> str:
    """The nosso número of a receivable's n-th boleto: "9", the receivable, the sequence.

    The leading 9 keeps it apart from numbers issued before (a plain sequence).
    """
    return f"9{receivable_id:014d}{sequence % 100:02d}"


@dataclass(frozen=True)
class Slip:
    barcode: str
    digitable_line: str


def slip(bank_code: str, due: dt.date, amount: Decimal, our_number: str) -> Slip:
    """The barcode and the formatted digitable line of one boleto."""
    if len(bank_code) != 3 or not bank_code.isdigit():
        raise ValueError(_("a bank code has three digits"))
    cents = int((amount * 100).to_integral_value())
    if not 0 <= cents < 10**10:
        raise ValueError(_("the amount does not fit a boleto"))
    free = free_field(our_number)
    tail = f"{due_factor(due)}{cents:010d}"
    without_dv = f"{bank_code}{CURRENCY_REAL}{tail}{free}"
    general = modulo11(without_dv)
    barcode = f"{bank_code}{CURRENCY_REAL}{general}{tail}{free}"
    field1 = f"{bank_code}{CURRENCY_REAL}{free[:5]}"
    field2, field3 = free[5:15], free[15:25]
    parts = [field1 + modulo10(field1), field2 + modulo10(field2), field3 + modulo10(field3)]
    formatted = [f"{part[:5]}.{part[5:]}" for part in parts]
    line = f"{formatted[0]} {formatted[1]} {formatted[2]} {general} {tail}"
    return Slip(barcode=barcode, digitable_line=line)


def barcode_of_line(line: str) -> str:
    """The barcode a digitable line encodes (what a bank's teller does), checking its digits."""
    digits = "".join(ch for ch in line if ch.isdigit())
    if len(digits) != 47:
        raise ValueError(_("a digitable line has 47 digits"))
    fields = (digits[0:10], digits[10:21], digits[21:32])
    for field in fields:
        if modulo10(field[:-1]) != field[-1]:
            raise ValueError(_("a field's check digit does not match"))
    free = fields[0][4:9] + fields[1][:10] + fields[2][:10]
    barcode = digits[0:4] + digits[32] + digits[33:47] + free
    if modulo11(barcode[:4] + barcode[5:]) != barcode[4]:
        raise ValueError(_("the general check digit does not match"))
    return barcode
