"""`node(id:)`: any object of the graph by its global id."""

from __future__ import annotations

from gateway.loaders import container as loaders
from gateway.loaders import portal as portal_loaders
from gateway.loaders.base import RequestLoader
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
    loader = _NODE_LOADERS.get(type_name)
    if loader is None:
        return None
    row = await info.context.loaders.get(loader).load(pk)
    return None if row is None else model_type(type_name).from_model(row)


# Every type `node(id:)` can return, for the compiled read path to answer the same ids.
NODE_TYPE_NAMES = frozenset(_NODE_LOADERS) | frozenset(SERVICE_TYPE_KINDS)
