"""Loaders of the customer registration: a customer's e-mails and phones."""

from __future__ import annotations

from domain import models as m
from gateway.loaders.base import ManyByKeyLoader


class EmailsByCustomerIdLoader(ManyByKeyLoader[m.CustomerEmail]):
    model, column = m.CustomerEmail, "customer_id"


class PhonesByCustomerIdLoader(ManyByKeyLoader[m.CustomerPhone]):
    model, column = m.CustomerPhone, "customer_id"
