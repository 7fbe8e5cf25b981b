"""Which status changes a plan may make (manual 001, 5.4 Obs1 to Obs2; DOMAIN.md §1)."""

from __future__ import annotations

from domain.models.enums import InactiveReason, PlanStatus

# CANCELLED is final; ACTIVE and INACTIVE go both ways; any live plan can be cancelled.
ALLOWED: frozenset[tuple[PlanStatus, PlanStatus]] = frozenset(
    {
        (PlanStatus.ACTIVE, PlanStatus.INACTIVE),
        (PlanStatus.INACTIVE, PlanStatus.ACTIVE),
        (PlanStatus.ACTIVE, PlanStatus.CANCELLED),
        (PlanStatus.INACTIVE, PlanStatus.CANCELLED),
        # Staying inactive for another reason (e.g. awaiting installation -> suspended).
        (PlanStatus.INACTIVE, PlanStatus.INACTIVE),
    }
)


def transition_allowed(
    current: PlanStatus,
    current_reason: InactiveReason | None,
    target: PlanStatus,
    target_reason: InactiveReason | None,
) -> bool:
    """True when a plan in `current` (with its reason) may move to `target` (with its reason)."""
    if (current, target) not in ALLOWED:
        return False
    # INACTIVE -> INACTIVE is a change of reason; the same reason again changes nothing.
    return not (current is target and current_reason is target_reason)


def state_name(status: PlanStatus, reason: InactiveReason | None) -> str:
    """How a state is named in an InvalidTransition: `INACTIVE (SUSPENDED)`, `ACTIVE`."""
    return f"{status.name} ({reason.name})" if reason is not None else status.name
