"""Root fields of the voice reseller's panel and the me root."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain import models as m
from domain.actions import voice as actions
from domain.errors import DomainError
from gateway.resolvers.me import me
from gateway.resolvers.mutations import perform
from gateway.resolvers.plan_lifecycle import cep_lookup
from gateway.schema.base import Info
from gateway.schema.errors import user_error
from gateway.schema.ids import database_id
from gateway.schema.voice import (
    AddVoiceLineInput,
    AddVoiceLineResult,
    AddVoiceLineSuccess,
    CreateVoiceSubscriberInput,
    Me,
    SetVoiceFranchisesInput,
    SetVoiceFranchisesResult,
    SetVoiceFranchisesSuccess,
    SetVoicePanelCredentialsInput,
    SetVoicePermissionsInput,
    SetVoicePermissionsResult,
    SetVoicePermissionsSuccess,
    UpdateVoiceSubscriberInput,
    VoiceFranchiseType,
    VoiceLineType,
    VoicePanelUsernameCheck,
    VoicePanelUsernameResult,
    VoiceSubscriberFields,
    VoiceSubscriberResult,
    VoiceSubscriberSuccess,
    VoiceSubscriberType,
)


@strawberry.type
class MeQuery:
    @strawberry.field(
        description="The caller's own customer (a subscriber), reseller (a voice reseller) or "
        "voice subscriber (a voice subscriber in its panel); null for staff."
    )
    async def me(self, info: Info) -> Me | None:
        return await me(info)  # type: ignore[no-any-return]


@strawberry.type
class VoicePanelQuery:
    @strawberry.field(
        description="Checks a panel username before createVoiceSubscriber or "
        "setVoicePanelCredentials (which apply the same check): for a voice reseller, or staff "
        "with CUSTOMER_ADMIN. With subscriberId, that subscriber's own username counts as free."
    )
    async def voice_panel_username(
        self,
        info: Info,
        username: Annotated[str, strawberry.argument(description="The username wanted, as typed.")],
        subscriber_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The subscriber whose credentials are being changed; null for a "
                "new subscriber."
            ),
        ] = None,
    ) -> VoicePanelUsernameResult:
        try:
            result = await info.context.db.run(
                lambda session: actions.check_panel_username(
                    session,
                    username=username,
                    subscriber_id=None
                    if subscriber_id is None
                    else _key(subscriber_id, "VoiceSubscriber"),
                    actor=info.context.identity,
                )
            )
        except DomainError as error:
            return user_error(error)  # type: ignore[return-value]
        return VoicePanelUsernameCheck(
            username=result.username,
            available=result.problem is None,
            problem=result.problem,
            suggestion=result.suggestion,
        )


def _data(fields: VoiceSubscriberFields) -> actions.SubscriberData:
    return actions.SubscriberData(
        kind=fields.kind,
        name=fields.name,
        document=fields.document,
        email=fields.email,
        phone=fields.phone,
        cep=fields.cep,
        street=fields.street,
        number=fields.number,
        complement=fields.complement,
        district=fields.district,
        city=fields.city,
        state=fields.state,
        credit_limit=fields.credit_limit,
        monthly_limit=fields.monthly_limit,
        sale_plan_id=None
        if fields.sale_plan_id is None
        else database_id(fields.sale_plan_id, "VoiceSalePlan") or -1,
    )


def _key(raw: strawberry.ID, type_name: str) -> int:
    return database_id(raw, type_name) or -1


def _subscriber_success(result: object) -> object:
    if isinstance(result, actions.CreatedSubscriber):
        return VoiceSubscriberSuccess(
            subscriber=VoiceSubscriberType.from_model(result.subscriber),
            generated_password=result.generated_password,
        )
    if isinstance(result, m.VoiceSubscriber):
        return VoiceSubscriberSuccess(subscriber=VoiceSubscriberType.from_model(result))
    return result


@strawberry.type
class VoiceMutations:
    @strawberry.mutation(
        description="Registers a voice subscriber with its panel credentials (Gerenciar "
        "Assinantes, Adicionar, then Gravar). For a voice reseller, or staff with "
        "CUSTOMER_ADMIN naming the reseller."
    )
    async def create_voice_subscriber(
        self,
        info: Info,
        input: Annotated[
            CreateVoiceSubscriberInput,
            strawberry.argument(description="The registration and the panel credentials."),
        ],
    ) -> VoiceSubscriberResult:
        lookup = cep_lookup(info)
        result = await perform(
            info,
            lambda session: actions.create_voice_subscriber(
                session,
                data=_data(input.subscriber),
                panel_username=input.panel_username,
                panel_password=input.panel_password,
                reseller_id=None
                if input.reseller_id is None
                else _key(input.reseller_id, "VoiceReseller"),
                cep_lookup=lookup,
                actor=info.context.identity,
            ),
        )
        return _subscriber_success(result)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Changes a voice subscriber's registration; fields left null stay. For its "
        "voice reseller, or staff with CUSTOMER_ADMIN."
    )
    async def update_voice_subscriber(
        self,
        info: Info,
        input: Annotated[
            UpdateVoiceSubscriberInput,
            strawberry.argument(description="The subscriber and the fields to change."),
        ],
    ) -> VoiceSubscriberResult:
        lookup = cep_lookup(info)
        result = await perform(
            info,
            lambda session: actions.update_voice_subscriber(
                session,
                subscriber_id=_key(input.subscriber_id, "VoiceSubscriber"),
                data=_data(input.subscriber),
                cep_lookup=lookup,
                actor=info.context.identity,
            ),
        )
        return _subscriber_success(result)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Sets the panel username and password (Dados de Acesso; the password is "
        "generated and returned once if null). For its voice reseller, or staff with "
        "CUSTOMER_ADMIN."
    )
    async def set_voice_panel_credentials(
        self,
        info: Info,
        input: Annotated[
            SetVoicePanelCredentialsInput,
            strawberry.argument(description="The subscriber and its new credentials."),
        ],
    ) -> VoiceSubscriberResult:
        result = await perform(
            info,
            lambda session: actions.set_panel_credentials(
                session,
                subscriber_id=_key(input.subscriber_id, "VoiceSubscriber"),
                username=input.username,
                password=input.password,
                actor=info.context.identity,
            ),
        )
        return _subscriber_success(result)  # type: ignore[return-value]

    @strawberry.mutation(
        description="Adds a line to a voice subscriber (Cadastro e gerência de linhas/ramais). "
        "For its voice reseller, or staff with CUSTOMER_ADMIN."
    )
    async def add_voice_line(
        self,
        info: Info,
        input: Annotated[
            AddVoiceLineInput, strawberry.argument(description="The subscriber and the line.")
        ],
    ) -> AddVoiceLineResult:
        result = await perform(
            info,
            lambda session: actions.add_voice_line(
                session,
                subscriber_id=_key(input.subscriber_id, "VoiceSubscriber"),
                number=input.number,
                extension=input.extension,
                simultaneous_ip_lines=input.simultaneous_ip_lines,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, m.VoiceLine):
            return AddVoiceLineSuccess(line=VoiceLineType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="Replaces a voice subscriber's minute franchises (Franquia de Minutos). For "
        "its voice reseller, or staff with CUSTOMER_ADMIN."
    )
    async def set_voice_franchises(
        self,
        info: Info,
        input: Annotated[
            SetVoiceFranchisesInput,
            strawberry.argument(description="The subscriber and its franchises."),
        ],
    ) -> SetVoiceFranchisesResult:
        items = [
            actions.FranchiseData(f.category, f.minutes, f.consumes_local) for f in input.franchises
        ]
        result = await perform(
            info,
            lambda session: actions.set_voice_franchises(
                session,
                subscriber_id=_key(input.subscriber_id, "VoiceSubscriber"),
                franchises=items,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, list):
            return SetVoiceFranchisesSuccess(franchises=VoiceFranchiseType.from_models(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="Replaces what a voice subscriber may do in its panel (Permissões de "
        "Acesso). For its voice reseller, or staff with CUSTOMER_ADMIN."
    )
    async def set_voice_permissions(
        self,
        info: Info,
        input: Annotated[
            SetVoicePermissionsInput,
            strawberry.argument(description="The subscriber and its permissions."),
        ],
    ) -> SetVoicePermissionsResult:
        result = await perform(
            info,
            lambda session: actions.set_voice_permissions(
                session,
                subscriber_id=_key(input.subscriber_id, "VoiceSubscriber"),
                permissions=input.permissions,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, list):
            return SetVoicePermissionsSuccess(permissions=result)
        return result  # type: ignore[return-value]
