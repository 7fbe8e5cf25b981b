"""`node(id:)`: any object of the graph by its global id.

Every type implementing `Node` is answered: by the loader named below, or else by a by-id
loader of the type's model made on first use (a test checks that every Node type of the schema
is one `node_loader` knows).
"""

from __future__ import annotations

from typing import Any

from gateway.loaders import container as loaders
from gateway.loaders import portal as portal_loaders
from gateway.loaders.base import ByIdLoader, RequestLoader
from gateway.schema import services
from gateway.schema.base import Info, Node, from_global_id, model_type
from gateway.schema.ids import MAX_KEY

# GraphQL type name -> its by-id loader; the type itself is built by its `from_model`.
_NODE_LOADERS: dict[str, type[RequestLoader]] = {  # type: ignore[type-arg]
    "Customer": loaders.CustomerByIdLoader,
    "Address": loaders.AddressByIdLoader,
    "Contact": loaders.ContactByIdLoader,
    "Plan": loaders.PlanByIdLoader,
    "PlanOffer": loaders.PlanOfferByIdLoader,
    "TvPackage": loaders.TvPackageByIdLoader,
    "Channel": loaders.ChannelByIdLoader,
    "ExtraServiceDefinition": loaders.ExtraServiceDefinitionByIdLoader,
    "TvPointLocation": loaders.TvPointLocationByIdLoader,
    "ContractTemplate": loaders.ContractTemplateByIdLoader,
    "BillingForm": loaders.BillingFormByIdLoader,
    "Bank": loaders.BankByIdLoader,
    "IpPool": loaders.IpPoolByIdLoader,
    "Role": loaders.RoleByIdLoader,
    "Technician": loaders.TechnicianByIdLoader,
    "TvPackageSubscription": loaders.TvPackageSubscriptionByIdLoader,
    "TvPoint": loaders.TvPointByIdLoader,
    "Equipment": loaders.EquipmentByIdLoader,
    "Receivable": loaders.ReceivableByIdLoader,
    "Invoice": portal_loaders.InvoiceByIdLoader,
    "Ticket": portal_loaders.TicketByIdLoader,
    "VoiceReseller": portal_loaders.VoiceResellerByIdLoader,
    "VoiceSubscriber": portal_loaders.VoiceSubscriberByIdLoader,
    "VoiceLine": portal_loaders.VoiceLineByIdLoader,
    "VoiceSalePlan": portal_loaders.VoiceSalePlanByIdLoader,
    "VoiceExtension": portal_loaders.VoiceExtensionByIdLoader,
}
# A service type's name -> its kind: services are read by the polymorphic loader.
SERVICE_TYPE_KINDS = {cls.graphql_name: kind for kind, cls in services.SERVICE_TYPES.items()}


async def node(info: Info, id: str) -> Node | None:
    decoded = from_global_id(id)
    if decoded is None or not 0 < decoded[1] <= MAX_KEY:
        return None
    type_name, pk = decoded
    if type_name in SERVICE_TYPE_KINDS:
        row = await info.context.loaders.service.load(pk)
        if row is None or row.kind is not SERVICE_TYPE_KINDS[type_name]:
            return None
        return services.service_from_model(row)
    loader = node_loader(type_name)
    if loader is None:
        return None
    row = await info.context.loaders.get(loader).load(pk)
    return None if row is None else model_type(type_name).from_model(row)


def node_loader(type_name: str) -> type[RequestLoader] | None:  # type: ignore[type-arg]
    """The by-id loader of a Node type other than a service's; None if `type_name` is none."""
    loader = _NODE_LOADERS.get(type_name)
    if loader is not None:
        return loader
    try:
        builder = model_type(type_name)
    except KeyError:
        return None
    model = getattr(builder, "model", None)
    if model is None or not isinstance(builder, type) or not issubclass(builder, Node):
        return None
    generated: Any = type(f"{type_name}ByIdLoader", (ByIdLoader,), {"model": model})
    _NODE_LOADERS[type_name] = generated
    return generated  # type: ignore[no-any-return]


def is_node_type(type_name: str) -> bool:
    """Whether `node(id:)` answers ids of `type_name` (the compiled read path asks)."""
    return type_name in SERVICE_TYPE_KINDS or node_loader(type_name) is not None
