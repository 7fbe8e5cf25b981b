"""A constraint the database enforced, said in the input's words (ADR 0122): real
IntegrityErrors from the test database (SQLite or PostgreSQL), mapped without database text."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain import constraints
from domain import models as m
from domain.errors import Conflict, ValidationFailed


async def _violation(session: AsyncSession, row: object) -> IntegrityError:
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as error:
        return error
    raise AssertionError("the row was accepted")


async def test_a_taken_line_number_is_a_validation_error_on_the_number(
    session: AsyncSession,
) -> None:
    line = (await session.scalars(select(m.VoiceLine).limit(1))).one()
    duplicate = m.VoiceLine(subscriber_id=line.subscriber_id, number=line.number, extension="zz9")
    error = await _violation(session, duplicate)
    assert constraints.constraint_name(error) == "uq_voice_line_number"
    refused = constraints.refusal(error, {"subscriberId": "1", "number": line.number})
    assert isinstance(refused, ValidationFailed)
    assert [(p.path, p.message) for p in refused.problems] == [(("number",), "is already in use")]
    assert "uq_" not in refused.message and "duplicate" not in refused.message.lower()


async def test_a_composite_key_names_the_typed_column(session: AsyncSession) -> None:
    line = (await session.scalars(select(m.VoiceLine).limit(1))).one()
    clash = m.VoiceLine(
        subscriber_id=line.subscriber_id, number="+550000000999", extension=line.extension
    )
    error = await _violation(session, clash)
    assert constraints.constraint_name(error) == "uq_voice_line_subscriber_id_extension"
    refused = constraints.refusal(error, {"number": "+550000000999", "extension": line.extension})
    assert isinstance(refused, ValidationFailed)
    assert refused.problems[0].path == ("extension",)


async def test_a_document_deep_in_the_input_is_found_there(session: AsyncSession) -> None:
    customer = (await session.scalars(select(m.Customer).limit(1))).one()
    twin = m.Customer(kind=customer.kind, name="Outro", document=customer.document)
    error = await _violation(session, twin)
    refused = constraints.refusal(error, {"subscriber": {"name": "x", "document": "1"}})
    assert isinstance(refused, ValidationFailed)
    assert refused.problems[0].path == ("subscriber", "document")
    assert refused.problems[0].message == "belongs to another customer"
    # An input without the field: a Conflict in words, still no database text.
    elsewhere = constraints.refusal(error, {"name": "x"})
    assert isinstance(elsewhere, Conflict)
    assert elsewhere.message == "The document belongs to another customer."


@pytest.mark.parametrize("name", sorted(constraints._CONSTRAINTS))
def test_every_unique_constraint_of_the_models_has_words(name: str) -> None:
    """Each names input fields, or is one only a race breaks (then a Conflict to retry)."""
    meaning = constraints.meaning_of(name)
    if meaning is None:
        assert constraints.MEANINGS[name] is None
    else:
        assert meaning.fields and meaning.message
