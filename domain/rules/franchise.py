"""Minute franchises of a voice subscriber (manual 004, "Franquia de Minutos").

A franchise grants minutes per call category for a period. A long-distance (LDN) category may be
marked "consumir da franquia local": what its calls use beyond its own minutes is then taken from
the local franchise of the same kind (fixed or mobile), after that category's own local calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.models.enums import CallTermination, FranchiseCategory

C = FranchiseCategory
# A call record carries one of the manual's six terminations, each consumed from its own
# category's franchise (ADR 0110).
CATEGORY_OF: dict[CallTermination, FranchiseCategory] = {
    CallTermination.FIXED_LOCAL: C.FIXED_LOCAL,
    CallTermination.FIXED_LONG_DISTANCE: C.FIXED_LDN,
    CallTermination.MOBILE_LOCAL: C.MOBILE_LOCAL,
    CallTermination.MOBILE_LONG_DISTANCE: C.MOBILE_LDN,
    CallTermination.INTERNATIONAL_FIXED: C.INTERNATIONAL_FIXED,
    CallTermination.INTERNATIONAL_MOBILE: C.INTERNATIONAL_MOBILE,
}
LOCAL_OF: dict[FranchiseCategory, FranchiseCategory] = {
    C.FIXED_LDN: C.FIXED_LOCAL,
    C.MOBILE_LDN: C.MOBILE_LOCAL,
}


def billed_minutes(seconds: int) -> int:
    """Minutes a call uses: every started minute counts."""
    return -(-seconds // 60)


@dataclass(frozen=True)
class Grant:
    minutes: int
    consumes_local: bool = False


@dataclass(frozen=True)
class Balance:
    category: FranchiseCategory
    granted: int  # the category's own franchise minutes
    used: int  # minutes of this category's calls
    from_local: int  # of `used`, taken from the local franchise (LDN only)
    taken_by_ldn: int  # of `granted`, used by LDN calls (local only)
    remaining: int  # of `granted`, still free
    exceeding: int  # minutes of this category's calls that no franchise covered


def used_minutes(calls: Iterable[tuple[CallTermination, int]]) -> dict[FranchiseCategory, int]:
    """Minutes per category of (termination, duration in seconds) call records."""
    used = dict.fromkeys(FranchiseCategory, 0)
    for termination, seconds in calls:
        used[CATEGORY_OF[termination]] += billed_minutes(seconds)
    return used


def balances(
    grants: Mapping[FranchiseCategory, Grant], used: Mapping[FranchiseCategory, int]
) -> list[Balance]:
    """Each category's franchise after the period's calls, in the enum's order."""
    free = {category: grants[category].minutes if category in grants else 0 for category in C}
    own = {category: min(used.get(category, 0), free[category]) for category in C}
    for category in C:
        free[category] -= own[category]
    from_local = dict.fromkeys(C, 0)
    taken_by_ldn = dict.fromkeys(C, 0)
    for ldn, local in LOCAL_OF.items():
        grant = grants.get(ldn)
        if grant is None or not grant.consumes_local:
            continue
        overflow = used.get(ldn, 0) - own[ldn]
        take = min(overflow, free[local])
        from_local[ldn] = taken_by_ldn[local] = take
        free[local] -= take
    return [
        Balance(
            category=category,
            granted=grants[category].minutes if category in grants else 0,
            used=used.get(category, 0),
            from_local=from_local[category],
            taken_by_ldn=taken_by_ldn[category],
            remaining=free[category],
            exceeding=used.get(category, 0) - own[category] - from_local[category],
        )
        for category in C
        if category in grants or used.get(category, 0)
    ]
