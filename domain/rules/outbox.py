"""When an outbox message is tried again: exponential backoff with jitter, and a last try."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Delays grow as base * 2**(attempt-1) up to `cap`; after `max_attempts` we give up."""

    base_seconds: float = 2.0
    cap_seconds: float = 600.0
    max_attempts: int = 15
    # The delay is drawn in [delay * (1 - jitter), delay] so many failed messages (a platform
    # outage) do not all come back in the same second.
    jitter: float = 0.5

    def delay(self, attempts: int, rng: random.Random | None = None) -> dt.timedelta:
        """How long to wait after the `attempts`-th failed try (attempts >= 1)."""
        if attempts < 1:
            raise ValueError("attempts starts at 1")
        seconds = min(self.cap_seconds, self.base_seconds * 2 ** min(attempts - 1, 62))
        draw = (rng or random).random()
        return dt.timedelta(seconds=seconds * (1 - self.jitter * draw))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
