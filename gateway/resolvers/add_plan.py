"""Root fields of the plan wizard: addPlan and the reads it offers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.actions import add_plan as actions
from gateway.resolvers.mutations import perform
from gateway.resolvers.plan_lifecycle import cep_lookup
from gateway.schema.add_plan import (
    AddPlanInput,
    AddPlanResult,
    AddPlanSuccess,
    AddPlanValid,
    ValidateAddPlanResult,
)
from gateway.schema.base import Info
from gateway.schema.plans import PlanType
from gateway.schema.service_actions import PasswordStrengthType


@strawberry.type
class AddPlanQuery:
    @strawberry.field(
        description="The errors addPlan would return for these steps, without saving anything: "
        "the wizard checks each step as it goes (Avançar). Needs the PLAN_ADMIN permission."
    )
    async def validate_add_plan(
        self,
        info: Info,
        input: Annotated[
            AddPlanInput,
            strawberry.argument(description="The steps filled so far; any subset."),
        ],
    ) -> ValidateAddPlanResult:
        lookup = cep_lookup(info)
        new = input.to_domain()
        result = await perform(
            info,
            lambda session: actions.check_add_plan(
                session,
                new,
                actor=info.context.identity,
                cep_lookup=lookup,
                complete=False,
                lock_slot=False,
            ),
        )
        if isinstance(result, actions.CheckedPlan):
            return AddPlanValid(missing_steps=result.missing_steps)
        return result  # type: ignore[return-value]


@strawberry.type
class AddPlanMutation:
    @strawberry.mutation(
        description="Adds a plan to a customer: the whole Novo Plano Cliente wizard at once "
        "(plan, mailbox and login, default TV package, contract and its installation fee, "
        "installation appointment), after every check and the registration rules (regras de "
        "cadastro). Not deduplicated: send an Idempotency-Key. Needs the PLAN_ADMIN permission "
        "(and TV_PACKAGES for a TV offer)."
    )
    async def add_plan(
        self,
        info: Info,
        input: Annotated[
            AddPlanInput,
            strawberry.argument(
                description="The wizard's steps: customer, offer, installation address, "
                "billing, the login the offer enables, optionally contract and installation."
            ),
        ],
    ) -> AddPlanResult:
        lookup = cep_lookup(info)
        new = input.to_domain()
        result = await perform(
            info,
            lambda session: actions.add_plan(
                session, new=new, cep_lookup=lookup, actor=info.context.identity
            ),
        )
        if not isinstance(result, actions.AddedPlan):
            return result  # type: ignore[return-value]
        radius, email = result.radius_password_strength, result.email_password_strength
        return AddPlanSuccess(
            plan=PlanType.from_model(result.plan),
            radius_login=result.radius_login,
            email_address=result.email_address,
            radius_password_strength=None if radius is None else PasswordStrengthType.of(radius),
            email_password_strength=None if email is None else PasswordStrengthType.of(email),
        )
