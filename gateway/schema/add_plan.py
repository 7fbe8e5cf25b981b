"""addPlan (the whole "Novo Plano Cliente" wizard) and validateAddPlan (its checks alone)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.actions import add_plan as actions
from domain.actions.plans import BankDetails
from gateway.schema.base import PaymentMethod
from gateway.schema.errors import (
    AnyUserError,
)
from gateway.schema.plan_lifecycle import (
    AddressChoiceInput,
    AppointmentInput,
    ContractDetailsInput,
    key,
)
from gateway.schema.plans import PlanType
from gateway.schema.service_actions import PasswordStrengthType


@strawberry.input(description="A mailbox login@domain; the domain defaults to the ISP's.")
class EmailLoginInput:
    login: str = strawberry.field(
        description="The part before the @: 1 to 64 of a-z, 0-9, '.', '_', '-' (stored "
        "lower-case); login@domain must not be taken."
    )
    password: str = strawberry.field(
        description="At most 128 characters, not VERY_WEAK; stored only as a hash."
    )
    domain: str | None = strawberry.field(
        default=None,
        description="One of the ISP's e-mail domains or a domain hosted for the customer; "
        "null: the ISP's default (system variable email_domain).",
    )


@strawberry.input(
    description="A RADIUS login; omit `login` to have it generated (when the system variable "
    "is on). `domain` is required when the offer requires one."
)
class RadiusLoginInput:
    password: str = strawberry.field(
        description="At most 128 characters, not VERY_WEAK; stored only as a hash."
    )
    login: str | None = strawberry.field(
        default=None,
        description="1 to 64 of a-z, 0-9, '.', '_', '-' (stored lower-case), not taken; null: "
        "generated from the radius_login_pattern system variable.",
    )
    domain: str | None = strawberry.field(
        default=None, description="A domain name such as empresa.com.br; null: none."
    )


@strawberry.input(description="The bank account of a bank-debit plan.")
class BankAccountInput:
    bank_id: strawberry.ID = strawberry.field(description="A bank of the catalog.")
    branch: str = strawberry.field(
        description="Branch number (agência): 1 to 5 digits, optionally '-' and a check digit "
        "or X, e.g. 1234-5."
    )
    account: str = strawberry.field(
        description="Account number: 1 to 18 digits, optionally '-' and a check digit or X, "
        "e.g. 12345-6."
    )


@strawberry.input(description="Informações da Cobrança: payment method and what it needs.")
class BillingInput:
    payment_method: PaymentMethod = strawberry.field(description="Forma de Pagamento.")
    due_day: int = strawberry.field(description="Due day of the month (vencimento), 1 to 28.")
    billing_address: AddressChoiceInput | None = strawberry.field(
        default=None, description="Defaults to the installation address."
    )
    billing_form_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A billing form for the payment method; null: the method's default form.",
    )
    bank_account: BankAccountInput | None = strawberry.field(
        default=None, description="Required for BANK_DEBIT, refused otherwise."
    )
    phone_bill_account: str | None = strawberry.field(
        default=None,
        description="The phone account to debit, 8 to 30 digits: required for "
        "PHONE_BILL_DEBIT, refused otherwise.",
    )


@strawberry.input(
    description="The wizard's steps. addPlan needs offerId, installationAddress, billing and "
    "the login the offer enables; validateAddPlan accepts any subset."
)
class AddPlanInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer (global or database id)."
    )
    offer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="An offer on sale (active); a TV offer needs the TV_PACKAGES permission.",
    )
    installation_address: AddressChoiceInput | None = strawberry.field(
        default=None, description="End. de Instalação: one of the customer's or a new one."
    )
    email: EmailLoginInput | None = strawberry.field(
        default=None, description="A mailbox, when the offer includes e-mail."
    )
    radius_login: RadiusLoginInput | None = strawberry.field(
        default=None, description="A RADIUS login, when the offer includes one."
    )
    billing: BillingInput | None = strawberry.field(
        default=None, description="Informações da Cobrança."
    )
    contract: ContractDetailsInput | None = strawberry.field(
        default=None, description="Detalhes do Contrato; null: no contract yet."
    )
    installation: AppointmentInput | None = strawberry.field(
        default=None, description="Agendar Instalação; null: not scheduled now."
    )

    def to_domain(self) -> actions.NewPlan:
        billing = self.billing
        return actions.NewPlan(
            customer_id=key(self.customer_id, "Customer") or -1,
            offer_id=key(self.offer_id, "PlanOffer"),
            installation_address=self.installation_address.to_domain()
            if self.installation_address
            else None,
            email=actions.EmailLogin(
                login=self.email.login, password=self.email.password, domain=self.email.domain
            )
            if self.email
            else None,
            radius_login=actions.RadiusLoginInput(
                password=self.radius_login.password,
                login=self.radius_login.login,
                domain=self.radius_login.domain,
            )
            if self.radius_login
            else None,
            billing=actions.BillingInput(
                payment_method=billing.payment_method,
                due_day=billing.due_day,
                billing_address=billing.billing_address.to_domain()
                if billing.billing_address
                else None,
                billing_form_id=key(billing.billing_form_id, "BillingForm"),
                bank_account=BankDetails(
                    bank_id=key(billing.bank_account.bank_id, "Bank") or -1,
                    branch=billing.bank_account.branch,
                    account=billing.bank_account.account,
                )
                if billing.bank_account
                else None,
                phone_bill_account=billing.phone_bill_account,
            )
            if billing
            else None,
            contract=self.contract.to_domain() if self.contract else None,
            installation=self.installation.to_domain() if self.installation else None,
        )


@strawberry.type(description="The new plan; its services, contract and appointment hang off it.")
class AddPlanSuccess:
    plan: PlanType = strawberry.field(
        description="The new plan, in its offer's initial status (Plano adicionado com sucesso)."
    )
    radius_login: str | None = strawberry.field(
        description="The login, generated or given; null without a RADIUS login."
    )
    email_address: str | None = strawberry.field(
        description="The mailbox's address, login@domain; null without a mailbox."
    )
    radius_password_strength: PasswordStrengthType | None = strawberry.field(
        default=None,
        description="The strength of the RADIUS login's password, as addRadiusLogin reports it; "
        "null without a login.",
    )
    email_password_strength: PasswordStrengthType | None = strawberry.field(
        default=None,
        description="The strength of the mailbox's password, as addEmail reports it; null "
        "without a mailbox.",
    )


@strawberry.type(description="Every check passed for the steps given.")
class AddPlanValid:
    missing_steps: list[str] = strawberry.field(
        description="Steps addPlan still needs (offer, installationAddress, login, billing)."
    )


AddPlanResult = Annotated[
    AddPlanSuccess | AnyUserError,
    strawberry.union(
        "AddPlanResult",
        description="What addPlan answers: the new plan, or the typed error that refused it "
        "(a failed registration rule is a RuleViolation whose `rule` is its condition).",
    ),
]
ValidateAddPlanResult = Annotated[
    AddPlanValid | AnyUserError,
    strawberry.union(
        "ValidateAddPlanResult",
        description="What validateAddPlan answers: the steps still missing, or the error "
        "addPlan would answer.",
    ),
]
