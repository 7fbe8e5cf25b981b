"""GraphiQL served by the gateway itself, with no request to any other host (ADR 0190).

Strawberry's IDE page loads react, graphiql and the explorer plugin from a CDN. Here its
<script> and <link> tags point at /graphiql/static/..., files that `gateway assets fetch` took
from the npm registry's packages at install time (each tarball checked against the integrity
the registry publishes, each file against the SRI hash pinned below) into an ignored folder.
The packages and versions are the ones Strawberry's own page names; a test fails when the
locked Strawberry asks for others.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from gateway.settings import Settings

STATIC_PREFIX = "/graphiql/static"
FETCH_COMMAND = "./dev gateway assets fetch"
LICENCE = "LICENSE"  # each package's licence, kept and served beside its files
PACKAGE_JSON = "package.json"  # kept too: it names the package, its version and its licence


@dataclass(frozen=True)
class Asset:
    """One file the page loads, as it sits in the package's tarball."""

    path: str  # below the tarball's top folder (package/)
    integrity: str  # its SRI hash: the one Strawberry's page carries for it


@dataclass(frozen=True)
class Package:
    """An npm package, pinned by version and by the tarball's integrity."""

    name: str
    version: str
    integrity: str  # the tarball's, as the registry publishes it (dist.integrity)
    licence: str  # the licence's SPDX name (package.json's "license")
    assets: tuple[Asset, ...]
    licence_file: str | None = LICENCE  # in the tarball; None: the tarball ships none
    # When the tarball ships no licence file: the package of the same repository whose licence
    # text applies, and why.
    licence_from: str | None = None
    licence_note: str = ""

    @property
    def folder(self) -> str:
        """Where its files live, below the assets folder and below STATIC_PREFIX."""
        return f"{self.name}@{self.version}"


PACKAGES: tuple[Package, ...] = (
    Package(
        name="react",
        version="18.2.0",
        integrity="sha512-/3IjMdb2L9QbBdWiW5e3P2/npwMBaU9mHCSCUzNln0ZCYbcfTsGbTJrU/kGemdH2IWmB2ioZ+zkxtmq6g09fGQ==",
        licence="MIT",
        assets=(
            Asset(
                "umd/react.production.min.js",
                "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
            ),
        ),
    ),
    Package(
        name="react-dom",
        version="18.2.0",
        integrity="sha512-6IMTriUmvsjHUjNtEDudZfuDQUoWXVxKHhlEGSk81n4YFS+r/Kl99wXiwlVXtPBtJenozv2P+hxDsw9eA7Xo6g==",
        licence="MIT",
        assets=(
            Asset(
                "umd/react-dom.production.min.js",
                "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
            ),
        ),
    ),
    Package(
        name="js-cookie",
        version="3.0.5",
        integrity="sha512-cEiJEAEoIbWfCZYKWhVwFuvPX1gETRYPw6LlaTKoxD3s2AkXzkCjnp6h0V77ozyqj0jakteJ4YqDJT830+lVGw==",
        licence="MIT",
        assets=(
            Asset(
                "dist/js.cookie.min.js",
                "sha384-/vxhYfM1LENRhdpZ8dwEsQn/X4VhpbEZSiU4m/FwR+PVpzar4fkEOw8FP9Y+OfQN",
            ),
        ),
    ),
    Package(
        name="graphiql",
        version="3.8.3",
        integrity="sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        licence="MIT",
        assets=(
            Asset(
                "graphiql.min.css",
                "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
            ),
            Asset(
                "graphiql.min.js",
                "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
            ),
        ),
    ),
    Package(
        name="@graphiql/plugin-explorer",
        version="1.0.2",
        integrity="sha512-9j+kg2UjtLZD5EBmGjeWHkoVVxtbShYg2DzbUVebibnZYZM/iMBEF4vaccXJIAm5KaomIPLx0aoNs4LbODyc3Q==",
        licence="MIT",
        assets=(
            Asset(
                "dist/style.css",
                "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
            ),
            Asset(
                "dist/index.umd.js",
                "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
            ),
        ),
        licence_file=None,
        licence_from="graphiql",
        licence_note=(
            "The @graphiql/plugin-explorer tarball ships no licence file. Its package.json says"
            ' "license": "MIT" and names the repository github.com/graphql/graphiql, whose'
            " licence graphiql@3.8.3 ships as its LICENSE; that text follows."
        ),
    ),
)


def graphiql_folder(settings: Settings) -> Path:
    """The folder `gateway assets fetch` fills and the gateway serves GraphiQL's files from."""
    return Path(settings.assets_dir) / "graphiql"


def _served_files() -> dict[str, tuple[Package, str]]:
    """URL path below STATIC_PREFIX -> (package, file below its folder): nothing else is served."""
    files: dict[str, tuple[Package, str]] = {}
    for package in PACKAGES:
        for name in (*(asset.path for asset in package.assets), LICENCE, PACKAGE_JSON):
            files[f"{package.folder}/{name}"] = (package, name)
    return files


SERVED = _served_files()
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
}
# A CDN address in Strawberry's page: the tag's src/href, and the tag it sits in.
_TAG = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>", re.S)
_INTEGRITY = re.compile(r"\bintegrity=\"[^\"]*\"")
_URL_ATTRIBUTE = re.compile(r"\b(src|href)=\"https?://[^\"]+\"")
ROOT = "\0root\0"  # stands for the app's mount point (ASGI root_path) until a request fills it


def _asset_for(url: str) -> tuple[Package, Asset] | None:
    for package in PACKAGES:
        for asset in package.assets:
            if url.endswith(f"/{package.folder}/{asset.path}"):
                return package, asset
    return None


@dataclass(frozen=True)
class IdePage:
    """Strawberry's GraphiQL page, rewritten to load every file from this gateway."""

    html: str  # with ROOT standing for the app's mount point, filled in per request
    unpinned: tuple[str, ...]  # addresses the page asks for that PACKAGES does not pin

    @classmethod
    def from_template(cls, template: str) -> IdePage:
        unpinned: list[str] = []

        def local(match: re.Match[str]) -> str:
            tag, kind, url = match.group(0), match.group(1), match.group(2)
            found = _asset_for(url)
            if found is None:
                unpinned.append(url)
                return tag
            package, asset = found
            attribute = "src" if kind == "script" else "href"
            local_url = f"{ROOT}{STATIC_PREFIX}/{package.folder}/{asset.path}"
            tag = _URL_ATTRIBUTE.sub(lambda _: f'{attribute}="{local_url}"', tag)
            if _INTEGRITY.search(tag):
                return _INTEGRITY.sub(f'integrity="{asset.integrity}"', tag)
            return tag.replace(f"<{kind}", f'<{kind} integrity="{asset.integrity}"', 1)

        page = _TAG.sub(local, template)
        notice = "\n    ".join(
            f"<!-- {p.name} {p.version}, {p.licence}: {ROOT}{STATIC_PREFIX}/{p.folder}/{LICENCE}"
            " -->"
            for p in PACKAGES
        )
        page = page.replace("<head>", f"<head>\n    {notice}", 1)
        return cls(html=page, unpinned=tuple(unpinned))

    def render(self, root_path: str) -> str:
        return self.html.replace(ROOT, html.escape(root_path))


class GraphiQL:
    """The IDE page and its files, in development only (the caller checks)."""

    def __init__(self, settings: Settings) -> None:
        self.folder = graphiql_folder(settings)
        self.page = IdePage.from_template(get_graphql_ide_html())

    def missing(self) -> list[str]:
        """The files the page needs that are not in the assets folder."""
        return [
            f"{package.folder}/{asset.path}"
            for package in PACKAGES
            for asset in package.assets
            if not (self.folder / package.folder / asset.path).is_file()
        ]

    def ide(self, request: Request) -> Response:
        """The page, or a page that says how to fetch its files when they are missing."""
        missing = self.missing()
        if missing or self.page.unpinned:
            return HTMLResponse(self._not_installed(missing), status_code=503)
        return HTMLResponse(self.page.render(request.scope.get("root_path", "")))

    async def asset(self, request: Request) -> Response:
        """GET /graphiql/static/{path}: a pinned file, cached for good (its path names its
        version), or 404."""
        path = request.path_params["path"]
        found = SERVED.get(path)
        if found is None:
            return PlainTextResponse("No such GraphiQL file.", status_code=404)
        package, name = found
        file = self.folder / package.folder / name
        if not file.is_file():
            return PlainTextResponse(
                f"GraphiQL's files are not installed here: run `{FETCH_COMMAND}`.",
                status_code=404,
            )
        media_type = _MEDIA_TYPES.get(Path(name).suffix, "text/plain; charset=utf-8")
        return FileResponse(
            file,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    def _not_installed(self, missing: list[str]) -> str:
        if self.page.unpinned:
            problem = (
                "<p>Strawberry's GraphiQL page asks for files this gateway does not pin:</p>"
                + _list(self.page.unpinned)
                + "<p>Pin them in <code>gateway/http/graphiql.py</code> (PACKAGES: version, "
                "the tarball's integrity, each file's SRI hash), then run "
                f"<code>{html.escape(FETCH_COMMAND)}</code>.</p>"
            )
        else:
            problem = (
                "<p>The IDE's files (react, graphiql and its explorer plugin, from the npm "
                "registry's packages) are not installed in "
                f"<code>{html.escape(str(self.folder.resolve()))}</code>. Missing:</p>"
                + _list(missing)
                + f"<p>Fetch them once with <code>{html.escape(FETCH_COMMAND)}</code> "
                "(<code>./dev serve</code> does it on its first run), then reload this page. "
                "<code>GATEWAY_ASSETS_DIR</code> names another folder.</p>"
            )
        return (
            "<!doctype html><html><head><title>GraphiQL is not installed</title></head>"
            "<body><h1>GraphiQL is not installed</h1>"
            f"{problem}<p>Meanwhile <code>POST /graphql</code> answers queries as usual.</p>"
            "</body></html>"
        )


def _list(items: tuple[str, ...] | list[str]) -> str:
    return "<ul>" + "".join(f"<li><code>{html.escape(i)}</code></li>" for i in items) + "</ul>"


__all__ = ["PACKAGES", "STATIC_PREFIX", "GraphiQL", "IdePage", "Package"]
