"""`gateway assets fetch` against a registry on loopback that serves packages the test builds:
the tarball must match the integrity the registry publishes and the pinned one, each file its
pinned SRI hash, and a refusal writes nothing."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.cli.assets import AssetsError, fetch_all, matches, registry_url, sri
from gateway.http.graphiql import Asset, Package
from tests.simulators import serving

SCRIPT = b"window.Demo = 42;\n"
STYLE = b".demo { color: red }\n"


def tarball(files: dict[str, bytes], top: str = "package") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Registry:
    """What the loopback registry publishes: per name@version, a packument and a tarball."""

    published: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # integrity, tarball
    hits: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def packument(request: Request) -> Response:
            name, version = request.path_params["name"], request.path_params["version"]
            self.hits.append(request.url.path)
            if f"{name}@{version}" not in self.published:
                return JSONResponse({"error": "not found"}, status_code=404)
            integrity, _ = self.published[f"{name}@{version}"]
            tarball_url = f"{request.base_url}tarballs/{name}@{version}.tgz"
            return JSONResponse(
                {
                    "name": name,
                    "version": version,
                    "dist": {"integrity": integrity, "tarball": tarball_url},
                }
            )

        async def download(request: Request) -> Response:
            self.hits.append(request.url.path)
            _, data = self.published[request.path_params["spec"].removesuffix(".tgz")]
            return Response(data, media_type="application/octet-stream")

        return Starlette(
            routes=[
                Route("/tarballs/{spec:path}", download),
                Route("/{name:path}/{version}", packument),
            ]
        )


@pytest.fixture
def registry() -> Iterator[tuple[Registry, str]]:
    state = Registry()
    with serving(state.app()) as url:
        yield state, url + "/"


def publish(state: Registry, name: str, version: str, files: dict[str, bytes]) -> Package:
    """Publishes a package and returns its pins, as gateway/http/graphiql.py would hold them."""
    data = tarball(files)
    integrity = sri(data, "sha512")
    state.published[f"{name}@{version}"] = (integrity, data)
    assets = tuple(
        Asset(path, sri(files[path], "sha384")) for path in files if path.startswith("dist/")
    )
    return Package(name=name, version=version, integrity=integrity, licence="MIT", assets=assets)


FILES = {
    "dist/demo.js": SCRIPT,
    "dist/demo.css": STYLE,
    "LICENSE": b"MIT License\n\nCopyright (c) Demo\n",
    "package.json": json.dumps({"name": "@demo/widget", "version": "1.0.0"}).encode(),
    "src/demo.ts": b"export const demo = 42;\n",
}


def test_fetches_verifies_and_writes_only_the_pinned_files(
    registry: tuple[Registry, str], tmp_path: Path
) -> None:
    state, url = registry
    package = publish(state, "@demo/widget", "1.0.0", FILES)
    with httpx.Client() as client:
        done = fetch_all((package,), tmp_path, url, client)
    assert [d.fetched for d in done] == [True]
    home = tmp_path / "@demo/widget@1.0.0"
    assert sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()) == [
        "LICENSE",
        "dist/demo.css",
        "dist/demo.js",
        "package.json",
    ]
    assert (home / "dist/demo.js").read_bytes() == SCRIPT
    assert (home / "LICENSE").read_text().startswith("MIT License")
    # The scoped name travelled escaped, as registries want it.
    assert state.hits[0] == "/@demo/widget/1.0.0"

    # Intact: nothing is asked again. Damaged: fetched again.
    state.hits.clear()
    with httpx.Client() as client:
        assert [d.fetched for d in fetch_all((package,), tmp_path, url, client)] == [False]
    assert state.hits == []
    (home / "dist/demo.js").write_bytes(b"window.Demo = 'tampered';")
    with httpx.Client() as client:
        assert [d.fetched for d in fetch_all((package,), tmp_path, url, client)] == [True]
    assert (home / "dist/demo.js").read_bytes() == SCRIPT


def test_a_registry_publishing_another_integrity_is_refused(
    registry: tuple[Registry, str], tmp_path: Path
) -> None:
    state, url = registry
    package = publish(state, "widget", "1.0.0", FILES)
    pinned = replace(package, integrity=sri(b"what was pinned", "sha512"))
    with httpx.Client() as client, pytest.raises(AssetsError, match="publishes the integrity"):
        fetch_all((pinned,), tmp_path, url, client)
    assert not (tmp_path / "widget@1.0.0").exists()


def test_a_tarball_unlike_the_published_integrity_is_refused(
    registry: tuple[Registry, str], tmp_path: Path
) -> None:
    state, url = registry
    package = publish(state, "widget", "1.0.0", FILES)
    other = tarball({**FILES, "dist/demo.js": b"window.evil = true;"})
    state.published["widget@1.0.0"] = (package.integrity, other)  # the packument is unchanged
    with httpx.Client() as client, pytest.raises(AssetsError, match="does not match the integrity"):
        fetch_all((package,), tmp_path, url, client)
    assert list(tmp_path.iterdir()) == []


def test_a_file_unlike_its_pinned_hash_is_refused(
    registry: tuple[Registry, str], tmp_path: Path
) -> None:
    state, url = registry
    package = publish(state, "widget", "1.0.0", FILES)
    wrong = replace(package, assets=(Asset("dist/demo.js", sri(b"another script", "sha384")),))
    with (
        httpx.Client() as client,
        pytest.raises(AssetsError, match=r"dist/demo\.js does not match"),
    ):
        fetch_all((wrong,), tmp_path, url, client)
    missing = replace(package, assets=(Asset("dist/absent.js", sri(SCRIPT, "sha384")),))
    with httpx.Client() as client, pytest.raises(AssetsError, match=r"holds no dist/absent\.js"):
        fetch_all((missing,), tmp_path, url, client)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_version_or_a_dead_registry_is_a_clear_refusal(
    registry: tuple[Registry, str], tmp_path: Path
) -> None:
    state, url = registry
    package = publish(state, "widget", "1.0.0", FILES)
    with httpx.Client() as client, pytest.raises(AssetsError, match="answered 404"):
        fetch_all((replace(package, version="9.9.9"),), tmp_path, url, client)
    with serving(Starlette()) as gone:
        pass  # served and stopped: nothing listens there any more
    with httpx.Client() as client, pytest.raises(AssetsError, match="did not answer"):
        fetch_all((package,), tmp_path, gone, client)


def test_a_package_without_a_licence_file_gets_its_repositorys(
    registry: tuple[Registry, str], tmp_path: Path
) -> None:
    state, url = registry
    main = publish(state, "widget", "1.0.0", FILES)
    plugin_files = {k: v for k, v in FILES.items() if k != "LICENSE"}
    plugin = replace(
        publish(state, "widget-plugin", "1.0.0", plugin_files),
        licence_file=None,
        licence_from="widget",
        licence_note="widget-plugin ships no licence file; widget's (same repository) follows.",
    )
    with httpx.Client() as client:
        fetch_all((main, plugin), tmp_path, url, client)
    text = (tmp_path / "widget-plugin@1.0.0" / "LICENSE").read_text()
    assert text.startswith("widget-plugin ships no licence file") and "Copyright (c) Demo" in text
    # A licence file that is declared but absent is refused.
    shutil.rmtree(tmp_path / "widget-plugin@1.0.0")
    declared = replace(plugin, licence_file="LICENSE", licence_from=None)
    with httpx.Client() as client, pytest.raises(AssetsError, match="holds no LICENSE"):
        fetch_all((declared,), tmp_path, url, client)


def test_integrity_strings() -> None:
    assert matches(SCRIPT, sri(SCRIPT, "sha384"))
    assert matches(SCRIPT, f"{sri(b'x', 'sha256')} {sri(SCRIPT, 'sha512')}")  # strongest decides
    assert not matches(SCRIPT, f"{sri(SCRIPT, 'sha256')} {sri(b'x', 'sha512')}")
    assert not matches(SCRIPT, "md5-abc") and not matches(SCRIPT, "")


def test_the_registry_comes_from_the_command_line_the_environment_or_npm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert registry_url("http://127.0.0.1:1/") == "http://127.0.0.1:1/"
    monkeypatch.setenv("GATEWAY_NPM_REGISTRY", "http://127.0.0.1:2/")
    assert registry_url() == "http://127.0.0.1:2/"
    monkeypatch.delenv("GATEWAY_NPM_REGISTRY")
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:3/")
    assert registry_url() == "http://127.0.0.1:3/"
    monkeypatch.delenv("npm_config_registry")
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")  # no npm to ask
    with pytest.raises(AssetsError, match="GATEWAY_NPM_REGISTRY"):
        registry_url()
