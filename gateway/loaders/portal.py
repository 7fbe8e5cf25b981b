"""Loaders of the subscriber's and the voice reseller's relations (used through `Loaders.get`)."""

from __future__ import annotations

from domain import models as m
from gateway.loaders.base import ByIdLoader, ManyByKeyLoader


class InvoicesByCustomerIdLoader(ManyByKeyLoader[m.Invoice]):
    model, column = m.Invoice, "customer_id"


class TicketsByCustomerIdLoader(ManyByKeyLoader[m.Ticket]):
    model, column = m.Ticket, "customer_id"


class TicketContactsByTicketIdLoader(ManyByKeyLoader[m.TicketContact]):
    model, column = m.TicketContact, "ticket_id"


class BoletosByReceivableIdLoader(ManyByKeyLoader[m.Boleto]):
    model, column = m.Boleto, "receivable_id"


class TicketByIdLoader(ByIdLoader[m.Ticket]):
    model = m.Ticket


class InvoiceByIdLoader(ByIdLoader[m.Invoice]):
    model = m.Invoice


class VoiceResellerByIdLoader(ByIdLoader[m.VoiceReseller]):
    model = m.VoiceReseller


class VoiceSubscriberByIdLoader(ByIdLoader[m.VoiceSubscriber]):
    model = m.VoiceSubscriber


class VoiceLineByIdLoader(ByIdLoader[m.VoiceLine]):
    model = m.VoiceLine


class VoiceSalePlanByIdLoader(ByIdLoader[m.VoiceSalePlan]):
    model = m.VoiceSalePlan


class VoiceSubscribersByResellerIdLoader(ManyByKeyLoader[m.VoiceSubscriber]):
    model, column = m.VoiceSubscriber, "reseller_id"


class VoiceSalePlansByResellerIdLoader(ManyByKeyLoader[m.VoiceSalePlan]):
    model, column = m.VoiceSalePlan, "reseller_id"


class VoiceLinesBySubscriberIdLoader(ManyByKeyLoader[m.VoiceLine]):
    model, column = m.VoiceLine, "subscriber_id"


class VoiceExtensionsByLineIdLoader(ManyByKeyLoader[m.VoiceExtension]):
    model, column = m.VoiceExtension, "line_id"


class VoiceExtensionByIdLoader(ByIdLoader[m.VoiceExtension]):
    model = m.VoiceExtension


class VoiceFranchisesBySubscriberIdLoader(ManyByKeyLoader[m.VoiceFranchise]):
    model, column = m.VoiceFranchise, "subscriber_id"


class VoicePermissionsBySubscriberIdLoader(ManyByKeyLoader[m.VoiceSubscriberPermission]):
    model, column = m.VoiceSubscriberPermission, "subscriber_id"
