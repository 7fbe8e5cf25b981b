"""Deterministic demo and benchmark data: the catalog plus N customers with everything below them.

The same (customers, seed) gives the same rows on SQLite and PostgreSQL: every random choice
comes from one `random.Random(seed)`, every timestamp from a fixed base date, and every primary
key is assigned here. Rows are built as dicts and written with Core bulk inserts in foreign-key
order, in one transaction; 10,000 customers take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain import models as m
from domain import seed_catalog as cat
from domain.models.enums import (
    AddressRole,
    AntivirusStatus,
    AppointmentStatus,
    BillingType,
    CallTermination,
    CustomerKind,
    ExtraFieldType,
    FranchiseCategory,
    InactiveReason,
    PaymentMethod,
    PhoneKind,
    PlanStatus,
    ReceivableOrigin,
    ReceivableStatus,
    ServiceKind,
    ServiceStatus,
    SpeedState,
    SyncState,
    TicketStatus,
    TvPointEvent,
    TvPointStatus,
    VoiceLineStatus,
    VoicePermission,
)
from domain.rules import boleto as boleto_rules
from domain.rules.documents import generate_cnpj, generate_cpf
from domain.rules.franchise import LOCAL_OF

# The day a seed run takes for "today" unless told otherwise: tests and benchmarks seed at this
# fixed date, so their data never changes; `gateway seed` and the demo seed at the real today.
FIXED_TODAY = dt.date(2026, 1, 1)
CHUNK = 5000
# Marks seeded credentials as placeholders: real hashes come from the password service.
PLACEHOLDER_HASH = "seed-placeholder$"
ACTOR = "seed"


@dataclass
class SeedReport:
    """What a seed run wrote: rows per table and how long it took."""

    rows: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0


class _Rows:
    """Rows to insert, per table, with the next id of each table."""

    def __init__(self) -> None:
        self.by_table: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self._next: dict[str, int] = defaultdict(lambda: 1)

    def add(self, model: Any, **values: Any) -> int:
        """Adds a row with the next id of `model`'s table (services share the base's ids)."""
        table = model.__table__
        if "id" in table.c and "id" not in values:
            key = "service" if issubclass(model, m.Service) else table.name
            values["id"] = self._next[key]
            self._next[key] += 1
        self.by_table[table].append(values)
        return values.get("id", 0)

    def add_plain(self, model: Any, **values: Any) -> None:
        self.by_table[model.__table__].append(values)


def _money(value: str | float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _slug(text_value: str) -> str:
    table = str.maketrans("áàâãéêíóôõúüçÁÀÂÃÉÊÍÓÔÕÚÜÇ", "aaaaeeiooouucAAAAEEIOOOUUC")
    return "".join(ch for ch in text_value.translate(table).lower() if ch.isalnum())


def _add_months(day: dt.date, months: int, due_day: int) -> dt.date:
    month_index = day.month - 1 + months
    return dt.date(day.year + month_index // 12, month_index % 12 + 1, due_day)


class _Catalog:
    """The catalog's ids and the facts about them the customer generator needs."""

    def __init__(self, rows: _Rows) -> None:
        self.package_ids: dict[str, int] = {}
        self.package_values: dict[int, Decimal] = {}
        self.extra_package_ids: list[int] = []
        channel_ids: dict[str, list[int]] = {}
        number = 1
        for family, names in cat.CHANNEL_FAMILIES.items():
            channel_ids[family] = []
            for name in names:
                channel_ids[family].append(
                    rows.add(m.Channel, name=name, number=number, family=family)
                )
                number += 1
        names_by_id = {
            cid: name
            for family, names in cat.CHANNEL_FAMILIES.items()
            for cid, name in zip(channel_ids[family], names, strict=True)
        }
        for name, value, is_extra in cat.TV_PACKAGES:
            package_id = rows.add(
                m.TvPackage,
                name=name,
                value=_money(value),
                is_extra=is_extra,
                platform_code=f"BNS-{_slug(name).upper()}",
            )
            self.package_ids[name] = package_id
            self.package_values[package_id] = _money(value)
            if is_extra:
                self.extra_package_ids.append(package_id)
            for entry in cat.PACKAGE_FAMILIES[name]:
                family, _, prefix = entry.partition(":")
                for channel_id in channel_ids[family]:
                    if not prefix or names_by_id[channel_id].startswith(prefix):
                        rows.add_plain(
                            m.TvPackageChannel, package_id=package_id, channel_id=channel_id
                        )

        self.pool_ids: dict[str, int] = {}
        self.pool_hosts: dict[int, Any] = {}
        for name, network, gateway in cat.IP_POOLS:
            pool_id = rows.add(m.IpPool, name=name, network=network, gateway=gateway)
            self.pool_ids[name] = pool_id
            # Host addresses after the gateway, handed out in order.
            self.pool_hosts[pool_id] = ipaddress.ip_network(network).hosts()
            next(self.pool_hosts[pool_id])

        self.offers: list[dict[str, Any]] = []
        for (
            name,
            price,
            down,
            up,
            kinds,
            requires_domain,
            tv_package,
            restoration,
            initial_status,
            initial_reason,
            pool,
        ) in cat.OFFERS:
            offer_id = rows.add(
                m.PlanOffer,
                name=name,
                price=_money(price),
                download_kbps=down * 1000,
                upload_kbps=up * 1000,
                requires_domain=requires_domain,
                is_tv_offer=tv_package is not None,
                default_tv_package_id=self.package_ids.get(tv_package) if tv_package else None,
                allows_speed_restoration=restoration,
                initial_status=initial_status,
                initial_inactive_reason=initial_reason,
                ip_pool_id=self.pool_ids.get(pool) if pool else None,
                active=True,
            )
            for kind in kinds:
                rows.add_plain(m.PlanOfferServiceKind, offer_id=offer_id, kind=kind)
            self.offers.append(
                {
                    "id": offer_id,
                    "name": name,
                    "price": _money(price),
                    "kinds": set(kinds),
                    "requires_domain": requires_domain,
                    "tv_package_id": self.package_ids.get(tv_package) if tv_package else None,
                    "pool_id": self.pool_ids.get(pool) if pool else None,
                    "business": name.startswith("Empresarial"),
                }
            )

        self.extra_definitions: list[dict[str, Any]] = []
        for name, value, billing_type, rule in cat.EXTRA_SERVICES:
            definition_id = rows.add(
                m.ExtraServiceDefinition,
                name=name,
                default_value=_money(value),
                billing_type=billing_type,
                start_date_rule=rule,
                active=True,
            )
            self.extra_definitions.append(
                {"id": definition_id, "value": _money(value), "billing_type": billing_type}
            )
        self.location_ids = [
            rows.add(m.TvPointLocation, name=name) for name in cat.TV_POINT_LOCATIONS
        ]
        self.template_ids = [
            rows.add(m.ContractTemplate, name=name, body=body, active=True)
            for name, body in cat.CONTRACT_TEMPLATES
        ]
        self.billing_form_ids: dict[PaymentMethod, int] = {}
        for name, method, closing, interval, overdue in cat.BILLING_FORMS:
            self.billing_form_ids[method] = rows.add(
                m.BillingForm,
                name=name,
                payment_method=method,
                closing_day=closing,
                restoration_min_interval_days=interval,
                restoration_max_days_overdue=overdue,
            )
        self.bank_ids = [rows.add(m.Bank, code=code, name=name) for code, name in cat.BANKS]
        role_ids = [rows.add(m.Role, name=name) for name in cat.ROLES]
        self.role_ids = role_ids
        self.technician_ids = [
            rows.add(m.Technician, name=name, role_id=role_ids[role], active=True)
            for name, role in cat.TECHNICIANS
        ]
        for key, value, description in cat.SYSTEM_VARIABLES:
            rows.add_plain(m.SystemVariable, key=key, value=value, description=description)
        for name, condition, message in cat.REGISTRATION_RULES:
            rows.add(
                m.RegistrationRule, name=name, condition=condition, message=message, active=True
            )
        self.sms_credit_ids = [
            rows.add(m.SmsCreditValue, credits=credits, price=_money(price))
            for credits, price in cat.SMS_CREDIT_VALUES
        ]
        self.email_domain = next(v for k, v, _ in cat.SYSTEM_VARIABLES if k == "email_domain")
        for index, address in enumerate(cat.NAS, start=1):
            rows.add(
                m.Nas,
                nasname=address,
                shortname=f"bras-{index}",
                type="other",
                secret=cat.NAS_SECRET,
                description=f"BRAS {index}",
                coa_host=cat.NAS_COA[0],
                coa_port=cat.NAS_COA[1],
            )


class _Generator:
    """Builds every row of N customers from one random stream."""

    def __init__(self, rows: _Rows, catalog: _Catalog, rng: random.Random, today: dt.date) -> None:
        self.rows = rows
        self.catalog = catalog
        self.rng = rng
        # Every generated date is relative to the run's today, so the demo follows the calendar.
        self.base_date = today
        self.base_time = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
        self.documents: set[str] = set()
        self.technician_slots: dict[int, int] = defaultdict(int)
        self.equipment_count = 0
        self.counters: dict[str, int] = defaultdict(int)

    def _next(self, name: str) -> int:
        self.counters[name] += 1
        return self.counters[name]

    def _document(self, kind: CustomerKind) -> str:
        while True:
            doc = generate_cpf(self.rng) if kind is CustomerKind.PERSON else generate_cnpj(self.rng)
            if doc not in self.documents:
                self.documents.add(doc)
                return doc

    def _at(self, max_days: int, *, after: dt.datetime | None = None) -> dt.datetime:
        after = self.base_time if after is None else after
        return after + dt.timedelta(minutes=self.rng.randrange(max_days * 24 * 60))

    def _phone(self, mobile: bool) -> str:
        area = self.rng.choice(["11", "19", "41", "48", "51", "31", "21", "71", "81", "62"])
        if mobile:
            return f"+55{area}9{self.rng.randrange(10**8):08d}"
        return f"+55{area}3{self.rng.randrange(10**7):07d}"

    def equipment(self) -> int:
        self.equipment_count += 1
        n = self.equipment_count
        return self.rows.add(
            m.Equipment,
            casn=f"{100_000_000_000 + n * 7919:012d}",
            description=self.rng.choice(
                ["Set-top box 4K Android TV", "Set-top box HD", "Set-top box 4K HDR"]
            ),
            asset_tag=f"PAT-{n:07d}",
            serial=f"STB{n:09d}",
            internal_code=f"EQ-{self.rng.choice(['4K', 'HD'])}-{n % 97:02d}",
            smartcard=f"SC{n:012d}",
        )

    def customer(self) -> None:
        rng = self.rng
        kind = CustomerKind.COMPANY if rng.random() < 0.2 else CustomerKind.PERSON
        first, last = rng.choice(cat.FIRST_NAMES), rng.choice(cat.SURNAMES)
        if kind is CustomerKind.PERSON:
            name = f"{first} {rng.choice(cat.SURNAMES)} {last}"
            trade_name = None
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
        else:
            trade_name = f"{rng.choice(cat.COMPANY_WORDS)} {last}"
            name = f"{trade_name} {rng.choice(cat.COMPANY_SUFFIXES)}"
            birth = None
        created = self._at(300, after=self.base_time - dt.timedelta(days=900))
        customer_receivables = len(self.rows.by_table[m.Receivable.__table__])
        email = f"{_slug(first)}.{_slug(last)}{self._next('email')}@example.com.br"
        document = self._document(kind)
        principal_email = email if rng.random() < 0.92 else None
        landline = self._phone(False) if rng.random() < 0.6 else None
        mobile = self._phone(True)
        customer_id = self.rows.add(
            m.Customer,
            kind=kind,
            name=name,
            trade_name=trade_name,
            document=document,
            email=principal_email,
            phone=landline,
            mobile_phone=mobile,
            birth_date=birth,
            created_at=created,
        )
        if principal_email is not None:
            self.rows.add(
                m.CustomerEmail, customer_id=customer_id, address=principal_email, position=1
            )
        for position, (phone_kind, number) in enumerate(
            ((k, n) for k, n in ((PhoneKind.LANDLINE, landline), (PhoneKind.MOBILE, mobile)) if n),
            start=1,
        ):
            self.rows.add(
                m.CustomerPhone,
                customer_id=customer_id,
                kind=phone_kind,
                number=number,
                position=position,
            )
        city, state, cep_prefix, districts = rng.choice(cat.CITIES)
        address_ids = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            address_ids.append(
                self.rows.add(
                    m.Address,
                    customer_id=customer_id,
                    cep=f"{cep_prefix}{rng.randrange(1000):03d}",
                    street=rng.choice(cat.STREETS),
                    number=str(rng.randrange(1, 3000)),
                    complement=rng.choice([None, None, "Apto 12", "Casa 2", "Sala 301", "Fundos"]),
                    district=rng.choice(districts),
                    city=city,
                    state=state,
                    created_at=created,
                )
            )
        contact_ids = [
            self.rows.add(
                m.Contact,
                customer_id=customer_id,
                name=f"{rng.choice(cat.FIRST_NAMES)} {rng.choice(cat.SURNAMES)}",
                phone=self._phone(True),
                email=None
                if rng.random() < 0.5
                else f"contato{self._next('contact')}@example.com.br",
                role=rng.choice(cat.CONTACT_ROLES),
            )
            for _ in range(rng.randrange(4))
        ]
        if rng.random() < 0.3:
            self.rows.add(
                m.ExtraField,
                customer_id=customer_id,
                name="Indicação",
                value_type=ExtraFieldType.STRING,
                value=rng.choice(["Site", "Vizinho", "Rádio", "Instagram"]),
                updated_at=created,
            )
        tv_synced = False
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            tv_synced |= self.plan(customer_id, kind, name, address_ids, contact_ids, created)
        if tv_synced:
            # What the TV platform returned on the first sync (manual 002).
            for field_name, value in (
                ("ID Assinante", str(500_000 + customer_id)),
                ("Auth Pin Assinante", f"{rng.randrange(10_000):04d}"),
            ):
                self.rows.add(
                    m.ExtraField,
                    customer_id=customer_id,
                    name=field_name,
                    value_type=ExtraFieldType.STRING,
                    value=value,
                    updated_at=created,
                )
        if rng.random() < 0.3:
            self.tickets(customer_id, name, contact_ids)
        if customer_id % 3:
            self._settle(customer_receivables)

    def _settle(self, first_row: int) -> None:
        """Most customers are up to date, so the demo's customers can take a new plan
        (NO_OVERDUE_RECEIVABLES): the receivables from `first_row` on (this customer's) end up
        paid on their due date. Done after the customer's draws, so every other seeded value
        stays as it was; a third of the customers keep their open, overdue ones."""
        for row in self.rows.by_table[m.Receivable.__table__][first_row:]:
            if row["status"] is ReceivableStatus.OPEN:
                row["status"] = ReceivableStatus.PAID
                row["paid_at"] = dt.datetime.combine(row["due_date"], dt.time(14), tzinfo=dt.UTC)
                row["paid_amount"] = row["amount"]

    def plan(
        self,
        customer_id: int,
        kind: CustomerKind,
        customer_name: str,
        address_ids: list[int],
        contact_ids: list[int],
        customer_created: dt.datetime,
    ) -> bool:
        rng = self.rng
        offers = [
            o
            for o in self.catalog.offers
            if o["business"] == (kind is CustomerKind.COMPANY)
            or (not o["business"] and rng.random() < 0.3)
        ]
        offer = rng.choice(offers or self.catalog.offers)
        roll = rng.random()
        reason = None
        cancelled_at = cancel_reason = None
        if roll < 0.72:
            status = PlanStatus.ACTIVE
        elif roll < 0.88:
            status = PlanStatus.INACTIVE
            reason = rng.choice(list(InactiveReason))
        else:
            status = PlanStatus.CANCELLED
        created = self._at(200, after=customer_created)
        if status is PlanStatus.CANCELLED:
            cancelled_at = self._at(120, after=created)
            cancel_reason = rng.choice(
                [
                    "Mudou de cidade",
                    "Preço",
                    "Insatisfeito com a velocidade",
                    "Contratou outro provedor",
                ]
            )
        method = rng.choices(list(PaymentMethod), weights=(60, 20, 12, 8))[0]
        bank_id = branch = account = phone_account = None
        if method is PaymentMethod.BANK_DEBIT:
            bank_id = rng.choice(self.catalog.bank_ids)
            branch, account = (
                f"{rng.randrange(10000):04d}",
                f"{rng.randrange(10**7):07d}-{rng.randrange(10)}",
            )
        if method is PaymentMethod.PHONE_BILL_DEBIT:
            phone_account = f"{rng.randrange(10**10):010d}"
        installation = rng.choice(address_ids)
        billing = rng.choice(address_ids)
        due_day = rng.choice((5, 10, 15, 20, 25))
        plan_id = self.rows.add(
            m.Plan,
            customer_id=customer_id,
            offer_id=offer["id"],
            status=status,
            inactive_reason=reason,
            installation_address_id=installation,
            billing_address_id=billing,
            billing_form_id=self.catalog.billing_form_ids[method],
            payment_method=method,
            due_day=due_day,
            speed_state=SpeedState.REDUCED
            if reason is InactiveReason.SUSPENDED
            else SpeedState.NORMAL,
            bank_id=bank_id,
            bank_branch=branch,
            bank_account=account,
            bank_debit_authorized_at=created if bank_id else None,
            phone_bill_account=phone_account,
            created_at=created,
            cancelled_at=cancelled_at,
            cancel_reason=cancel_reason,
            version=1,
        )
        for role, address_id in (
            (AddressRole.INSTALLATION, installation),
            (AddressRole.BILLING, billing),
        ):
            self.rows.add(
                m.PlanAddressHistory,
                plan_id=plan_id,
                address_id=address_id,
                role=role,
                valid_from=created,
                valid_to=None,
            )
        self.rows.add(
            m.Contract,
            plan_id=plan_id,
            number=f"CT-{created.year}-{plan_id:07d}",
            sale_date=created.date(),
            installation_fee=_money(rng.choice(("0", "99.90", "150.00", "300.00"))),
            installation_installments=rng.choice((1, 1, 2, 3)),
            validity_months=rng.choice((12, 12, 24)),
            template_id=self.catalog.template_ids[1 if kind is CustomerKind.COMPANY else 0],
        )
        if reason is InactiveReason.AWAITING_INSTALLATION or rng.random() < 0.1:
            self.appointment(plan_id, contact_ids, created)
        ended = status is PlanStatus.CANCELLED
        self.services(plan_id, offer, customer_name, contact_ids, created, ended)
        self.receivables(customer_id, plan_id, offer["price"], due_day, created, status)
        if offer["tv_package_id"] is not None:
            self.tv(plan_id, offer, created, ended)
            return not ended
        return False

    def appointment(self, plan_id: int, contact_ids: list[int], created: dt.datetime) -> None:
        rng = self.rng
        technician_id = rng.choice(self.catalog.technician_ids)
        # Slots of one technician are handed out in order, four a day, so they never overlap.
        slot = self.technician_slots[technician_id]
        self.technician_slots[technician_id] += 1
        start = 8 + 2 * (slot % 4)
        self.rows.add(
            m.InstallationAppointment,
            plan_id=plan_id,
            technician_id=technician_id,
            role_id=None,
            contact_id=rng.choice(contact_ids) if contact_ids else None,
            date=self.base_date + dt.timedelta(days=slot // 4),
            start_time=dt.time(start, 0),
            end_time=dt.time(start + 2, 0),
            status=AppointmentStatus.SCHEDULED if slot % 3 else AppointmentStatus.DONE,
            notes=rng.choice([None, "Levar escada", "Portaria exige identificação"]),
        )

    def _service(
        self,
        model: Any,
        plan_id: int,
        kind: ServiceKind,
        created: dt.datetime,
        ended: bool,
        **detail: Any,
    ) -> int:
        status = ServiceStatus.DISABLED if ended else ServiceStatus.ACTIVE
        if kind in (ServiceKind.EXTRA_SERVICE, ServiceKind.ANTIVIRUS) and ended:
            status = ServiceStatus.CANCELLED
        service_id = self.rows.add(
            m.Service,
            plan_id=plan_id,
            kind=kind,
            status=status,
            created_at=created,
            ended_at=created + dt.timedelta(days=90) if ended else None,
        )
        self.rows.add(model, id=service_id, **detail)
        return service_id

    def services(
        self,
        plan_id: int,
        offer: dict[str, Any],
        customer_name: str,
        contact_ids: list[int],
        created: dt.datetime,
        ended: bool,
    ) -> None:
        rng, kinds = self.rng, offer["kinds"]
        first = _slug(customer_name.split()[0])
        domain = self.catalog.email_domain
        if ServiceKind.RADIUS_LOGIN in kinds:
            service_id = self._service(
                m.RadiusLogin,
                plan_id,
                ServiceKind.RADIUS_LOGIN,
                created,
                ended,
                login=f"{first}.{plan_id}",
                domain=f"{first}{plan_id}.com.br" if offer["requires_domain"] else None,
                password_hash=f"{PLACEHOLDER_HASH}{rng.getrandbits(64):016x}",
                fixed_ip=None,
            )
            self.sessions(f"{first}.{plan_id}", created, service_id)
        if ServiceKind.EMAIL in kinds and rng.random() < 0.7:
            email_id = self._service(
                m.EmailAccount,
                plan_id,
                ServiceKind.EMAIL,
                created,
                ended,
                login=f"{first}{plan_id}",
                domain=domain,
                password_hash=f"{PLACEHOLDER_HASH}{rng.getrandbits(64):016x}",
                quota_mb=rng.choice((1024, 2048, 5120)),
            )
            if ServiceKind.EMAIL_ALIAS in kinds and rng.random() < 0.3:
                self._service(
                    m.EmailAlias,
                    plan_id,
                    ServiceKind.EMAIL_ALIAS,
                    created,
                    ended,
                    email_id=email_id,
                    login=f"contato{plan_id}",
                    domain=domain,
                )
        # A full pool gives no more fixed IPs (as in the field): large seeds outgrow the pools.
        host = None
        if ServiceKind.IP in kinds and offer["pool_id"] and rng.random() < 0.6:
            host = next(self.catalog.pool_hosts[offer["pool_id"]], None)
        if host is not None:
            address = str(host)
            self._service(
                m.IpAssignment,
                plan_id,
                ServiceKind.IP,
                created,
                ended,
                pool_id=offer["pool_id"],
                address=address,
                released_at=created + dt.timedelta(days=90) if ended else None,
            )
        if ServiceKind.VOICE_TERMINAL in kinds and rng.random() < 0.5:
            number = f"+55{rng.choice(('11', '41', '48'))}3{self._next('phone'):07d}"
            terminal_id = self._service(
                m.VoiceTerminal,
                plan_id,
                ServiceKind.VOICE_TERMINAL,
                created,
                ended,
                phone_number=number,
                sip_username=f"sip{plan_id}",
            )
            self.calls(terminal_id, None, created)
        if ServiceKind.ONU in kinds and rng.random() < 0.8:
            self._service(
                m.Onu,
                plan_id,
                ServiceKind.ONU,
                created,
                ended,
                serial=f"FHTT{self._next('onu'):08X}",
                olt=rng.choice(cat.OLTS),
                pon_port=rng.randrange(16),
            )
        if ServiceKind.DOMAIN in kinds and (offer["requires_domain"] or rng.random() < 0.3):
            registered = rng.random() < 0.7
            self._service(
                m.HostedDomain,
                plan_id,
                ServiceKind.DOMAIN,
                created,
                ended,
                name=f"{first}{plan_id}.com.br",
                registered=registered,
                registration_years=rng.choice((1, 2, 3)) if registered else None,
                expires_on=(created + dt.timedelta(days=365)).date() if registered else None,
            )
        if ServiceKind.CIRCUIT in kinds:
            self._service(
                m.Circuit,
                plan_id,
                ServiceKind.CIRCUIT,
                created,
                ended,
                identifier=f"CIR-{self._next('circuit'):07d}",
                bandwidth_kbps=rng.choice((100_000, 200_000, 500_000)),
                endpoint_a="POP Centro",
                endpoint_b=f"Cliente {plan_id}",
            )
        if ServiceKind.EXTRA_SERVICE in kinds and rng.random() < 0.25:
            self.extra_service(plan_id, contact_ids, created, ended)
        if ServiceKind.ANTIVIRUS in kinds and rng.random() < 0.2:
            suspended = rng.random() < 0.2
            self._service(
                m.AntivirusLicense,
                plan_id,
                ServiceKind.ANTIVIRUS,
                created,
                ended,
                license_key=f"AV-{self._next('antivirus'):010d}",
                # An ended licence was deleted with its service (ADR 0113).
                license_status=AntivirusStatus.DELETED
                if ended
                else AntivirusStatus.SUSPENDED
                if suspended
                else AntivirusStatus.ACTIVE,
                seats=rng.choice((1, 3, 5)),
            )

    def extra_service(
        self, plan_id: int, contact_ids: list[int], created: dt.datetime, ended: bool
    ) -> None:
        rng = self.rng
        definition = rng.choice(self.catalog.extra_definitions)
        installments = (
            1 if definition["billing_type"] is BillingType.ONE_TIME else rng.choice((1, 3, 6))
        )
        first_due = (created + dt.timedelta(days=30)).date().replace(day=10)
        value = definition["value"]
        service_id = self._service(
            m.ExtraService,
            plan_id,
            ServiceKind.EXTRA_SERVICE,
            created,
            ended,
            definition_id=definition["id"],
            value=value,
            complement=rng.choice([None, "Conforme orçamento", "Cômodo adicional"]),
            start_date=created.date(),
            billing_type=definition["billing_type"],
            first_due_date=first_due,
            installments=installments,
            contact_id=rng.choice(contact_ids) if contact_ids else None,
            notes=rng.choice([None, "Cliente solicitou por telefone"]),
        )
        share = _money(value / installments)
        customer_id = self.rows.by_table[m.Customer.__table__][-1]["id"]
        for number in range(1, installments + 1):
            due = _add_months(first_due, number - 1, 10)
            billed = due <= self.base_date + dt.timedelta(days=60)
            if ended and not billed:
                continue  # cancelling dropped the installments not yet billed
            self.rows.add(
                m.Receivable,
                customer_id=customer_id,
                plan_id=plan_id,
                extra_service_id=service_id,
                invoice_id=None,
                origin=ReceivableOrigin.EXTRA_SERVICE,
                description=f"Serviço extra {number}/{installments}",
                installment_number=number,
                amount=share,
                due_date=due,
                status=ReceivableStatus.OPEN,
                billed_at=self.base_time if billed else None,
                paid_at=None,
                paid_amount=None,
                created_at=created,
            )

    def tv(self, plan_id: int, offer: dict[str, Any], created: dt.datetime, ended: bool) -> None:
        rng = self.rng
        sync = (
            SyncState.SYNCED
            if rng.random() < 0.9
            else rng.choice((SyncState.PENDING, SyncState.FAILED))
        )
        end_date = (created + dt.timedelta(days=90)).date() if ended else None
        default_package = offer["tv_package_id"]
        self.rows.add(
            m.TvPackageSubscription,
            plan_id=plan_id,
            package_id=default_package,
            value=self.catalog.package_values[default_package],
            start_date=created.date(),
            end_date=end_date,
            is_default=True,
            sync_state=sync,
            sync_error="Plataforma indisponível (HTTP 503)" if sync is SyncState.FAILED else None,
            created_at=created,
        )
        for package_id in rng.sample(self.catalog.extra_package_ids, rng.choice((0, 0, 1, 2))):
            value = self.catalog.package_values[package_id]
            self.rows.add(
                m.TvPackageSubscription,
                plan_id=plan_id,
                package_id=package_id,
                value=value if rng.random() < 0.8 else _money(value * Decimal("0.8")),
                start_date=(created + dt.timedelta(days=rng.randrange(60))).date(),
                end_date=end_date,
                is_default=False,
                sync_state=SyncState.SYNCED,
                sync_error=None,
                created_at=created,
            )
        for _ in range(rng.choice((1, 1, 2, 3))):
            equipment_id = self.equipment()
            location_id = rng.choice(self.catalog.location_ids)
            point_id = self.rows.add(
                m.TvPoint,
                plan_id=plan_id,
                location_id=location_id,
                equipment_id=equipment_id,
                status=TvPointStatus.REMOVED if ended else TvPointStatus.ACTIVE,
                platform_device_id=f"dev-{equipment_id:07d}",
                sync_state=SyncState.SYNCED,
                sync_error=None,
                created_at=created,
                removed_at=created + dt.timedelta(days=90) if ended else None,
            )
            self.rows.add(
                m.TvPointHistory,
                tv_point_id=point_id,
                event=TvPointEvent.ADDED,
                from_location_id=None,
                to_location_id=location_id,
                from_equipment_id=None,
                to_equipment_id=equipment_id,
                detail=None,
                actor=ACTOR,
                at=created,
            )
            if rng.random() < 0.2:
                new_location = rng.choice(self.catalog.location_ids)
                self.rows.add(
                    m.TvPointHistory,
                    tv_point_id=point_id,
                    event=TvPointEvent.LOCATION_CHANGED,
                    from_location_id=location_id,
                    to_location_id=new_location,
                    from_equipment_id=None,
                    to_equipment_id=None,
                    detail=None,
                    actor=ACTOR,
                    at=created + dt.timedelta(days=10),
                )
                self.rows.by_table[m.TvPoint.__table__][-1]["location_id"] = new_location
            if ended:
                self.rows.add(
                    m.TvPointHistory,
                    tv_point_id=point_id,
                    event=TvPointEvent.REMOVED,
                    from_location_id=None,
                    to_location_id=None,
                    from_equipment_id=equipment_id,
                    to_equipment_id=None,
                    detail="Plano cancelado",
                    actor=ACTOR,
                    at=created + dt.timedelta(days=90),
                )

    def receivables(
        self,
        customer_id: int,
        plan_id: int,
        price: Decimal,
        due_day: int,
        created: dt.datetime,
        status: PlanStatus,
    ) -> None:
        rng = self.rng
        cycles = 2 if status is PlanStatus.CANCELLED else rng.randrange(3, 7)
        first_due = _add_months(created.date(), 1, due_day)
        if status is not PlanStatus.CANCELLED:
            # A live plan's cycles are its last months, the newest due next month: open, not
            # yet due, so the portal's second copy works on the demo.
            first_due = max(first_due, _add_months(self.base_date, 2 - cycles, due_day))
        paid_ids = []
        for cycle in range(cycles):
            due = _add_months(first_due, cycle, due_day)
            last = cycle == cycles - 1
            paid = not last and rng.random() < 0.9
            paid_at = (
                dt.datetime.combine(due, dt.time(14), tzinfo=dt.UTC)
                - dt.timedelta(days=rng.randrange(5))
                if paid
                else None
            )
            receivable_id = self.rows.add(
                m.Receivable,
                customer_id=customer_id,
                plan_id=plan_id,
                extra_service_id=None,
                invoice_id=None,
                origin=ReceivableOrigin.PLAN_CYCLE,
                description=f"Mensalidade {due:%m/%Y}",
                installment_number=None,
                amount=price,
                due_date=due,
                status=ReceivableStatus.PAID if paid else ReceivableStatus.OPEN,
                billed_at=dt.datetime.combine(due, dt.time(0), tzinfo=dt.UTC)
                - dt.timedelta(days=10),
                paid_at=paid_at,
                paid_amount=price if paid else None,
                created_at=created,
            )
            if paid:
                paid_ids.append(receivable_id)
            elif rng.random() < 0.5:
                # A real slip (FEBRABAN check digits) from the catalog's first bank, "001".
                our_number = boleto_rules.our_number_of(receivable_id, 1)
                computed = boleto_rules.slip(cat.BANKS[0][0], due, price, our_number)
                self.rows.add(
                    m.Boleto,
                    receivable_id=receivable_id,
                    bank_id=self.catalog.bank_ids[0],
                    our_number=our_number,
                    digitable_line=computed.digitable_line,
                    barcode=computed.barcode,
                    due_date=due,
                    amount=price,
                    issued_at=self.base_time,
                )
        if paid_ids and rng.random() < 0.4:
            receivable_rows = self.rows.by_table[m.Receivable.__table__]
            number = self._next("invoice")
            invoice_id = self.rows.add(
                m.Invoice,
                customer_id=customer_id,
                number=f"NF-{number:08d}",
                issued_on=self.base_date,
                amount=price * len(paid_ids),
                xml_document=(
                    f'<?xml version="1.0" encoding="UTF-8"?><NFe><infNFe Id="NFe{number:08d}">'
                    f"<total><vNF>{price * len(paid_ids)}</vNF></total></infNFe></NFe>"
                ),
            )
            for row in receivable_rows[-cycles:]:
                if row["id"] in paid_ids:
                    row["invoice_id"] = invoice_id

    def sessions(self, login: str, created: dt.datetime, service_id: int) -> None:
        rng = self.rng
        for index in range(rng.randrange(4)):
            start = self._at(60, after=created)
            duration = rng.randrange(60, 86_400)
            self.rows.add_plain(
                m.ConnectionSession,
                radacctid=self._next("radacct"),
                acctsessionid=f"{service_id:08X}{index:04X}",
                acctuniqueid=f"{self.counters['radacct']:032x}",
                username=login,
                realm=None,
                nasipaddress=rng.choice(cat.NAS),
                nasportid=f"pon{rng.randrange(16)}",
                acctstarttime=start,
                acctupdatetime=start + dt.timedelta(seconds=duration),
                acctstoptime=start + dt.timedelta(seconds=duration),
                acctsessiontime=duration,
                acctinputoctets=rng.randrange(10**6, 10**10),
                acctoutputoctets=rng.randrange(10**7, 10**11),
                callingstationid=":".join(f"{rng.randrange(256):02X}" for _ in range(6)),
                acctterminatecause=rng.choice(cat.TERMINATE_CAUSES),
                framedipaddress=f"100.64.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            )
            self._attempts(login, start, service_id, index)

    def _attempts(self, login: str, start: dt.datetime, service_id: int, index: int) -> None:
        """The authentication attempts (radpostauth) before a session: its Access-Accept, and
        for one login in seven some Access-Rejects first. Derived from the session, drawing
        nothing from the random stream, so the rest of the data stays as it was."""
        session = self.rows.by_table[m.ConnectionSession.__table__][-1]
        rejects = 3 if service_id % 7 == 0 and index == 0 else 0
        for attempt in range(rejects + 1):
            self.rows.add_plain(
                m.RadPostAuth,
                id=self._next("radpostauth"),
                username=login,
                reply="Access-Accept" if attempt == rejects else "Access-Reject",
                calledstationid=session["nasipaddress"],
                callingstationid=session["callingstationid"],
                authdate=start - dt.timedelta(seconds=60 * (rejects - attempt) + 1),
            )

    def calls(self, terminal_id: int | None, line_id: int | None, created: dt.datetime) -> None:
        rng = self.rng
        t = CallTermination
        rates = {
            t.FIXED_LOCAL: "0.05",
            t.FIXED_LONG_DISTANCE: "0.15",
            t.MOBILE_LOCAL: "0.35",
            t.MOBILE_LONG_DISTANCE: "0.55",
            t.INTERNATIONAL_FIXED: "1.20",
            t.INTERNATIONAL_MOBILE: "1.60",
        }
        # Five draws as before (the random stream, and so every later row, stays the same);
        # an international call ends on a fixed or a mobile phone by turns.
        drawn = (*list(t)[:4], t.INTERNATIONAL_FIXED)
        for _ in range(rng.randrange(5)):
            termination = rng.choice(drawn)
            if termination is t.INTERNATIONAL_FIXED and self.counters["call"] % 2:
                termination = t.INTERNATIONAL_MOBILE
            self.counters["call"] += 1
            duration = rng.randrange(5, 1800)
            started_at = self._at(60, after=created)
            area, number = rng.choice(("11", "21", "41")), rng.randrange(10**8)
            abroad = termination in (t.INTERNATIONAL_FIXED, t.INTERNATIONAL_MOBILE)
            country = "+351" if abroad else "+55"
            self.rows.add(
                m.CallRecord,
                voice_terminal_id=terminal_id,
                voice_line_id=line_id,
                started_at=started_at,
                destination=f"{country}{area}{number:08d}",
                duration_seconds=duration,
                termination=termination,
                cost=_money(Decimal(rates[termination]) * ((duration + 59) // 60)),
            )

    def tickets(self, customer_id: int, customer_name: str, contact_ids: list[int]) -> None:
        rng = self.rng
        plans = [
            row["id"]
            for row in self.rows.by_table[m.Plan.__table__][-3:]
            if row["customer_id"] == customer_id
        ]
        for _ in range(rng.choice((1, 1, 2))):
            opened = self._at(300)
            status = rng.choice(list(TicketStatus))
            ticket_id = self.rows.add(
                m.Ticket,
                customer_id=customer_id,
                plan_id=rng.choice(plans) if plans else None,
                protocol=f"{opened:%Y%m%d}{self._next('ticket'):06d}",
                description=rng.choice(cat.TICKET_TEXTS),
                type=rng.choice(cat.TICKET_TYPES),
                status=status,
                opened_at=opened,
                closed_at=opened + dt.timedelta(hours=rng.randrange(1, 72))
                if status is TicketStatus.CLOSED
                else None,
            )
            contact_rows = {row["id"]: row for row in self.rows.by_table[m.Contact.__table__][-4:]}
            self.rows.add(
                m.TicketContact,
                ticket_id=ticket_id,
                contact_id=None,
                name=customer_name,
                position=1,
            )
            for position, contact_id in enumerate(contact_ids[:1], start=2):
                self.rows.add(
                    m.TicketContact,
                    ticket_id=ticket_id,
                    contact_id=contact_id,
                    name=contact_rows[contact_id]["name"],
                    position=position,
                )

    def voice(self) -> None:
        rng = self.rng
        for reseller_name, brand in cat.VOICE_RESELLERS:
            reseller_id = self.rows.add(
                m.VoiceReseller,
                name=reseller_name,
                document=self._document(CustomerKind.COMPANY),
                created_at=self.base_time,
            )
            sale_plans = [
                self.rows.add(
                    m.VoiceSalePlan, reseller_id=reseller_id, name=name, monthly_price=_money(price)
                )
                for name, price in (("Ramal Básico", "19.90"), ("Ramal Ilimitado Local", "49.90"))
            ]
            for index in range(5):
                kind = CustomerKind.COMPANY if index % 2 else CustomerKind.PERSON
                city, state, cep_prefix, districts = rng.choice(cat.CITIES)
                subscriber_id = self.rows.add(
                    m.VoiceSubscriber,
                    reseller_id=reseller_id,
                    sale_plan_id=rng.choice(sale_plans),
                    kind=kind,
                    name=f"{rng.choice(cat.COMPANY_WORDS)} {rng.choice(cat.SURNAMES)} Ltda"
                    if kind is CustomerKind.COMPANY
                    else f"{rng.choice(cat.FIRST_NAMES)} {rng.choice(cat.SURNAMES)}",
                    document=self._document(kind),
                    email=f"voz{self._next('voice')}@example.com.br",
                    phone=self._phone(True),
                    cep=f"{cep_prefix}{rng.randrange(1000):03d}",
                    street=rng.choice(cat.STREETS),
                    number=str(rng.randrange(1, 999)),
                    complement=None,
                    district=rng.choice(districts),
                    city=city,
                    state=state,
                    credit_limit=_money(rng.choice(("200", "500", "1000"))),
                    monthly_limit=_money(rng.choice(("100", "300", "800"))),
                    panel_username=f"{_slug(brand)}.{index + 1}",
                    panel_password_hash=f"{PLACEHOLDER_HASH}{rng.getrandbits(64):016x}",
                    created_at=self.base_time,
                )
                for extension in range(rng.randrange(1, 4)):
                    line_id = self.rows.add(
                        m.VoiceLine,
                        subscriber_id=subscriber_id,
                        number=f"+554130{self._next('voice_line'):06d}",
                        extension=str(200 + extension),
                        simultaneous_ip_lines=rng.choice((1, 2, 4)),
                        status=VoiceLineStatus.ACTIVE,
                    )
                    self.calls(None, line_id, self.base_time)
                categories = rng.sample(list(FranchiseCategory), 3)
                for category in categories:
                    local = LOCAL_OF.get(category)
                    self.rows.add(
                        m.VoiceFranchise,
                        subscriber_id=subscriber_id,
                        category=category,
                        minutes=rng.choice((100, 300, 1000)),
                        # Only with a local franchise to draw from (ADR 0110).
                        consumes_local=local is not None
                        and rng.random() < 0.5
                        and local in categories,
                    )
                for permission in rng.sample(list(VoicePermission), 2):
                    self.rows.add_plain(
                        m.VoiceSubscriberPermission,
                        subscriber_id=subscriber_id,
                        permission=permission,
                    )


def build_rows(
    customers: int,
    seed: int,
    today: dt.date = FIXED_TODAY,
    progress: Callable[[int], None] | None = None,
) -> _Rows:
    """Every row of a seed run, in memory; pure, so the same arguments give the same rows.

    `progress(n)` is told of every `n` customers made (for a progress bar)."""
    rng = random.Random(seed)
    rows = _Rows()
    catalog = _Catalog(rows)
    generator = _Generator(rows, catalog, rng, today)
    for number in range(1, customers + 1):
        generator.customer()
        if progress is not None and (number % 500 == 0 or number == customers):
            progress(500 if number % 500 == 0 else number % 500)
    generator.voice()
    for _ in range(20):  # spare boxes in stock, for adding TV points
        generator.equipment()
    return rows


async def _reset_sequences(connection: AsyncConnection) -> None:
    """PostgreSQL: move each serial past the ids the seed chose, so later inserts work."""
    for table in m.Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or pk[0].foreign_keys or pk[0] is not table.autoincrement_column:
            continue
        column = pk[0].name
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
                f"COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table.name}"
            )
        )


@dataclass
class SeedProgress:
    """What a seed run tells as it goes: customers made, then rows written (of `rows_total`)."""

    customers_made: Callable[[int], None] | None = None
    rows_to_write: Callable[[int], None] | None = None
    rows_written: Callable[[int], None] | None = None


async def seed_database(
    engine: AsyncEngine,
    *,
    customers: int,
    seed: int,
    today: dt.date = FIXED_TODAY,
    progress: SeedProgress | None = None,
) -> SeedReport:
    """Loads the catalog and `customers` customers into an empty, migrated database; every date
    is relative to `today`."""
    if customers < 0:
        raise ValueError("customers must be zero or more")
    progress = progress or SeedProgress()
    started = time.perf_counter()
    rows = build_rows(customers, seed, today, progress.customers_made)
    if progress.rows_to_write is not None:
        progress.rows_to_write(sum(len(table_rows) for table_rows in rows.by_table.values()))
    report = SeedReport()
    async with engine.begin() as connection:
        if await connection.scalar(select(func.count()).select_from(m.PlanOffer)):
            raise ValueError("the database already has a catalog: seed an empty database")
        for table in m.Base.metadata.sorted_tables:
            table_rows = rows.by_table.get(table, [])
            for start in range(0, len(table_rows), CHUNK):
                chunk = table_rows[start : start + CHUNK]
                await connection.execute(insert(table), chunk)
                if progress.rows_written is not None:
                    progress.rows_written(len(chunk))
            if table_rows:
                report.rows[table.name] = len(table_rows)
        if connection.dialect.name == "postgresql":
            await _reset_sequences(connection)
    report.elapsed_seconds = time.perf_counter() - started
    return report
