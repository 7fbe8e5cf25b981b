"""Password strength (the passwordmeter.com rules the manuals' meter uses) and generation.

`strength()` is a pure function: the score 0-100, its band and every addition and deduction that
made it, so a client can show the same breakdown as passwordmeter.com. The rules follow that
meter as published, quirks included, so both give the same number for the same password:
- letters, digits and symbols are ASCII classes; anything else (ç, é, spaces inside are
  removed first) counts as a symbol, except `_`, which counts as nothing;
- sequences are the alphabet from "abc" to "wxy" (not "xyz"), the digits "012" to "789" and the
  shifted digit row ")!@" to "&*(", each searched forwards and backwards;
- the requirements bonus needs at least 8 characters and 3 of the 4 classes (upper, lower,
  digits, symbols), i.e. 4 of its 5 items.
A password equal to the login or the e-mail address scores 0 (DOMAIN.md, decided).
"""

from __future__ import annotations

import enum
import math
import re
import secrets
import string
from dataclasses import dataclass

from domain.i18n import _

MIN_LENGTH = 8  # the manuals' recommended minimum, and passwordmeter's
MAX_LENGTH = 128  # long enough for any passphrase; bounds the quadratic repeat check
GENERATED_DEFAULT_LENGTH = 12
GENERATED_MIN_LENGTH = 8
GENERATED_MAX_LENGTH = 64

_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "01234567890"
_SHIFTED_DIGITS = ")!@#$%^&*()"
_WHITESPACE = re.compile(r"\s+")


class Band(enum.Enum):
    """The manual's names for score ranges (muito fraca ... muito forte)."""

    VERY_WEAK = "VERY_WEAK"  # < 20
    WEAK = "WEAK"  # 20-39
    GOOD = "GOOD"  # 40-59
    STRONG = "STRONG"  # 60-79
    VERY_STRONG = "VERY_STRONG"  # >= 80


class Rule(enum.Enum):
    """Each addition (+) and deduction (-) of the meter."""

    LENGTH = "LENGTH"  # + 4 per character
    UPPERCASE = "UPPERCASE"  # + 2 per character that is not an upper-case letter
    LOWERCASE = "LOWERCASE"  # + 2 per character that is not a lower-case letter
    NUMBERS = "NUMBERS"  # + 4 per digit, unless digits only
    SYMBOLS = "SYMBOLS"  # + 6 per symbol
    MIDDLE_NUMBERS_OR_SYMBOLS = "MIDDLE_NUMBERS_OR_SYMBOLS"  # + 2 each, not first or last
    REQUIREMENTS = "REQUIREMENTS"  # + 2 per requirement met, when enough are met
    LETTERS_ONLY = "LETTERS_ONLY"  # - 1 per character
    NUMBERS_ONLY = "NUMBERS_ONLY"  # - 1 per character
    REPEAT_CHARACTERS = "REPEAT_CHARACTERS"  # - a proximity-weighted amount
    CONSECUTIVE_UPPERCASE = "CONSECUTIVE_UPPERCASE"  # - 2 per adjacent pair
    CONSECUTIVE_LOWERCASE = "CONSECUTIVE_LOWERCASE"  # - 2 per adjacent pair
    CONSECUTIVE_NUMBERS = "CONSECUTIVE_NUMBERS"  # - 2 per adjacent pair
    SEQUENTIAL_LETTERS = "SEQUENTIAL_LETTERS"  # - 3 per three-letter run found
    SEQUENTIAL_NUMBERS = "SEQUENTIAL_NUMBERS"  # - 3 per three-digit run found
    SEQUENTIAL_SYMBOLS = "SEQUENTIAL_SYMBOLS"  # - 3 per three-symbol run found
    EQUALS_LOGIN_OR_EMAIL = "EQUALS_LOGIN_OR_EMAIL"  # the whole score becomes 0


@dataclass(frozen=True)
class RuleScore:
    """One rule that applied: how many times it matched and the points it gave or took."""

    rule: Rule
    count: int
    points: int


@dataclass(frozen=True)
class Strength:
    """A password's score (0-100), its band, and the rules that produced it."""

    score: int
    band: Band
    requirements_met: bool
    rules: tuple[RuleScore, ...]


def band_of(score: int) -> Band:
    if score < 20:
        return Band.VERY_WEAK
    if score < 40:
        return Band.WEAK
    if score < 60:
        return Band.GOOD
    if score < 80:
        return Band.STRONG
    return Band.VERY_STRONG


def _class_of(char: str) -> str | None:
    if "A" <= char <= "Z":
        return "upper"
    if "a" <= char <= "z":
        return "lower"
    if "0" <= char <= "9":
        return "digit"
    if char != "_":
        return "symbol"
    return None


def _sequences(lowered: str, source: str, starts: int) -> int:
    found = 0
    for start in range(starts):
        forward = source[start : start + 3]
        if forward in lowered or forward[::-1] in lowered:
            found += 1
    return found


def _repeat_deduction(chars: list[str]) -> tuple[int, int]:
    """(characters that occur more than once, deduction), by the meter's proximity formula."""
    length = len(chars)
    repeated = 0
    increment: float = 0
    for a, char in enumerate(chars):
        exists = False
        for b, other in enumerate(chars):
            if a != b and char == other:
                exists = True
                increment += abs(length / (b - a))
        if exists:
            repeated += 1
            unique = length - repeated
            increment = math.ceil(increment / unique) if unique else math.ceil(increment)
    return repeated, int(increment)


def _is_same_as(password: str, login: str | None, email: str | None) -> bool:
    candidates = set()
    for value in (login, email):
        if value and value.strip():
            candidates.add(value.strip().casefold())
    if email and "@" in email:
        candidates.add(email.strip().split("@", 1)[0].casefold())
    return password.strip().casefold() in candidates


def strength(password: str, *, login: str | None = None, email: str | None = None) -> Strength:
    """The passwordmeter score of `password`; 0 when it equals the login or e-mail (or is empty)."""
    if not password:
        return Strength(0, Band.VERY_WEAK, False, ())
    if _is_same_as(password, login, email):
        return Strength(0, Band.VERY_WEAK, False, (RuleScore(Rule.EQUALS_LOGIN_OR_EMAIL, 1, 0),))

    length = len(password)
    chars = list(_WHITESPACE.sub("", password))
    counted = len(chars)
    counts = {"upper": 0, "lower": 0, "digit": 0, "symbol": 0}
    consecutive = {"upper": 0, "lower": 0, "digit": 0, "symbol": 0}
    middle = 0
    previous_class: str | None = None
    for index, char in enumerate(chars):
        kind = _class_of(char)
        if kind is None:
            previous_class = None
            continue
        counts[kind] += 1
        if kind == previous_class:
            consecutive[kind] += 1
        if kind in ("digit", "symbol") and 0 < index < counted - 1:
            middle += 1
        previous_class = kind
    repeated, repeat_points = _repeat_deduction(chars)
    lowered = password.lower()
    sequential = {
        Rule.SEQUENTIAL_LETTERS: _sequences(lowered, _ALPHABET, 23),
        Rule.SEQUENTIAL_NUMBERS: _sequences(lowered, _DIGITS, 8),
        Rule.SEQUENTIAL_SYMBOLS: _sequences(lowered, _SHIFTED_DIGITS, 8),
    }
    upper, lower, digits, symbols = (counts[k] for k in ("upper", "lower", "digit", "symbol"))

    rules: list[RuleScore] = [RuleScore(Rule.LENGTH, length, length * 4)]
    if 0 < upper < length:
        rules.append(RuleScore(Rule.UPPERCASE, upper, (length - upper) * 2))
    if 0 < lower < length:
        rules.append(RuleScore(Rule.LOWERCASE, lower, (length - lower) * 2))
    if 0 < digits < length:
        rules.append(RuleScore(Rule.NUMBERS, digits, digits * 4))
    if symbols:
        rules.append(RuleScore(Rule.SYMBOLS, symbols, symbols * 6))
    if middle:
        rules.append(RuleScore(Rule.MIDDLE_NUMBERS_OR_SYMBOLS, middle, middle * 2))
    met = sum(1 for n in (upper, lower, digits, symbols) if n > 0) + (length >= MIN_LENGTH)
    requirements_met = met > (3 if length >= MIN_LENGTH else 4)
    if requirements_met:
        rules.append(RuleScore(Rule.REQUIREMENTS, met, met * 2))

    if (upper or lower) and not symbols and not digits:
        rules.append(RuleScore(Rule.LETTERS_ONLY, length, -length))
    if not upper and not lower and not symbols and digits:
        rules.append(RuleScore(Rule.NUMBERS_ONLY, length, -length))
    if repeated:
        rules.append(RuleScore(Rule.REPEAT_CHARACTERS, repeated, -repeat_points))
    for kind, rule in (
        ("upper", Rule.CONSECUTIVE_UPPERCASE),
        ("lower", Rule.CONSECUTIVE_LOWERCASE),
        ("digit", Rule.CONSECUTIVE_NUMBERS),
    ):
        if consecutive[kind]:
            rules.append(RuleScore(rule, consecutive[kind], -2 * consecutive[kind]))
    for rule, found in sequential.items():
        if found:
            rules.append(RuleScore(rule, found, -3 * found))

    score = max(0, min(100, sum(r.points for r in rules)))
    return Strength(score, band_of(score), requirements_met, tuple(rules))


# Symbols that survive configuration files, URLs and being read over the phone.
GENERATED_SYMBOLS = "!@#$%&*+-=?"
_UNAMBIGUOUS_UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
_UNAMBIGUOUS_LOWER = "".join(c for c in string.ascii_lowercase if c not in "l")
_UNAMBIGUOUS_DIGITS = "23456789"


def generate(length: int = GENERATED_DEFAULT_LENGTH) -> str:
    """A random password of `length` (8-64) from the OS's CSPRNG, scoring VERY_STRONG.

    Every class appears at least once and look-alike characters (I, O, l, 0, 1) are left out,
    since these passwords are often read to a customer.
    """
    if not GENERATED_MIN_LENGTH <= length <= GENERATED_MAX_LENGTH:
        raise ValueError(
            _(
                "length must be between {generated_min_length} and {generated_max_length}",
                generated_min_length=GENERATED_MIN_LENGTH,
                generated_max_length=GENERATED_MAX_LENGTH,
            )
        )
    pools = (_UNAMBIGUOUS_UPPER, _UNAMBIGUOUS_LOWER, _UNAMBIGUOUS_DIGITS, GENERATED_SYMBOLS)
    everything = "".join(pools)
    rng = secrets.SystemRandom()
    # A random draw can land on a run like "abc" and lose points; draw again (rarely needed).
    for __ in range(100):
        chars = [rng.choice(pool) for pool in pools]
        chars += [rng.choice(everything) for __ in range(length - len(pools))]
        rng.shuffle(chars)
        candidate = "".join(chars)
        if strength(candidate).band is Band.VERY_STRONG:
            return candidate
    raise RuntimeError("could not draw a very strong password")  # pragma: no cover


def check_form(password: str) -> None:
    """What any password must be before it is scored: given, at most MAX_LENGTH characters,
    no control characters. ValueError says which."""
    if not password:
        raise ValueError(_("is required"))
    if len(password) > MAX_LENGTH:
        raise ValueError(_("must be at most {max_length} characters", max_length=MAX_LENGTH))
    if any(ord(char) < 32 or ord(char) == 127 for char in password):
        raise ValueError(_("must not contain control characters"))


def acceptable(password: str, *, login: str | None, email: str | None) -> Strength:
    """The one rule for every password the ISP sets (RADIUS logins, mailboxes, the plan
    wizard's, voice panels): `check_form`, then not VERY_WEAK (score < 20; a password equal to
    the login or the e-mail always is). Its strength, or ValueError saying why (ADR 0111)."""
    check_form(password)
    result = strength(password, login=login, email=email)
    if result.band is Band.VERY_WEAK:
        if any(r.rule is Rule.EQUALS_LOGIN_OR_EMAIL for r in result.rules):
            reason = _("equals the login or e-mail")
        else:
            reason = _("scores {score} of 100", score=result.score)
        raise ValueError(
            _("is too weak: it {reason}; very weak passwords (< 20) are refused", reason=reason)
        )
    return result
