"""Loaders of issue 17's relations: a customer's e-mails and phones, a call's terminal."""

from __future__ import annotations

from domain import models as m
from gateway.loaders.base import ByIdLoader, ManyByKeyLoader


class EmailsByCustomerIdLoader(ManyByKeyLoader[m.CustomerEmail]):
    model, column = m.CustomerEmail, "customer_id"


class PhonesByCustomerIdLoader(ManyByKeyLoader[m.CustomerPhone]):
    model, column = m.CustomerPhone, "customer_id"


class VoiceTerminalByIdLoader(ByIdLoader[m.VoiceTerminal]):
    model = m.VoiceTerminal
