"""Password strength by the passwordmeter rules (each addition and deduction), generation and
hashing. Expected figures are worked out by hand from the rules in domain/rules/passwords.py."""

from __future__ import annotations

import pytest

from domain import credentials
from domain.rules.passwords import Band, Rule, band_of, generate, strength

R = Rule

# password -> (score, {rule: (count, points)}) with every rule that applies.
CASES: list[tuple[str, int, dict[Rule, tuple[int, int]]]] = [
    # Length alone (+4 each), and the letters-only deduction (-1 each).
    ("a", 3, {R.LENGTH: (1, 4), R.LETTERS_ONLY: (1, -1)}),
    # Upper and lower: +2 for each character that is not of that case.
    (
        "Ab",
        10,
        {R.LENGTH: (2, 8), R.UPPERCASE: (1, 2), R.LOWERCASE: (1, 2), R.LETTERS_ONLY: (2, -2)},
    ),
    # Digits: +4 each (a last digit is not a middle one).
    ("a1", 14, {R.LENGTH: (2, 8), R.LOWERCASE: (1, 2), R.NUMBERS: (1, 4)}),
    # Symbols: +6 each.
    ("a!", 16, {R.LENGTH: (2, 8), R.LOWERCASE: (1, 2), R.SYMBOLS: (1, 6)}),
    # A digit in the middle: +2 more.
    (
        "a1b",
        20,
        {
            R.LENGTH: (3, 12),
            R.LOWERCASE: (2, 2),
            R.NUMBERS: (1, 4),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (1, 2),
        },
    ),
    # Requirements met (8+ characters, all four classes: 5 items): +2 per item.
    (
        "Qwerty1!",
        66,
        {
            R.LENGTH: (8, 32),
            R.UPPERCASE: (1, 14),
            R.LOWERCASE: (5, 6),
            R.NUMBERS: (1, 4),
            R.SYMBOLS: (1, 6),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (1, 2),
            R.REQUIREMENTS: (5, 10),
            R.CONSECUTIVE_LOWERCASE: (4, -8),
        },
    ),
    # Seven characters: every class but too short, so no requirements bonus.
    (
        "Qwert1!",
        52,
        {
            R.LENGTH: (7, 28),
            R.UPPERCASE: (1, 12),
            R.LOWERCASE: (4, 6),
            R.NUMBERS: (1, 4),
            R.SYMBOLS: (1, 6),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (1, 2),
            R.CONSECUTIVE_LOWERCASE: (3, -6),
        },
    ),
    # Letters only, consecutive lower-case letters (-2 per adjacent pair).
    (
        "Zebra",
        19,
        {
            R.LENGTH: (5, 20),
            R.UPPERCASE: (1, 8),
            R.LOWERCASE: (4, 2),
            R.LETTERS_ONLY: (5, -5),
            R.CONSECUTIVE_LOWERCASE: (3, -6),
        },
    ),
    # Numbers only: no digit bonus, -1 per character, consecutive digits.
    (
        "1357",
        10,
        {
            R.LENGTH: (4, 16),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (2, 4),
            R.NUMBERS_ONLY: (4, -4),
            R.CONSECUTIVE_NUMBERS: (3, -6),
        },
    ),
    # Repeated characters: the proximity-weighted deduction (ceil(1.5/2)=1, then ceil(2.5/1)=3).
    (
        "a1a",
        17,
        {
            R.LENGTH: (3, 12),
            R.LOWERCASE: (2, 2),
            R.NUMBERS: (1, 4),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (1, 2),
            R.REPEAT_CHARACTERS: (2, -3),
        },
    ),
    (
        "AB1",
        16,
        {
            R.LENGTH: (3, 12),
            R.UPPERCASE: (2, 2),
            R.NUMBERS: (1, 4),
            R.CONSECUTIVE_UPPERCASE: (1, -2),
        },
    ),
    (
        "ab1",
        16,
        {
            R.LENGTH: (3, 12),
            R.LOWERCASE: (2, 2),
            R.NUMBERS: (1, 4),
            R.CONSECUTIVE_LOWERCASE: (1, -2),
        },
    ),
    (
        "a13",
        24,
        {
            R.LENGTH: (3, 12),
            R.LOWERCASE: (1, 4),
            R.NUMBERS: (2, 8),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (1, 2),
            R.CONSECUTIVE_NUMBERS: (1, -2),
        },
    ),
    # A reversed alphabet run counts as sequential letters (-3 per run).
    (
        "Xcba9",
        29,
        {
            R.LENGTH: (5, 20),
            R.UPPERCASE: (1, 8),
            R.LOWERCASE: (3, 4),
            R.NUMBERS: (1, 4),
            R.CONSECUTIVE_LOWERCASE: (2, -4),
            R.SEQUENTIAL_LETTERS: (1, -3),
        },
    ),
    # The meter's runs stop at "wxy": "xyz" is not sequential.
    (
        "Qxyz9",
        32,
        {
            R.LENGTH: (5, 20),
            R.UPPERCASE: (1, 8),
            R.LOWERCASE: (3, 4),
            R.NUMBERS: (1, 4),
            R.CONSECUTIVE_LOWERCASE: (2, -4),
        },
    ),
    # "123" and "234": two sequential runs of digits.
    (
        "A1234",
        38,
        {
            R.LENGTH: (5, 20),
            R.UPPERCASE: (1, 8),
            R.NUMBERS: (4, 16),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (3, 6),
            R.CONSECUTIVE_NUMBERS: (3, -6),
            R.SEQUENTIAL_NUMBERS: (2, -6),
        },
    ),
    # ...and digit runs stop at "789": "890" is not sequential.
    (
        "A890",
        34,
        {
            R.LENGTH: (4, 16),
            R.UPPERCASE: (1, 6),
            R.NUMBERS: (3, 12),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (2, 4),
            R.CONSECUTIVE_NUMBERS: (2, -4),
        },
    ),
    # The shifted digit row: "!@#" is a sequential symbol run.
    (
        "a!@#",
        41,
        {
            R.LENGTH: (4, 16),
            R.LOWERCASE: (1, 6),
            R.SYMBOLS: (3, 18),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (2, 4),
            R.SEQUENTIAL_SYMBOLS: (1, -3),
        },
    ),
    # "_" is no class at all, and it breaks a run of lower-case letters.
    ("a_b", 11, {R.LENGTH: (3, 12), R.LOWERCASE: (2, 2), R.LETTERS_ONLY: (3, -3)}),
    # Spaces count for length but are removed before the character checks.
    (
        "a b",
        9,
        {
            R.LENGTH: (3, 12),
            R.LOWERCASE: (2, 2),
            R.LETTERS_ONLY: (3, -3),
            R.CONSECUTIVE_LOWERCASE: (1, -2),
        },
    ),
    # Deductions can take the score below zero: it stops at 0.
    (
        "aa",
        0,
        {
            R.LENGTH: (2, 8),
            R.LETTERS_ONLY: (2, -2),
            R.REPEAT_CHARACTERS: (2, -4),
            R.CONSECUTIVE_LOWERCASE: (1, -2),
        },
    ),
    # ...and stops at 100 above it (64+24+24+16+24+14+10 = 176).
    (
        "Xk9#mP2$vL7!qR4&",
        100,
        {
            R.LENGTH: (16, 64),
            R.UPPERCASE: (4, 24),
            R.LOWERCASE: (4, 24),
            R.NUMBERS: (4, 16),
            R.SYMBOLS: (4, 24),
            R.MIDDLE_NUMBERS_OR_SYMBOLS: (7, 14),
            R.REQUIREMENTS: (5, 10),
        },
    ),
]


@pytest.mark.parametrize(("password", "score", "rules"), CASES, ids=[c[0] for c in CASES])
def test_every_addition_and_deduction(
    password: str, score: int, rules: dict[Rule, tuple[int, int]]
) -> None:
    result = strength(password)
    assert {r.rule: (r.count, r.points) for r in result.rules} == rules
    assert result.score == score
    assert result.band is band_of(score)


def test_every_rule_is_covered_by_a_case() -> None:
    covered = {rule for _, _, rules in CASES for rule in rules} | {Rule.EQUALS_LOGIN_OR_EMAIL}
    assert covered == set(Rule)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, Band.VERY_WEAK),
        (19, Band.VERY_WEAK),
        (20, Band.WEAK),
        (39, Band.WEAK),
        (40, Band.GOOD),
        (59, Band.GOOD),
        (60, Band.STRONG),
        (79, Band.STRONG),
        (80, Band.VERY_STRONG),
        (100, Band.VERY_STRONG),
    ],
)
def test_bands_of_the_manual(score: int, band: Band) -> None:
    assert band_of(score) is band


def test_requirements_need_eight_characters_and_three_classes() -> None:
    assert strength("Qwerty1!").requirements_met
    assert strength("qwerty1!").requirements_met  # 8 chars, 3 classes
    assert not strength("qwertyu1").requirements_met  # 8 chars, 2 classes
    assert not strength("Qwert1!").requirements_met  # 4 classes, 7 chars


@pytest.mark.parametrize(
    ("password", "login", "email"),
    [
        ("joao.silva", "joao.silva", None),
        ("Joao.Silva", "joao.silva", None),  # case does not make it different
        ("maria@provedor.net.br", None, "maria@provedor.net.br"),
        ("maria", None, "maria@provedor.net.br"),  # the mailbox's own name
    ],
)
def test_equal_to_login_or_email_scores_zero(
    password: str, login: str | None, email: str | None
) -> None:
    result = strength(password, login=login, email=email)
    assert result.score == 0 and result.band is Band.VERY_WEAK
    assert [r.rule for r in result.rules] == [Rule.EQUALS_LOGIN_OR_EMAIL]
    # The same password with nothing to compare scores by the rules again.
    assert strength(password).score > 0


def test_empty_password_scores_zero() -> None:
    assert strength("").score == 0 and strength("").rules == ()


def test_generated_passwords_are_very_strong_and_different() -> None:
    drawn = {generate() for _ in range(20)}
    assert len(drawn) == 20
    for password in drawn:
        assert len(password) == 12
        assert strength(password).band is Band.VERY_STRONG
        assert not set(password) & set("IOl01")
    assert len(generate(8)) == 8 and len(generate(64)) == 64
    for wrong in (7, 65):
        with pytest.raises(ValueError, match="between 8 and 64"):
            generate(wrong)


def test_hashes_are_argon2id_salted_and_verified() -> None:
    first = credentials.hash_password("S3nha!forte")
    second = credentials.hash_password("S3nha!forte")
    assert first.startswith("$argon2id$") and first != second  # salted
    assert "S3nha!forte" not in first
    assert credentials.verify_password(first, "S3nha!forte")
    assert not credentials.verify_password(first, "s3nha!forte")
    assert not credentials.needs_rehash(first)


def test_seed_placeholders_match_no_password() -> None:
    placeholder = f"{credentials.PLACEHOLDER_PREFIX}0123456789abcdef"
    assert not credentials.verify_password(placeholder, "")
    assert not credentials.verify_password(placeholder, placeholder)
    assert not credentials.verify_password("not-a-hash", "not-a-hash")
    assert credentials.needs_rehash(placeholder)
