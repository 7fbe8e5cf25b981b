"""An OTLP/HTTP endpoint that takes span batches and drops them: where the benchmark's
"tracing on" target exports, so that its cost is the gateway's own (an OpenTelemetry collector
would run elsewhere).

    python bench/otlp_sink.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def traces(request: Request) -> Response:
    await request.body()
    # An empty ExportTraceServiceResponse: every span accepted.
    return Response(b"", media_type="application/x-protobuf")


app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
