"""Typed domain errors: each carries its data as attributes, not only a message.

A message is a `domain.i18n.Message` (the English id and its values): it becomes text in the
language of the request when it is read (`error.message`, `str(error)`), so the same refusal
answers in pt-BR or en while its code and data stay the same (ADR 0210).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.i18n import Message, _, text


class DomainError(Exception):
    """A refused action. The transaction part that raised it is rolled back; nothing changes."""

    def __init__(self, message: Message | str) -> None:
        super().__init__(message)
        self.text = message

    @property
    def message(self) -> str:
        """The message in the current request's language."""
        return text(self.text)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: its path in the input object and what is wrong."""

    path: tuple[str, ...]
    text: Message | str

    @property
    def message(self) -> str:
        return text(self.text)


class ValidationFailed(DomainError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(_("The input is invalid."))
        self.problems = problems

    @property
    def message(self) -> str:
        return "; ".join(f"{'.'.join(p.path)}: {p.message}" for p in self.problems)

    @classmethod
    def one(cls, path: str, message: Message | str) -> ValidationFailed:
        return cls([FieldProblem(tuple(path.split(".")), message)])


class NotFound(DomainError):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(_("{entity} {key} was not found.", entity=_entity(entity), key=key))
        self.entity = entity
        self.key = key


class NotAllowed(DomainError):
    def __init__(self, message: Message | str, *, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class InvalidTransition(DomainError):
    def __init__(self, entity: str, from_state: str, to_state: str) -> None:
        super().__init__(
            _(
                "{entity} cannot go from {from_state} to {to_state}.",
                entity=_entity(entity),
                from_state=from_state,
                to_state=to_state,
            )
        )
        self.entity = entity
        self.from_state = from_state
        self.to_state = to_state


class RuleViolation(DomainError):
    """A business rule refused the action; `next_allowed_at` says when it may succeed, if known."""

    def __init__(
        self, rule: str, message: Message | str, *, next_allowed_at: dt.datetime | None = None
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.next_allowed_at = next_allowed_at


class Conflict(DomainError):
    """Someone else changed the thing since the caller read it."""


# The kinds of object a NotFound or InvalidTransition names, in words (the `entity` field
# keeps the code, e.g. Plan).
ENTITIES: dict[str, Message] = {
    "Address": _("Address"),
    "AntivirusLicense": _("AntivirusLicense"),
    "ApiKey": _("ApiKey"),
    "Contact": _("Contact"),
    "Contract": _("Contract"),
    "Customer": _("Customer"),
    "EmailAccount": _("EmailAccount"),
    "Equipment": _("Equipment"),
    "ExtraService": _("ExtraService"),
    "ExtraServiceDefinition": _("ExtraServiceDefinition"),
    "Invoice": _("Invoice"),
    "Plan": _("Plan"),
    "PlanSpeed": _("PlanSpeed"),
    "RadiusLogin": _("RadiusLogin"),
    "Receivable": _("Receivable"),
    "Role": _("Role"),
    "Service": _("Service"),
    "SmsCreditValue": _("SmsCreditValue"),
    "Technician": _("Technician"),
    "TvPackage": _("TvPackage"),
    "TvPackageSubscription": _("TvPackageSubscription"),
    "TvPoint": _("TvPoint"),
    "TvPointLocation": _("TvPointLocation"),
    "VoiceExtension": _("VoiceExtension"),
    "VoiceLine": _("VoiceLine"),
    "VoiceReseller": _("VoiceReseller"),
    "VoiceSubscriber": _("VoiceSubscriber"),
}


def _entity(entity: str) -> Message | str:
    return ENTITIES.get(entity, entity)
