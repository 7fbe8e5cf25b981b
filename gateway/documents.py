"""Printable documents served over HTTP: `GET /plans/{planId}/contract.pdf`.

The caller is authenticated exactly as a GraphQL request is (the `/graphql` endpoint's
Authenticator); the domain decides whether that identity may read the plan's contract (ADR 0041).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain import access
from domain.contract_document import contract_pdf
from domain.errors import NotAllowed, NotFound
from gateway.auth import AuthenticationFailed
from gateway.resolvers.ids import database_id
from gateway.runtime import Runtime


async def contract_document(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        identity = await request.app.state.graphql.auth.identify(request)
    except AuthenticationFailed as error:
        identity, message = None, str(error)
    else:
        message = "Authenticate with `Authorization: Bearer <token>`."
    if identity is None:
        return JSONResponse(
            {"error": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    plan_id = database_id(request.path_params["plan_id"], "Plan")
    if plan_id is None:
        return JSONResponse({"error": "Plan not found."}, status_code=404)
    async with runtime.sessions() as session:
        access.bind(session, identity)  # another customer's plan does not exist for them
        try:
            pdf = await contract_pdf(session, plan_id=plan_id, actor=identity)
        except NotFound as error:
            return JSONResponse({"error": error.message}, status_code=404)
        except NotAllowed as error:
            return JSONResponse(
                {"error": error.message, "permission": error.permission}, status_code=403
            )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'inline; filename="contrato-plano-{plan_id}.pdf"',
            # A contract carries personal data: no shared cache may keep it.
            "cache-control": "private, no-store",
        },
    )
