"""What a constraint the database enforced means to the client, in its input's words (ADR 0122).

An action checks what it can before it writes ("login is already taken"); a concurrent request
can still take the value between the check and the insert, and then the database's constraint
refuses it. Its text (`duplicate key value violates unique constraint "uq_service_email_…"`)
is the database's, never the client's: this module finds which constraint it was, from the
error's constraint name (PostgreSQL) or its table and columns (SQLite), and says it as a
`ValidationFailed` on the input field that carried the value.

Every unique constraint and unique index of the models is known without listing it here: its
columns name the input fields (`panel_username` -> `panelUsername`), and `ALIASES` adds the
other names an input gives the same column (`username` for a panel username). `MEANINGS` only
overrides the words where "is already in use" would not say it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql import visitors

from domain.errors import Conflict, DomainError, FieldProblem, ValidationFailed
from domain.i18n import _
from domain.models import Base

# SQLSTATEs of a transaction that lost a race: the client may simply try again.
_RACE_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_SQLITE_INDEX = re.compile(r"index '([^']+)'")


@dataclass(frozen=True)
class Meaning:
    """The input fields that may carry a constrained value (tried in order), and the words."""

    fields: tuple[str, ...]
    message: str = _("is already in use")


# Other names inputs give a constrained column (a column's own camelCase name is always tried).
ALIASES: dict[str, tuple[str, ...]] = {
    "panel_username": ("panelUsername", "username"),
    "phone_number": ("phoneNumber", "number"),
    "sip_username": ("sipUsername",),
    "casn": ("casn",),
    "number": ("number",),
}

# Constraints whose words differ from "is already in use".
# None: only a concurrent request can break it (the action checks its own input for it), so the
# client gets a Conflict to retry.
MEANINGS: dict[str, Meaning | None] = {
    "uq_tv_package_subscription_current": Meaning(("packageId",), _("is already on the plan")),
    "uq_tv_point_equipment_active": Meaning(("casn",), _("is already installed at another point")),
    "uq_extra_field_customer_id_name": None,
    "uq_extra_field_plan_id_name": None,
    "uq_voice_franchise_subscriber_id_category": None,
    "uq_billing_event_tv_package_subscription_id_due_date": None,
    "uq_voice_line_subscriber_id_extension": Meaning(("extension",)),
    "uq_service_email_login_domain": Meaning(("login",), _("is already taken on that domain")),
    "uq_service_email_alias_login_domain": Meaning(
        ("login",), _("is already taken on that domain")
    ),
    "uq_service_radius_login_login": Meaning(("login",), _("is already taken")),
    "uq_voice_subscriber_panel_username": Meaning(("panelUsername", "username"), _("is taken")),
    "uq_customer_document": Meaning(("document",), _("belongs to another customer")),
    "uq_voice_subscriber_reseller_id_document": Meaning(
        ("document",), _("belongs to another of your subscribers")
    ),
}


def _constraints() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every unique constraint and unique index: name -> (table, its columns)."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name:
                columns = tuple(c.name for c in constraint.columns)
                found[str(constraint.name)] = (table.name, columns)
        for index in table.indexes:
            if isinstance(index, Index) and index.unique and index.name:
                columns = tuple(
                    column.name
                    for expression in index.expressions
                    for column in visitors.iterate(expression)
                    if isinstance(column, Column)
                )
                found[str(index.name)] = (table.name, columns)
    return found


_CONSTRAINTS = _constraints()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def meaning_of(constraint: str) -> Meaning | None:
    """What a unique constraint or index of the models means in input terms, or None."""
    if constraint in MEANINGS:
        return MEANINGS[constraint]
    known = _CONSTRAINTS.get(constraint)
    if known is None:
        return None
    _table, columns = known
    # The value the client typed, not the owner a composite key is scoped to.
    typed = [c for c in columns if not c.endswith("_id")] or list(columns)
    fields: list[str] = []
    for column in reversed(typed):
        for name in (_camel(column), *ALIASES.get(column, ())):
            if name not in fields:
                fields.append(name)
    return Meaning(tuple(fields))


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint that refused the write, from PostgreSQL or SQLite."""
    cause = getattr(error.orig, "__cause__", None)
    name = getattr(cause, "constraint_name", None) or getattr(error.orig, "constraint_name", None)
    if name:
        return str(name)
    text = str(error.orig) if error.orig is not None else ""
    index = _SQLITE_INDEX.search(text)
    if index:
        return index.group(1)
    unique = _SQLITE_UNIQUE.search(text)
    if unique is None:
        return None
    pairs = [part.strip().split(".", 1) for part in unique.group(1).split(",")]
    if not pairs or any(len(p) != 2 for p in pairs):
        return None
    table, columns = pairs[0][0], tuple(p[1] for p in pairs)
    for name, (known_table, known_columns) in _CONSTRAINTS.items():
        if known_table == table and known_columns == columns:
            return name
    return None


def refusal(error: IntegrityError, inputs: Mapping[str, Any]) -> DomainError:
    """The typed error a constraint's refusal is to the client, in words, on the input field
    that carried the value when the input has it (else a Conflict saying what clashed)."""
    name = constraint_name(error)
    meaning = None if name is None else meaning_of(name)
    if meaning is None:
        return Conflict(_("The change conflicts with a change made at the same moment; try again."))
    for field in meaning.fields:
        path = _path_to(inputs, field)
        if path is not None:
            return ValidationFailed([FieldProblem(path, meaning.message)])
    return Conflict(
        _(
            "The {value} {message}.",
            value=" ".join(_words(meaning.fields[0])),
            message=meaning.message,
        )
    )


def lost_race(error: DBAPIError) -> bool:
    """Whether the database stopped the statement because a concurrent one held what it
    needed (deadlock, serialization failure): nothing is wrong with the request itself."""
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return state in _RACE_STATES


def _path_to(value: Any, field: str, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The shallowest path of `field` in an input (a list stops the path: which item clashed
    is not known)."""
    if isinstance(value, Mapping):
        if field in value:
            return (*path, field)
        for key, item in value.items():
            found = _path_to(item, field, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, Sequence) and not isinstance(value, str):
        if any(_path_to(item, field) is not None for item in value):
            return path
    return None


def _words(field: str) -> list[str]:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", field).lower().split()
