"""The app as an import string for uvicorn (`uvicorn gateway.http.asgi:app`), configured from
the environment as each process of `gateway serve` is (`gateway.http.app.app_from_environment`;
`uvicorn --factory gateway.http.app:app_from_environment` is the same without this module)."""

from gateway.http.app import app_from_environment

app = app_from_environment()
