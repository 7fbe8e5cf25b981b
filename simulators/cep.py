"""A ViaCEP-style CEP service for tests and the demo: `GET /ws/{cep}/json/`.

It knows a few fixed CEPs, and every CEP whose first five digits are one of the demo cities'
prefixes (domain/seed_catalog.py), so addresses of the demo data resolve. `/ws/99999999/json/`
answers HTTP 503, for tests of an unavailable service.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from domain import seed_catalog

UNAVAILABLE_CEP = "99999999"

FIXED: dict[str, dict[str, str]] = {
    "01001000": {
        "logradouro": "Praça da Sé",
        "complemento": "lado ímpar",
        "bairro": "Sé",
        "localidade": "São Paulo",
        "uf": "SP",
    },
    "88015100": {
        "logradouro": "Rua Felipe Schmidt",
        "complemento": "",
        "bairro": "Centro",
        "localidade": "Florianópolis",
        "uf": "SC",
    },
}


def address_for(cep: str) -> dict[str, Any] | None:
    """The ViaCEP body for an 8-digit CEP, or None when this simulator does not know it."""
    known = FIXED.get(cep)
    if known is None:
        for city, state, prefix, districts in seed_catalog.CITIES:
            if cep.startswith(prefix):
                suffix = int(cep[5:])
                known = {
                    "logradouro": seed_catalog.STREETS[suffix % len(seed_catalog.STREETS)],
                    "complemento": "",
                    "bairro": districts[suffix % len(districts)],
                    "localidade": city,
                    "uf": state,
                }
                break
    if known is None:
        return None
    return {"cep": f"{cep[:5]}-{cep[5:]}", **known, "ibge": "", "ddd": ""}


async def lookup(request: Request) -> JSONResponse:
    cep = request.path_params["cep"]
    if len(cep) != 8 or not cep.isdigit():
        return JSONResponse({"erro": "formato inválido"}, status_code=400)
    if cep == UNAVAILABLE_CEP:
        return JSONResponse({"erro": "indisponível"}, status_code=503)
    body = address_for(cep)
    return JSONResponse(body if body is not None else {"erro": True})


def create_app() -> Starlette:
    return Starlette(routes=[Route("/ws/{cep}/json/", lookup, methods=["GET"])])


app = create_app()
