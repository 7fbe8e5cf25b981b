"""Printable documents served over HTTP: `GET /plans/{planId}/contract.pdf`.

The caller is identified exactly as a GraphQL request is (`Runtime.identity_for`); the domain
decides whether that identity may read the plan's contract (ADR 0041).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.contract_document import contract_pdf
from domain.errors import NotAllowed, NotFound
from gateway.resolvers.ids import database_id
from gateway.runtime import Runtime


async def contract_document(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    identity = runtime.identity_for(request)
    plan_id = database_id(request.path_params["plan_id"], "Plan")
    if plan_id is None:
        return JSONResponse({"error": "Plan not found."}, status_code=404)
    async with runtime.sessions() as session:
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
