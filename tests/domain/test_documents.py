"""CPF and CNPJ check digits, validation, normalization and generation."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.rules.documents import (
    cnpj_check_digits,
    cpf_check_digits,
    generate_cnpj,
    generate_cpf,
    is_valid_cnpj,
    is_valid_cpf,
    normalize_document,
)


@pytest.mark.parametrize(
    ("base9", "expected"),
    [
        ("529982247", "25"),
        ("111444777", "35"),
        ("123456789", "09"),
        ("935411347", "80"),
        ("000000001", "91"),
    ],
)
def test_cpf_check_digits(base9: str, expected: str) -> None:
    assert cpf_check_digits(base9) == expected


@pytest.mark.parametrize(
    ("base12", "expected"),
    [
        ("112223330001", "81"),
        ("114447770001", "61"),
        ("000000000001", "91"),  # Banco do Brasil's head office
        ("003603050001", "04"),  # Caixa Econômica Federal
        ("607469480001", "12"),  # Bradesco
    ],
)
def test_cnpj_check_digits(base12: str, expected: str) -> None:
    assert cnpj_check_digits(base12) == expected


@pytest.mark.parametrize(
    ("doc", "valid"),
    [
        ("529.982.247-25", True),
        ("52998224725", True),
        (" 529.982.247-25 ", True),
        ("111.444.777-35", True),
        ("123.456.789-09", True),
        ("529.982.247-26", False),  # second check digit off by one
        ("529.982.247-15", False),  # first check digit off by one
        ("52998224", False),  # too short
        ("529982247250", False),  # too long
        ("5299822472a", False),
        ("529 982 247 25", False),  # inner blanks are not punctuation
        ("00000000000", False),
        ("11111111111", False),  # repeated digits pass the arithmetic but are never issued
        ("999.999.999-99", False),
        ("", False),
        ("11.222.333/0001-81", False),  # a CNPJ is not a CPF
        ("٥٢٩٩٨٢٢٤٧٢٥", False),  # Arabic-Indic digits are digits, but not ASCII ones
    ],
)
def test_is_valid_cpf(doc: str, valid: bool) -> None:
    assert is_valid_cpf(doc) is valid


@pytest.mark.parametrize(
    ("doc", "valid"),
    [
        ("11.222.333/0001-81", True),
        ("11222333000181", True),
        ("11.444.777/0001-61", True),
        ("00.360.305/0001-04", True),
        ("00.000.000/0001-91", True),
        ("11.222.333/0001-82", False),
        ("11.222.333/0001-71", False),
        ("1122233300018", False),
        ("112223330001810", False),
        ("11222333000l81", False),
        ("00000000000000", False),
        ("11111111111111", False),
        ("", False),
        ("529.982.247-25", False),  # a CPF is not a CNPJ
        # The alphanumeric CNPJ issued since July 2026 (the Receita Federal's own example).
        ("12.ABC.345/01DE-35", True),
        ("12ABC34501DE35", True),
        ("12.abc.345/01de-35", True),  # stored upper case, typed in any case
        ("12.ABC.345/01DE-36", False),
        ("12.ABC.345/01DF-35", False),  # one letter changed
        ("12.ABC.345/01DE-3A", False),  # the check digits stay numeric
        ("12.ÁBC.345/01DE-35", False),  # letters are A-Z only
        ("12 ABC 345 01DE 35", False),
        ("AAAAAAAAAAAA00", False),
    ],
)
def test_is_valid_cnpj(doc: str, valid: bool) -> None:
    assert is_valid_cnpj(doc) is valid


@pytest.mark.parametrize(
    ("doc", "normalized"),
    [
        ("529.982.247-25", "52998224725"),
        ("11.222.333/0001-81", "11222333000181"),
        ("  52998224725\n", "52998224725"),
        ("abc", "ABC"),
        ("12.abc.345/01de-35", "12ABC34501DE35"),
        ("", ""),
    ],
)
def test_normalize_document(doc: str, normalized: str) -> None:
    assert normalize_document(doc) == normalized


@pytest.mark.parametrize("bad", ["", "12345678", "1234567890", "12345678a", "١٢٣٤٥٦٧٨٩"])
def test_cpf_check_digits_rejects_bad_base(bad: str) -> None:
    with pytest.raises(ValueError):
        cpf_check_digits(bad)


@pytest.mark.parametrize(
    ("base12", "expected"),
    [
        ("12ABC34501DE", "35"),  # the Receita Federal's example
        ("112223330001", "81"),  # a numeric CNPJ keeps its check digits
    ],
)
def test_alphanumeric_cnpj_check_digits(base12: str, expected: str) -> None:
    assert cnpj_check_digits(base12) == expected


def _by_hand(base: str) -> str:
    """The rule as the Receita Federal states it: values ASCII - 48, weights 2..9 from the right,
    remainder mod 11, 0 when below 2 else 11 minus it."""
    for _ in range(2):
        weights = [2 + i % 8 for i in range(len(base))][::-1]
        remainder = sum((ord(c) - 48) * w for c, w in zip(base, weights, strict=True)) % 11
        base += "0" if remainder < 2 else str(11 - remainder)
    return base[-2:]


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=12))
def test_alphanumeric_cnpj_follows_the_published_rule(base12: str) -> None:
    assert cnpj_check_digits(base12) == _by_hand(base12)
    if base12 != "000000000000" and len(set(base12)) > 1:
        assert is_valid_cnpj(base12 + _by_hand(base12))


@pytest.mark.parametrize(
    "bad", ["", "11222333000", "1122233300011", "11222333000a", "١١٢٢٢٣٣٣٠٠٠١"]
)
def test_cnpj_check_digits_rejects_bad_base(bad: str) -> None:
    with pytest.raises(ValueError):
        cnpj_check_digits(bad)


@given(st.integers(min_value=0, max_value=2**64))
def test_generated_cpf_validates(seed: int) -> None:
    cpf = generate_cpf(random.Random(seed))
    assert len(cpf) == 11 and cpf.isdigit()
    assert is_valid_cpf(cpf)
    assert not is_valid_cnpj(cpf)


@given(st.integers(min_value=0, max_value=2**64))
def test_generated_cnpj_validates(seed: int) -> None:
    cnpj = generate_cnpj(random.Random(seed))
    assert len(cnpj) == 14 and cnpj.isdigit()
    assert is_valid_cnpj(cnpj)
    assert not is_valid_cpf(cnpj)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_any_cpf_base_with_its_check_digits_validates_unless_repeated(base9: str) -> None:
    assert is_valid_cpf(base9 + cpf_check_digits(base9)) is (len(set(base9)) > 1)


@given(
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.integers(min_value=1, max_value=9),
    st.integers(min_value=9, max_value=10),
)
def test_changing_one_check_digit_invalidates_a_cpf(base9: str, delta: int, position: int) -> None:
    cpf = base9 + cpf_check_digits(base9)
    altered = cpf[:position] + str((int(cpf[position]) + delta) % 10) + cpf[position + 1 :]
    assert not is_valid_cpf(altered)


def test_generation_is_deterministic_for_a_seed() -> None:
    first = [generate_cpf(random.Random(42)), generate_cnpj(random.Random(42))]
    second = [generate_cpf(random.Random(42)), generate_cnpj(random.Random(42))]
    assert first == second
