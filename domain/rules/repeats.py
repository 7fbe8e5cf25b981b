"""Money a client asked for twice by accident: the same purchase, moments apart (ADR 0123).

A subscriber tapping "buy" twice, a retry after a dropped answer, ten tabs sending at once:
without an Idempotency-Key each would create money owed. An action that creates money owed and
is never meant to be repeated at once (buying a package, adding an extra service) answers a
repeat of the same request on the same plan within `REPEAT_WINDOW` with the first one.
"""

from __future__ import annotations

import datetime as dt

# Long enough for a double tap, a client's retries and a slow network; short enough that a
# customer who wants a second package a few minutes later simply buys it.
REPEAT_WINDOW = dt.timedelta(seconds=60)
