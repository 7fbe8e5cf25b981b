"""Printable documents served over HTTP: `GET /plans/{planId}/contract.pdf`,
`GET /receivables/{receivableId}/boleto.pdf` (second copy) and `GET /invoices/{invoiceId}.xml`.

The caller is authenticated exactly as a GraphQL request is (the `/graphql` endpoint's
Authenticator); the domain decides whether that identity may read the document (ADR 0041), on a
session scoped to the caller, where another customer's row does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from domain import access
from domain import statement_documents as statements
from domain.actions import portal
from domain.boleto_document import boleto_pdf
from domain.contract_document import contract_pdf
from domain.errors import NotAllowed, NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity
from gateway.http.auth import AuthenticationFailed, AuthenticationUnavailable
from gateway.http.errors import error_response
from gateway.http.runtime import Runtime
from gateway.observability.requests import note, request_id
from gateway.schema.ids import database_id

# A document carries personal data: no shared cache may keep it.
PRIVATE = "private, no-store"


async def _serve(
    request: Request,
    type_name: str,
    parameter: str,
    produce: Callable[[AsyncSession, int, Identity], Awaitable[tuple[bytes, str, str]]],
) -> Response:
    """Authenticates, finds the row's key and answers with what `produce` makes of it:
    (body, media type, file name); a refusal becomes 401, 403, 404 or 409, in the errors shape
    of /graphql (http/errors.py)."""
    runtime: Runtime = request.app.state.runtime

    def refuse(status: int, message: str, code: str, **extensions: Any) -> Response:
        found = note(request.scope)
        if found is not None:
            found.error_codes.append(code)
        return error_response(
            status, message, code, requestId=request_id(request.scope), **extensions
        )

    try:
        identity = await request.app.state.graphql.auth.identify(request)
    except AuthenticationUnavailable:
        return refuse(
            503,
            _("Tokens cannot be checked now: the identity provider's keys are unavailable."),
            "SERVICE_UNAVAILABLE",
            headers={"Retry-After": "5"},
        )
    except AuthenticationFailed as error:
        identity, message = None, str(error)
    else:
        message = _("Authenticate with `Authorization: Bearer <token>`.")
    if identity is None:
        return refuse(401, message, "UNAUTHENTICATED", headers={"WWW-Authenticate": "Bearer"})
    key = database_id(request.path_params[parameter], type_name)
    if key is None:
        return refuse(404, _("{type_name} not found.", type_name=type_name), "NOT_FOUND")
    async with runtime.sessions() as session:
        access.bind(session, identity)  # another customer's row does not exist for them
        try:
            body, media_type, filename = await produce(session, key, identity)
        except NotFound as error:
            return refuse(404, error.message, "NOT_FOUND")
        except NotAllowed as error:
            return refuse(403, error.message, "NOT_ALLOWED", permission=error.permission)
        except RuleViolation as error:
            return refuse(409, error.message, "RULE_VIOLATION", rule=error.rule)
        except ValidationFailed as error:
            fields = [{"path": list(p.path), "message": p.message} for p in error.problems]
            return refuse(400, error.message, "VALIDATION_FAILED", fields=fields)
    return Response(
        body,
        media_type=media_type,
        headers={
            "content-disposition": f'inline; filename="{filename}"',
            "cache-control": PRIVATE,
        },
    )


async def contract_document(request: Request) -> Response:
    async def produce(session: AsyncSession, plan_id: int, identity: Identity) -> Any:
        pdf = await contract_pdf(session, plan_id=plan_id, actor=identity)
        return pdf, "application/pdf", f"contrato-plano-{plan_id}.pdf"

    return await _serve(request, "Plan", "plan_id", produce)


async def boleto_document(request: Request) -> Response:
    async def produce(session: AsyncSession, receivable_id: int, identity: Identity) -> Any:
        copy = await portal.boleto_second_copy(session, receivable_id=receivable_id, actor=identity)
        return boleto_pdf(copy), "application/pdf", f"boleto-{receivable_id}.pdf"

    return await _serve(request, "Receivable", "receivable_id", produce)


async def invoice_document(request: Request) -> Response:
    async def produce(session: AsyncSession, invoice_id: int, identity: Identity) -> Any:
        invoice = await portal.invoice_xml(session, invoice_id=invoice_id, actor=identity)
        return invoice.xml_document.encode(), "application/xml", f"nota-{invoice.number}.xml"

    return await _serve(request, "Invoice", "invoice_id", produce)


def _query_datetime(request: Request, name: str) -> dt.datetime:
    """An ISO 8601 query parameter; a date alone is its midnight UTC, a naive time is UTC."""
    raw = request.query_params.get(name)
    if raw is None:
        raise ValidationFailed.one(name, _("is required (ISO 8601, e.g. 2026-11-01T00:00:00Z)"))
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed.one(name, _("must be an ISO 8601 date or date-time")) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _query_keys(request: Request, name: str, *type_names: str) -> list[int]:
    return [database_id(raw, *type_names) or -1 for raw in request.query_params.getlist(name)]


def _query_enums(request: Request, name: str, enum: Any) -> list[Any]:
    try:
        return [enum[raw] for raw in request.query_params.getlist(name)]
    except KeyError as error:
        raise ValidationFailed.one(
            name,
            _(
                "{value!r} is not one of {names}",
                value=error.args[0],
                names=[e.name for e in enum],
            ),
        ) from None


async def bank_debit_authorization_document(request: Request) -> Response:
    async def produce(session: AsyncSession, plan_id: int, identity: Identity) -> Any:
        pdf = await statements.bank_debit_authorization_pdf(
            session, plan_id=plan_id, actor=identity
        )
        return pdf, "application/pdf", f"autorizacao-debito-plano-{plan_id}.pdf"

    return await _serve(request, "Plan", "plan_id", produce)


async def connection_statement_document(request: Request) -> Response:
    async def produce(session: AsyncSession, plan_id: int, identity: Identity) -> Any:
        pdf = await statements.connection_statement_pdf(
            session,
            plan_id=plan_id,
            start=_query_datetime(request, "start"),
            end=_query_datetime(request, "end"),
            actor=identity,
        )
        return pdf, "application/pdf", f"extrato-conexoes-plano-{plan_id}.pdf"

    return await _serve(request, "Plan", "plan_id", produce)


async def call_statement_document(request: Request) -> Response:
    from domain.models.enums import CallTermination

    async def produce(session: AsyncSession, plan_id: int, identity: Identity) -> Any:
        pdf = await statements.call_statement_pdf(
            session,
            plan_id=plan_id,
            start=_query_datetime(request, "start"),
            end=_query_datetime(request, "end"),
            terminations=_query_enums(request, "termination", CallTermination) or None,
            terminal_ids=_query_keys(request, "terminal", "VoiceTerminal", "Service") or None,
            actor=identity,
        )
        return pdf, "application/pdf", f"extrato-ligacoes-plano-{plan_id}.pdf"

    return await _serve(request, "Plan", "plan_id", produce)


async def financial_statement_document(request: Request) -> Response:
    from domain.models.enums import ReceivableStatus

    async def produce(session: AsyncSession, customer_id: int, identity: Identity) -> Any:
        pdf = await statements.financial_statement_pdf(
            session,
            customer_id=customer_id,
            start=_query_datetime(request, "start").date(),
            end=_query_datetime(request, "end").date(),
            statuses=_query_enums(request, "status", ReceivableStatus) or None,
            actor=identity,
        )
        return pdf, "application/pdf", f"extrato-financeiro-{customer_id}.pdf"

    return await _serve(request, "Customer", "customer_id", produce)


async def invoice_pdf_document(request: Request) -> Response:
    async def produce(session: AsyncSession, invoice_id: int, identity: Identity) -> Any:
        pdf = await statements.invoice_pdf(session, invoice_id=invoice_id, actor=identity)
        return pdf, "application/pdf", f"nota-{invoice_id}.pdf"

    return await _serve(request, "Invoice", "invoice_id", produce)
