"""`node(id:)`: any object of the graph by its global id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.loaders import portal as portal_loaders
from gateway.resolvers.ids import MAX_KEY
from gateway.schema import billing, catalog, customers, plans, portal, services, tv, voice
from gateway.schema.base import FromModel, Info, Node, from_global_id

# GraphQL type name -> (its by-id loader: a name in `Loaders` or a class, how to build the type).
_NODE_SOURCES: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "Customer": ("customer", customers.CustomerType.from_model),
    "Address": ("address", customers.AddressType.from_model),
    "Contact": ("contact", customers.ContactType.from_model),
    "Plan": ("plan", plans.PlanType.from_model),
    "PlanOffer": ("plan_offer", catalog.PlanOfferType.from_model),
    "TvPackage": ("tv_package", catalog.TvPackageType.from_model),
    "Channel": ("channel", catalog.ChannelType.from_model),
    "ExtraServiceDefinition": (
        "extra_service_definition",
        catalog.ExtraServiceDefinitionType.from_model,
    ),
    "TvPointLocation": ("tv_point_location", catalog.TvPointLocationType.from_model),
    "ContractTemplate": ("contract_template", catalog.ContractTemplateType.from_model),
    "BillingForm": ("billing_form", catalog.BillingFormType.from_model),
    "Bank": ("bank", catalog.BankType.from_model),
    "IpPool": ("ip_pool", catalog.IpPoolType.from_model),
    "Role": ("role", catalog.RoleType.from_model),
    "Technician": ("technician", catalog.TechnicianType.from_model),
    "TvPackageSubscription": (
        "tv_package_subscription",
        tv.TvPackageSubscriptionType.from_model,
    ),
    "TvPoint": ("tv_point", tv.TvPointType.from_model),
    "Equipment": ("equipment", tv.EquipmentType.from_model),
    "Receivable": ("receivable", billing.ReceivableType.from_model),
    "Invoice": (portal_loaders.InvoiceByIdLoader, portal.InvoiceType.from_model),
    "Ticket": (portal_loaders.TicketByIdLoader, portal.TicketType.from_model),
    "VoiceReseller": (portal_loaders.VoiceResellerByIdLoader, voice.VoiceResellerType.from_model),
    "VoiceSubscriber": (
        portal_loaders.VoiceSubscriberByIdLoader,
        voice.VoiceSubscriberType.from_model,
    ),
    "VoiceLine": (portal_loaders.VoiceLineByIdLoader, voice.VoiceLineType.from_model),
}
_SERVICE_TYPE_NAMES = {cls.graphql_name: kind for kind, cls in services.SERVICE_TYPES.items()}


async def node(info: Info, id: str) -> Node | None:
    decoded = from_global_id(id)
    if decoded is None or not 0 < decoded[1] <= MAX_KEY:
        return None
    type_name, pk = decoded
    loaders = info.context.loaders
    if type_name in _SERVICE_TYPE_NAMES:
        row = await loaders.service.load(pk)
        if row is None or row.kind is not _SERVICE_TYPE_NAMES[type_name]:
            return None
        return services.service_from_model(row)
    source = _NODE_SOURCES.get(type_name)
    if source is None:
        return None
    loader, build = source
    by_id = getattr(loaders, loader) if isinstance(loader, str) else loaders.get(loader)
    row = await by_id.load(pk)
    return None if row is None else build(row)


def node_types() -> list[type[FromModel]]:
    """Every concrete type reachable only through `node`, so the schema knows them all."""
    return [services.SERVICE_TYPES[kind] for kind in services.SERVICE_TYPES]


# Every type `node(id:)` can return, for the compiled read path to answer the same ids.
NODE_TYPE_NAMES = frozenset(_NODE_SOURCES) | frozenset(_SERVICE_TYPE_NAMES)
