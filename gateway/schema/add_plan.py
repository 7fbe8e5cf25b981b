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
    login: str
    password: str
    domain: str | None = None


@strawberry.input(
    description="A RADIUS login; omit `login` to have it generated (when the system variable "
    "is on). `domain` is required when the offer requires one."
)
class RadiusLoginInput:
    password: str
    login: str | None = None
    domain: str | None = None


@strawberry.input(description="The bank account of a bank-debit plan.")
class BankAccountInput:
    bank_id: strawberry.ID
    branch: str
    account: str


@strawberry.input(description="Billing information: payment method and what it needs.")
class BillingInput:
    payment_method: PaymentMethod
    due_day: int
    billing_address: AddressChoiceInput | None = strawberry.field(
        default=None, description="Defaults to the installation address."
    )
    billing_form_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the payment method's billing form."
    )
    bank_account: BankAccountInput | None = None
    phone_bill_account: str | None = None


@strawberry.input(
    description="The wizard's steps. addPlan needs offerId, installationAddress, billing and "
    "the login the offer enables; validateAddPlan accepts any subset."
)
class AddPlanInput:
    customer_id: strawberry.ID
    offer_id: strawberry.ID | None = None
    installation_address: AddressChoiceInput | None = None
    email: EmailLoginInput | None = None
    radius_login: RadiusLoginInput | None = None
    billing: BillingInput | None = None
    contract: ContractDetailsInput | None = None
    installation: AppointmentInput | None = None

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
    plan: PlanType
    radius_login: str | None = strawberry.field(description="The login, generated or given.")
    email_address: str | None
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


AddPlanResult = Annotated[AddPlanSuccess | AnyUserError, strawberry.union("AddPlanResult")]
ValidateAddPlanResult = Annotated[
    AddPlanValid | AnyUserError, strawberry.union("ValidateAddPlanResult")
]
