"""The app as an import string for uvicorn (`uvicorn gateway.http.asgi:app`), configured from the
environment; needed for several workers."""

from gateway.http.app import create_app
from gateway.settings import Settings

app = create_app(Settings.from_env())
