"""Typed extra-field values: what each type accepts, and its canonical text form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from domain.i18n import _
from domain.models.enums import ExtraFieldType

MAX_TEXT = 2000  # a text field's value

_BOOLEANS = {"true": "true", "false": "false", "1": "true", "0": "false"}


def canonical_value(value_type: ExtraFieldType, raw: str) -> str:
    """The stored text of `raw` as a `value_type`; ValueError says why it is not one."""
    text = raw.strip()
    if value_type is ExtraFieldType.STRING:
        if len(raw) > MAX_TEXT:
            raise ValueError(_("must be at most {max_text} characters", max_text=MAX_TEXT))
        return raw
    if value_type is ExtraFieldType.INTEGER:
        try:
            return str(int(text))
        except ValueError:
            raise ValueError(_("must be a whole number")) from None
    if value_type is ExtraFieldType.DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("must be a decimal number")) from None
        if not number.is_finite():
            raise ValueError(_("must be a finite decimal number"))
        return str(number)
    if value_type is ExtraFieldType.BOOLEAN:
        if text.lower() not in _BOOLEANS:
            raise ValueError(_("must be true or false"))
        return _BOOLEANS[text.lower()]
    if value_type is ExtraFieldType.DATE:
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(_("must be a date as YYYY-MM-DD")) from None
    raise ValueError(f"unknown type {value_type}")
