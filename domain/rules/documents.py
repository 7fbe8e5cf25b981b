"""Brazilian tax documents: CPF (persons, 11 digits) and CNPJ (companies, 14 digits).

Both end in two check digits computed modulo 11 over the digits before them. Documents are stored
digit-only; `normalize_document` strips the usual punctuation (529.982.247-25,
11.222.333/0001-81) before any check.
"""

from __future__ import annotations

import random
from collections.abc import Callable

CPF_LENGTH = 11
CNPJ_LENGTH = 14

# Weights of the CNPJ's first check digit; the second one prepends a 6 to them.
_CNPJ_WEIGHTS = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_PUNCTUATION = str.maketrans("", "", ".-/")


def _check_digit(digits: str, weights: tuple[int, ...] | range) -> str:
    """One modulo-11 check digit: 0 when the remainder is below 2, else 11 minus it."""
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def _require_digits(value: str, length: int, what: str) -> None:
    # isdecimal() alone would accept other scripts' digits (e.g. Arabic-Indic); only ASCII counts.
    if len(value) != length or not (value.isascii() and value.isdigit()):
        raise ValueError(f"{what} must be exactly {length} ASCII digits, got {value!r}")


def normalize_document(doc: str) -> str:
    """`doc` without dots, dashes, slashes and surrounding blanks: '529.982.247-25' → '52998224725'.

    Anything else (letters, inner spaces) is kept, so that a malformed document stays invalid.
    """
    return doc.strip().translate(_PUNCTUATION)


def cpf_check_digits(base9: str) -> str:
    """The two check digits of a CPF whose first nine digits are `base9`."""
    _require_digits(base9, 9, "a CPF base")
    first = _check_digit(base9, range(10, 1, -1))
    second = _check_digit(base9 + first, range(11, 1, -1))
    return first + second


def cnpj_check_digits(base12: str) -> str:
    """The two check digits of a CNPJ whose first twelve digits are `base12`."""
    _require_digits(base12, 12, "a CNPJ base")
    first = _check_digit(base12, _CNPJ_WEIGHTS)
    second = _check_digit(base12 + first, (6, *_CNPJ_WEIGHTS))
    return first + second


def _is_valid(doc: str, length: int, check_digits: Callable[[str], str]) -> bool:
    digits = normalize_document(doc)
    if len(digits) != length or not (digits.isascii() and digits.isdigit()):
        return False
    # Repeated digits (000.000.000-00, 11111111111...) pass the arithmetic but are never issued.
    if len(set(digits)) == 1:
        return False
    return digits[-2:] == check_digits(digits[:-2])


def is_valid_cpf(doc: str) -> bool:
    """Whether `doc` (punctuated or not) is a CPF with correct check digits."""
    return _is_valid(doc, CPF_LENGTH, cpf_check_digits)


def is_valid_cnpj(doc: str) -> bool:
    """Whether `doc` (punctuated or not) is a CNPJ with correct check digits."""
    return _is_valid(doc, CNPJ_LENGTH, cnpj_check_digits)


def generate_cpf(rng: random.Random) -> str:
    """A random valid CPF, digit-only, drawn from `rng` (never one of repeated digits)."""
    while True:
        base = "".join(str(rng.randrange(10)) for _ in range(9))
        if len(set(base)) > 1:
            return base + cpf_check_digits(base)


def generate_cnpj(rng: random.Random) -> str:
    """A random valid CNPJ, digit-only, drawn from `rng`: an 8-digit root and branch 0001."""
    while True:
        root = "".join(str(rng.randrange(10)) for _ in range(8))
        if len(set(root)) > 1:
            base = root + "0001"  # the head office; branches count up from 0002
            return base + cnpj_check_digits(base)
