"""The outbox retry policy: exponential backoff with jitter, a cap, and a last attempt."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from domain.rules.outbox import RetryPolicy


def test_delays_double_up_to_the_cap_within_the_jitter() -> None:
    policy = RetryPolicy(base_seconds=2, cap_seconds=60, jitter=0.5)
    rng = random.Random(3)
    for attempt, full in ((1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (40, 60)):
        delay = policy.delay(attempt, rng).total_seconds()
        assert full * 0.5 <= delay <= full, (attempt, delay)


def test_without_jitter_the_delay_is_exact_and_huge_attempts_do_not_overflow() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=600, jitter=0)
    assert policy.delay(4) == dt.timedelta(seconds=8)
    assert policy.delay(10_000) == dt.timedelta(seconds=600)
    with pytest.raises(ValueError):
        policy.delay(0)


def test_gives_up_at_the_last_attempt() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.gives_up(n) for n in (1, 2, 3, 4)] == [False, False, True, True]
