"""`gateway export`: a report connection written to a file, page after keyset page, as
`POST /export` streams it (the same planning and encoding), with a progress bar."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import orjson

FORMATS = {"csv": "text/csv", "ndjson": "application/x-ndjson"}


async def export_to(
    settings: Any, query: str, variables: dict[str, Any] | None, media: str, out: Any
) -> int:
    """Writes every row of the document's report connection to `out`; returns the row count."""
    from tqdm import tqdm

    from domain.identity import Identity, Permission
    from gateway.cli.tv import CLI_SUBJECT
    from gateway.http import export
    from gateway.http.graphql import GraphQLEndpoint
    from gateway.http.runtime import Runtime

    runtime = Runtime.build(settings)
    endpoint = GraphQLEndpoint(runtime)
    # The operator's command reads as staff holding every permission, like the billing runs.
    actor = Identity.staff(CLI_SUBJECT, *Permission)
    written = 0
    try:
        plan = export.plan(endpoint, query, variables, None)
        if media == export.CSV:
            out.write(export.csv_header(plan.header))
        with tqdm(desc="rows", unit=" rows", unit_scale=True, file=sys.stderr) as bar:
            async with endpoint.readers.reader() as reader:
                async for nodes in export.rows(plan, reader, actor, settings):
                    out.write(export.encode_page(nodes, media, plan.header))
                    written += len(nodes)
                    bar.update(len(nodes))
    finally:
        await runtime.close(engine=True)
    return written


def cmd_export(args: argparse.Namespace) -> int:
    from gateway.cli import _settings
    from gateway.http.graphql import HttpError

    settings = _settings(args)
    query = Path(args.document).read_text()
    variables = orjson.loads(args.variables) if args.variables else None
    target = Path(args.output)
    try:
        with target.open("wb") as out:
            count = asyncio.run(export_to(settings, query, variables, FORMATS[args.format], out))
    except HttpError as error:
        target.unlink(missing_ok=True)
        print(f"export refused: {error.message}", file=sys.stderr)
        return 2
    print(f"exported {count} rows to {target}")
    return 0


def register(commands: Any, database_option: Any) -> None:
    """Adds `gateway export` to the command's subcommands."""
    export = commands.add_parser(
        "export", help="write a report connection to a file (CSV or NDJSON), page by page"
    )
    database_option(export)
    export.add_argument(
        "document", help="a file holding a query whose one root field is a report connection"
    )
    export.add_argument("--variables", help="the query's variables, as a JSON object")
    export.add_argument("--format", choices=sorted(FORMATS), default="csv", help="file format")
    export.add_argument("--output", required=True, help="the file to write")
    export.set_defaults(run=cmd_export)
