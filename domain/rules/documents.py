"""Brazilian tax documents: CPF (persons, 11 digits) and CNPJ (companies, 14 characters).

Both end in two check digits computed modulo 11 over the characters before them. Since July 2026
the Receita Federal also issues alphanumeric CNPJs (IN RFB 2.229/2024): 12 characters of A-Z or
0-9, then the two numeric check digits, each character worth its ASCII code minus 48 (so the
digits keep their values and 'A' is 17). The CNPJ arithmetic is python-stdnum's (`stdnum.br.cnpj`,
which implements the new rule; ADR 0160); this module only adds what our storage needs: ASCII
only, never the repeated characters no one is issued. Documents are stored normalised (no
punctuation, upper case); `normalize_document` strips the usual punctuation (529.982.247-25,
11.222.333/0001-81, 12.ABC.345/01DE-35) before any check.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from stdnum.br import cnpj as stdnum_cnpj

from domain.i18n import _

CPF_LENGTH = 11
CNPJ_LENGTH = 14

_PUNCTUATION = str.maketrans("", "", ".-/")
# Twelve characters of A-Z or 0-9 and two check digits, ASCII only (`\d` would take any script's).
_CNPJ = re.compile(r"[0-9A-Z]{12}[0-9]{2}", re.ASCII)
_CNPJ_BASE = re.compile(r"[0-9A-Z]{12}", re.ASCII)


def _check_digit(digits: str, weights: tuple[int, ...] | range) -> str:
    """One modulo-11 check digit: 0 when the remainder is below 2, else 11 minus it."""
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def _require_digits(value: str, length: int, what: str) -> None:
    # isdecimal() alone would accept other scripts' digits (e.g. Arabic-Indic); only ASCII counts.
    if len(value) != length or not (value.isascii() and value.isdigit()):
        raise ValueError(
            _(
                "{what} must be exactly {length} ASCII digits, got {value!r}",
                what=what,
                length=length,
                value=value,
            )
        )


def normalize_document(doc: str) -> str:
    """`doc` without dots, dashes, slashes and surrounding blanks, in upper case:
    '529.982.247-25' → '52998224725', '12.abc.345/01de-35' → '12ABC34501DE35'.

    Anything else (inner spaces, other symbols) is kept, so that a malformed document stays
    invalid.
    """
    return doc.strip().translate(_PUNCTUATION).upper()


def cpf_check_digits(base9: str) -> str:
    """The two check digits of a CPF whose first nine digits are `base9`."""
    _require_digits(base9, 9, _("a CPF base"))
    first = _check_digit(base9, range(10, 1, -1))
    second = _check_digit(base9 + first, range(11, 1, -1))
    return first + second


def cnpj_check_digits(base12: str) -> str:
    """The two check digits of a CNPJ whose first twelve characters (A-Z, 0-9) are `base12`."""
    if not _CNPJ_BASE.fullmatch(base12):
        raise ValueError(
            _("a CNPJ base must be exactly 12 of A-Z and 0-9, got {base12!r}", base12=base12)
        )
    return str(stdnum_cnpj.calc_check_digits(base12))


def _is_valid(doc: str, length: int, check_digits: Callable[[str], str]) -> bool:
    digits = normalize_document(doc)
    if len(digits) != length:
        return False
    if length == CNPJ_LENGTH:
        if not _CNPJ.fullmatch(digits):
            return False
    elif not (digits.isascii() and digits.isdigit()):
        return False
    # Repeated digits (000.000.000-00, 11111111111...) pass the arithmetic but are never issued.
    if len(set(digits)) == 1:
        return False
    return digits[-2:] == check_digits(digits[:-2])


def is_valid_cpf(doc: str) -> bool:
    """Whether `doc` (punctuated or not) is a CPF with correct check digits."""
    return _is_valid(doc, CPF_LENGTH, cpf_check_digits)


def is_valid_cnpj(doc: str) -> bool:
    """Whether `doc` (punctuated or not, numeric or alphanumeric) is a CNPJ with correct check
    digits."""
    return _is_valid(doc, CNPJ_LENGTH, cnpj_check_digits)


def generate_cpf(rng: random.Random) -> str:
    """A random valid CPF, digit-only, drawn from `rng` (never one of repeated digits)."""
    while True:
        base = "".join(str(rng.randrange(10)) for __ in range(9))
        if len(set(base)) > 1:
            return base + cpf_check_digits(base)


def generate_cnpj(rng: random.Random) -> str:
    """A random valid CNPJ, digit-only, drawn from `rng`: an 8-digit root and branch 0001."""
    while True:
        root = "".join(str(rng.randrange(10)) for __ in range(8))
        if len(set(root)) > 1:
            base = root + "0001"  # the head office; branches count up from 0002
            return base + cnpj_check_digits(base)
