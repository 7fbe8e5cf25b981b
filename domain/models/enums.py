"""Every status and kind of the domain, as Python enums (stored by member name)."""

from __future__ import annotations

import enum


class CustomerKind(enum.Enum):
    PERSON = "PERSON"  # pessoa física, CPF
    COMPANY = "COMPANY"  # pessoa jurídica, CNPJ


class PhoneKind(enum.Enum):
    LANDLINE = "LANDLINE"  # telefone fixo
    MOBILE = "MOBILE"  # celular


class ExtraFieldType(enum.Enum):
    STRING = "STRING"
    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"


class PlanStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    CANCELLED = "CANCELLED"


class InactiveReason(enum.Enum):
    SUSPENDED = "SUSPENDED"  # debt
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    AWAITING_INSTALLATION = "AWAITING_INSTALLATION"


class PaymentMethod(enum.Enum):
    BOLETO = "BOLETO"
    CREDIT_CARD = "CREDIT_CARD"
    BANK_DEBIT = "BANK_DEBIT"
    PHONE_BILL_DEBIT = "PHONE_BILL_DEBIT"


class SpeedState(enum.Enum):
    NORMAL = "NORMAL"
    REDUCED = "REDUCED"
    TEMPORARILY_RESTORED = "TEMPORARILY_RESTORED"


class DueDateAdjustmentKind(enum.Enum):
    SURCHARGE = "SURCHARGE"  # acréscimo: the due date moves later
    DISCOUNT = "DISCOUNT"  # desconto: the due date moves earlier


class AddressRole(enum.Enum):
    INSTALLATION = "INSTALLATION"
    BILLING = "BILLING"


class AppointmentStatus(enum.Enum):
    SCHEDULED = "SCHEDULED"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class ServiceKind(enum.Enum):
    EMAIL = "EMAIL"
    EMAIL_ALIAS = "EMAIL_ALIAS"
    RADIUS_LOGIN = "RADIUS_LOGIN"
    IP = "IP"
    VOICE_TERMINAL = "VOICE_TERMINAL"
    ONU = "ONU"
    DOMAIN = "DOMAIN"
    CIRCUIT = "CIRCUIT"
    EXTRA_SERVICE = "EXTRA_SERVICE"
    ANTIVIRUS = "ANTIVIRUS"


class ServiceStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DISABLED = "DISABLED"  # a login or e-mail turned off, e.g. when its plan is cancelled
    CANCELLED = "CANCELLED"


class AntivirusStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    DELETED = "DELETED"  # the licence was deleted (its service ended): it protects nothing


class BillingType(enum.Enum):
    ONE_TIME = "ONE_TIME"
    INSTALLMENTS = "INSTALLMENTS"
    MONTHLY = "MONTHLY"


class StartDateRule(enum.Enum):
    TODAY = "TODAY"
    NEXT_DUE_DATE = "NEXT_DUE_DATE"
    FIRST_DAY_NEXT_MONTH = "FIRST_DAY_NEXT_MONTH"


class RegistrationCondition(enum.Enum):
    """Conditions a registration rule (regra de cadastro) checks when a plan is finalized."""

    CUSTOMER_HAS_CPF = "CUSTOMER_HAS_CPF"
    CUSTOMER_HAS_CNPJ = "CUSTOMER_HAS_CNPJ"
    CUSTOMER_HAS_EMAIL = "CUSTOMER_HAS_EMAIL"
    CUSTOMER_HAS_PHONE = "CUSTOMER_HAS_PHONE"
    CUSTOMER_HAS_CONTACT = "CUSTOMER_HAS_CONTACT"
    NO_OVERDUE_RECEIVABLES = "NO_OVERDUE_RECEIVABLES"


class SyncState(enum.Enum):
    PENDING = "PENDING"
    SYNCED = "SYNCED"
    FAILED = "FAILED"


class TvPointStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


class TvPointEvent(enum.Enum):
    ADDED = "ADDED"
    LOCATION_CHANGED = "LOCATION_CHANGED"
    EQUIPMENT_SWAPPED = "EQUIPMENT_SWAPPED"
    COMMAND_SENT = "COMMAND_SENT"
    REMOVED = "REMOVED"


class SetTopBoxCommand(enum.Enum):
    REFRESH = "REFRESH"
    RESET_PARENTAL_KEY = "RESET_PARENTAL_KEY"


class ReceivableOrigin(enum.Enum):
    PLAN_CYCLE = "PLAN_CYCLE"
    INSTALLATION_FEE = "INSTALLATION_FEE"
    EXTRA_SERVICE = "EXTRA_SERVICE"
    TV_EXTRA_PACKAGE = "TV_EXTRA_PACKAGE"
    SMS_CREDIT = "SMS_CREDIT"
    DUE_DATE_ADJUSTMENT = "DUE_DATE_ADJUSTMENT"


class ReceivableStatus(enum.Enum):
    OPEN = "OPEN"
    PAID = "PAID"
    CANCELLED = "CANCELLED"


class BillingEventKind(enum.Enum):
    TV_EXTRA_PACKAGE = "TV_EXTRA_PACKAGE"


class BillingEventStatus(enum.Enum):
    PENDING = "PENDING"
    PROCESSED = "PROCESSED"


class TicketStatus(enum.Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    CLOSED = "CLOSED"


class CallTermination(enum.Enum):
    """Where a call ended: the six categories of manual 004's minute franchises (ADR 0110)."""

    FIXED_LOCAL = "FIXED_LOCAL"
    FIXED_LONG_DISTANCE = "FIXED_LONG_DISTANCE"
    MOBILE_LOCAL = "MOBILE_LOCAL"
    MOBILE_LONG_DISTANCE = "MOBILE_LONG_DISTANCE"
    INTERNATIONAL_FIXED = "INTERNATIONAL_FIXED"
    INTERNATIONAL_MOBILE = "INTERNATIONAL_MOBILE"


class FranchiseCategory(enum.Enum):
    FIXED_LOCAL = "FIXED_LOCAL"
    FIXED_LDN = "FIXED_LDN"
    MOBILE_LOCAL = "MOBILE_LOCAL"
    MOBILE_LDN = "MOBILE_LDN"
    INTERNATIONAL_FIXED = "INTERNATIONAL_FIXED"
    INTERNATIONAL_MOBILE = "INTERNATIONAL_MOBILE"


class VoicePermission(enum.Enum):
    CHANGE_SIMULTANEOUS_IP_LINES = "CHANGE_SIMULTANEOUS_IP_LINES"
    VIEW_CALL_RECORDS = "VIEW_CALL_RECORDS"
    MANAGE_EXTENSIONS = "MANAGE_EXTENSIONS"
    CHANGE_PANEL_PASSWORD = "CHANGE_PANEL_PASSWORD"


class VoiceLineStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"
    CANCELLED = "CANCELLED"


class OutboxStatus(enum.Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
