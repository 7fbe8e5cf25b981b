"""Typed domain errors: each carries its data as attributes, not only a message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


class DomainError(Exception):
    """A refused action. The transaction part that raised it is rolled back; nothing changes."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: its path in the input object and what is wrong."""

    path: tuple[str, ...]
    message: str


class ValidationFailed(DomainError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(p.path)}: {p.message}" for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, path: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(tuple(path.split(".")), message)])


class NotFound(DomainError):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} was not found.")
        self.entity = entity
        self.key = key


class NotAllowed(DomainError):
    def __init__(self, message: str, *, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class InvalidTransition(DomainError):
    def __init__(self, entity: str, from_state: str, to_state: str) -> None:
        super().__init__(f"{entity} cannot go from {from_state} to {to_state}.")
        self.entity = entity
        self.from_state = from_state
        self.to_state = to_state


class RuleViolation(DomainError):
    """A business rule refused the action; `next_allowed_at` says when it may succeed, if known."""

    def __init__(
        self, rule: str, message: str, *, next_allowed_at: dt.datetime | None = None
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.next_allowed_at = next_allowed_at


class Conflict(DomainError):
    """Someone else changed the thing since the caller read it."""
