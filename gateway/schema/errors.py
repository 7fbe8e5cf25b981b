"""Errors as data: the typed errors a mutation payload union can hold."""

from __future__ import annotations

import datetime
import re

import strawberry

from domain import errors as domain_errors


@strawberry.interface(
    name="UserError",
    description="Why an action was refused; nothing changed. Every error member of every "
    "result union implements it, so one `... on UserError { code message field }` fragment "
    "serves every mutation.",
)
class UserError:
    message: str = strawberry.field(description="What went wrong, in words for the user.")

    @strawberry.field(
        description="A stable machine code of the refusal: VALIDATION_ERROR, NOT_FOUND, "
        "NOT_ALLOWED, INVALID_TRANSITION, RULE_VIOLATION or CONFLICT (the type's name); it "
        "never changes with the message or the language."
    )
    def code(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).upper()

    @strawberry.field(
        description="The input field the refusal is about, as a dotted path "
        "within the input (`radiusLogin.password`), or null when it is not about one field."
    )
    def field(self) -> str | None:
        return None


@strawberry.type(description="One invalid input field.")
class FieldError:
    path: list[str] = strawberry.field(description="Where the field sits in the input object.")
    message: str


@strawberry.type(description="The input is invalid; `fields` says where and why.")
class ValidationError(UserError):
    fields: list[FieldError]

    @strawberry.field(
        description="The first invalid input field, as a dotted path; `fields` lists them all."
    )
    def field(self) -> str | None:
        return ".".join(self.fields[0].path) if self.fields else None


@strawberry.type(description="A referenced object does not exist (or is not yours to see).")
class NotFound(UserError):
    entity: str
    id: str


@strawberry.type(description="The caller may not do this; `permission` names what is missing.")
class NotAllowed(UserError):
    permission: str | None


@strawberry.type(description="The object's state does not allow this change.")
class InvalidTransition(UserError):
    entity: str
    from_state: str
    to_state: str


@strawberry.type(description="A configured business rule refused the action.")
class RuleViolation(UserError):
    rule: str
    next_allowed_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the action may be tried again, when the rule knows."
    )


@strawberry.type(description="Something changed since the caller read it; read again and retry.")
class Conflict(UserError):
    pass


# Every typed error `user_error` gives, which is every error `perform` can answer with: a field
# answering with errors as data holds them all in its union (ADR 0121), so a refusal can never
# lack its type (a missing member made Strawberry raise, and the client saw "Internal error").
AnyUserError = (
    ValidationError | NotFound | NotAllowed | InvalidTransition | RuleViolation | Conflict
)


def user_error(error: domain_errors.DomainError) -> UserError:
    """The GraphQL error type of a domain error."""
    match error:
        case domain_errors.ValidationFailed():
            return ValidationError(
                message=error.message,
                fields=[FieldError(path=list(p.path), message=p.message) for p in error.problems],
            )
        case domain_errors.NotFound():
            return NotFound(message=error.message, entity=error.entity, id=str(error.key))
        case domain_errors.NotAllowed():
            return NotAllowed(message=error.message, permission=error.permission)
        case domain_errors.InvalidTransition():
            return InvalidTransition(
                message=error.message,
                entity=error.entity,
                from_state=error.from_state,
                to_state=error.to_state,
            )
        case domain_errors.RuleViolation():
            return RuleViolation(
                message=error.message, rule=error.rule, next_allowed_at=error.next_allowed_at
            )
        case domain_errors.Conflict():
            return Conflict(message=error.message)
    raise TypeError(f"no GraphQL error type for {type(error).__name__}")
