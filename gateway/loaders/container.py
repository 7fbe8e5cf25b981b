"""The per-request Loaders container and every relation's loader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from domain import models as m
from domain.reads import graph
from gateway.loaders.base import (
    ByIdLoader,
    ManyByKeyLoader,
    OneByKeyLoader,
    RequestDb,
    RequestLoader,
    group_by_key,
)


class CustomerByIdLoader(ByIdLoader[m.Customer]):
    model = m.Customer


class AddressByIdLoader(ByIdLoader[m.Address]):
    model = m.Address


class ContactByIdLoader(ByIdLoader[m.Contact]):
    model = m.Contact


class PlanByIdLoader(ByIdLoader[m.Plan]):
    model = m.Plan


class PlanOfferByIdLoader(ByIdLoader[m.PlanOffer]):
    model = m.PlanOffer


class TvPackageByIdLoader(ByIdLoader[m.TvPackage]):
    model = m.TvPackage


class TvPointByIdLoader(ByIdLoader[m.TvPoint]):
    model = m.TvPoint


class TvPackageSubscriptionByIdLoader(ByIdLoader[m.TvPackageSubscription]):
    model = m.TvPackageSubscription


class TvPointLocationByIdLoader(ByIdLoader[m.TvPointLocation]):
    model = m.TvPointLocation


class EquipmentByIdLoader(ByIdLoader[m.Equipment]):
    model = m.Equipment


class ChannelByIdLoader(ByIdLoader[m.Channel]):
    model = m.Channel


class ExtraServiceDefinitionByIdLoader(ByIdLoader[m.ExtraServiceDefinition]):
    model = m.ExtraServiceDefinition


class ContractTemplateByIdLoader(ByIdLoader[m.ContractTemplate]):
    model = m.ContractTemplate


class BillingFormByIdLoader(ByIdLoader[m.BillingForm]):
    model = m.BillingForm


class BankByIdLoader(ByIdLoader[m.Bank]):
    model = m.Bank


class IpPoolByIdLoader(ByIdLoader[m.IpPool]):
    model = m.IpPool


class TechnicianByIdLoader(ByIdLoader[m.Technician]):
    model = m.Technician


class RoleByIdLoader(ByIdLoader[m.Role]):
    model = m.Role


class ReceivableByIdLoader(ByIdLoader[m.Receivable]):
    model = m.Receivable


class AddressesByCustomerIdLoader(ManyByKeyLoader[m.Address]):
    model, column = m.Address, "customer_id"


class ContactsByCustomerIdLoader(ManyByKeyLoader[m.Contact]):
    model, column = m.Contact, "customer_id"


class ExtraFieldsByCustomerIdLoader(ManyByKeyLoader[m.ExtraField]):
    model, column = m.ExtraField, "customer_id"


class ExtraFieldsByPlanIdLoader(ManyByKeyLoader[m.ExtraField]):
    model, column = m.ExtraField, "plan_id"


class PlansByCustomerIdLoader(ManyByKeyLoader[m.Plan]):
    model, column = m.Plan, "customer_id"


class ReceivablesByCustomerIdLoader(ManyByKeyLoader[m.Receivable]):
    model, column = m.Receivable, "customer_id"


class ReceivablesByPlanIdLoader(ManyByKeyLoader[m.Receivable]):
    model, column = m.Receivable, "plan_id"


class ContractByPlanIdLoader(OneByKeyLoader[m.Contract]):
    model, column = m.Contract, "plan_id"


class AddressHistoryByPlanIdLoader(ManyByKeyLoader[m.PlanAddressHistory]):
    model, column = m.PlanAddressHistory, "plan_id"


class AppointmentsByPlanIdLoader(ManyByKeyLoader[m.InstallationAppointment]):
    model, column = m.InstallationAppointment, "plan_id"


class TvPackageSubscriptionsByPlanIdLoader(ManyByKeyLoader[m.TvPackageSubscription]):
    model, column = m.TvPackageSubscription, "plan_id"


class TvPointsByPlanIdLoader(ManyByKeyLoader[m.TvPoint]):
    model, column = m.TvPoint, "plan_id"


class TvPointHistoryByPointIdLoader(ManyByKeyLoader[m.TvPointHistory]):
    model, column = m.TvPointHistory, "tv_point_id"


class ServiceByIdLoader(RequestLoader[m.Service | None]):
    """To-one: a service by id, as its kind's class."""

    model, column, polymorphic = m.Service, "id", True

    async def batch_load_fn(self, keys: Sequence[int]) -> list[Any]:
        rows = await self.db.run(graph.services_by_ids, keys)
        index = {row.id: row for row in rows}
        return [index.get(key) for key in keys]


class ServicesByPlanIdLoader(RequestLoader[list[m.Service]]):
    """To-many: every service of a plan, each as its kind's class, one statement per batch."""

    model, column, polymorphic = m.Service, "plan_id", True

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[m.Service]]:
        rows = await self.db.run(graph.services_by_plan_ids, keys)
        return group_by_key(keys, rows, lambda row: row.plan_id)


class ChannelsByPackageIdLoader(RequestLoader[list[m.Channel]]):
    """To-many through tv_package_channel: a package's channels in grid order."""

    model = m.Channel
    through = (m.TvPackageChannel, "package_id", "channel_id")
    order = ("number", "id")

    async def batch_load_fn(self, keys: Sequence[int]) -> list[list[m.Channel]]:
        pairs = await self.db.run(graph.channels_by_package_ids, keys)
        grouped = group_by_key(keys, pairs, lambda pair: pair[0])
        return [[channel for _, channel in group] for group in grouped]


class ServiceKindsByOfferIdLoader(ManyByKeyLoader[m.PlanOfferServiceKind]):
    model, column = m.PlanOfferServiceKind, "offer_id"


LoaderT = TypeVar("LoaderT", bound=RequestLoader[Any])


class _Lazy(Generic[LoaderT]):
    """A `Loaders` attribute whose loader is created on first use (one per request)."""

    def __init__(self, loader_class: type[LoaderT]) -> None:
        self.loader_class = loader_class

    def __set_name__(self, _owner: type, name: str) -> None:
        self.name = name

    def __get__(self, loaders: Loaders, _owner: type) -> LoaderT:
        loader = loaders.get(self.loader_class)
        loaders.__dict__[self.name] = loader  # read from the instance from now on
        return loader


class Loaders:
    """Every loader of one request; built in the request context so caches never outlive it.

    The graph's core relations are attributes; an aggregate's own loaders are created on first
    use with `get(LoaderClass)`, so a new module never has to edit this container.
    """

    def __init__(self, db: RequestDb) -> None:
        self.db = db
        self._more: dict[type[RequestLoader[Any]], RequestLoader[Any]] = {}

    # The graph's relations: each created on first use, since most requests use a few.
    customer = _Lazy(CustomerByIdLoader)
    address = _Lazy(AddressByIdLoader)
    contact = _Lazy(ContactByIdLoader)
    plan = _Lazy(PlanByIdLoader)
    plan_offer = _Lazy(PlanOfferByIdLoader)
    tv_package = _Lazy(TvPackageByIdLoader)
    tv_point = _Lazy(TvPointByIdLoader)
    tv_package_subscription = _Lazy(TvPackageSubscriptionByIdLoader)
    tv_point_location = _Lazy(TvPointLocationByIdLoader)
    equipment = _Lazy(EquipmentByIdLoader)
    channel = _Lazy(ChannelByIdLoader)
    extra_service_definition = _Lazy(ExtraServiceDefinitionByIdLoader)
    contract_template = _Lazy(ContractTemplateByIdLoader)
    billing_form = _Lazy(BillingFormByIdLoader)
    bank = _Lazy(BankByIdLoader)
    ip_pool = _Lazy(IpPoolByIdLoader)
    technician = _Lazy(TechnicianByIdLoader)
    role = _Lazy(RoleByIdLoader)
    receivable = _Lazy(ReceivableByIdLoader)
    service = _Lazy(ServiceByIdLoader)
    addresses_by_customer = _Lazy(AddressesByCustomerIdLoader)
    contacts_by_customer = _Lazy(ContactsByCustomerIdLoader)
    extra_fields_by_customer = _Lazy(ExtraFieldsByCustomerIdLoader)
    extra_fields_by_plan = _Lazy(ExtraFieldsByPlanIdLoader)
    plans_by_customer = _Lazy(PlansByCustomerIdLoader)
    receivables_by_customer = _Lazy(ReceivablesByCustomerIdLoader)
    receivables_by_plan = _Lazy(ReceivablesByPlanIdLoader)
    contract_by_plan = _Lazy(ContractByPlanIdLoader)
    address_history_by_plan = _Lazy(AddressHistoryByPlanIdLoader)
    appointments_by_plan = _Lazy(AppointmentsByPlanIdLoader)
    services_by_plan = _Lazy(ServicesByPlanIdLoader)
    tv_packages_by_plan = _Lazy(TvPackageSubscriptionsByPlanIdLoader)
    tv_points_by_plan = _Lazy(TvPointsByPlanIdLoader)
    tv_point_history = _Lazy(TvPointHistoryByPointIdLoader)
    channels_by_package = _Lazy(ChannelsByPackageIdLoader)
    service_kinds_by_offer = _Lazy(ServiceKindsByOfferIdLoader)

    def get(self, loader_class: type[LoaderT]) -> LoaderT:
        """This request's instance of `loader_class`, created on first use."""
        loader = self._more.get(loader_class)
        if loader is None:
            loader = self._more[loader_class] = loader_class(self.db)
        return loader  # type: ignore[return-value]

    def clear_all(self) -> None:
        """Forget every cached row: after a write, what the loaders hold may be stale."""
        for loader in self._more.values():
            loader.clear_all()
