"""`gateway assets fetch`: GraphiQL's files from the npm registry's packages (ADR 0190).

Each package of gateway.http.graphiql.PACKAGES is fetched as the tarball the registry publishes
for its pinned version. The tarball must match both the integrity the registry publishes for it
and the one pinned in the code; every file taken from it must match its pinned SRI hash. Only
the named files, the licence and package.json are written, into the assets folder (ignored by
git), one folder per package and version. A package already there, intact, is not fetched again.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from gateway.http.graphiql import LICENCE, PACKAGE_JSON, PACKAGES, Package, graphiql_folder
from gateway.settings import Settings

REGISTRY_ENV = "GATEWAY_NPM_REGISTRY"
MAX_TARBALL_BYTES = 50_000_000


class AssetsError(Exception):
    """A package that could not be fetched, or did not match what is pinned; nothing of it was
    written."""


def sri(data: bytes, algorithm: str) -> str:
    """The Subresource Integrity string of `data` ("sha384-<base64>")."""
    digest = hashlib.new(algorithm, data).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode()}"


def matches(data: bytes, integrity: str) -> bool:
    """Whether `data` matches an integrity string (one or more space-separated hashes; the
    strongest supported algorithm decides, as browsers and npm do)."""
    hashes: dict[str, set[str]] = {}
    for item in integrity.split():
        algorithm, _, _value = item.partition("-")
        if algorithm in ("sha256", "sha384", "sha512"):
            hashes.setdefault(algorithm, set()).add(item.split("?")[0])
    if not hashes:
        return False
    strongest = max(hashes, key=lambda name: int(name[3:]))
    return sri(data, strongest) in hashes[strongest]


def registry_url(explicit: str | None = None) -> str:
    """The npm registry this machine uses: --registry, GATEWAY_NPM_REGISTRY, npm's own
    configuration (npm_config_registry, or `npm config get registry`)."""
    for candidate in (
        explicit,
        os.environ.get(REGISTRY_ENV),
        os.environ.get("npm_config_registry"),
        os.environ.get("NPM_CONFIG_REGISTRY"),
    ):
        if candidate:
            return candidate
    npm = shutil.which("npm")
    if npm is not None:
        try:
            answer = subprocess.run(
                [npm, "config", "get", "registry"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError) as error:
            raise AssetsError(f"`npm config get registry` failed: {error}") from None
        if answer.startswith(("http://", "https://")):
            return answer
    raise AssetsError(
        f"no npm registry is known here: install npm, or set {REGISTRY_ENV} to the registry's URL"
    )


def installed(package: Package, folder: Path) -> bool:
    """Whether the package's files are in `folder`, each matching its pinned hash."""
    home = folder / package.folder
    if not (home / LICENCE).is_file():
        return False
    for asset in package.assets:
        file = home / asset.path
        if not file.is_file() or not matches(file.read_bytes(), asset.integrity):
            return False
    return True


@dataclass(frozen=True)
class Fetched:
    package: Package
    fetched: bool  # False: it was already there, intact


def fetch_all(
    packages: tuple[Package, ...], folder: Path, registry: str, client: httpx.Client
) -> list[Fetched]:
    """Makes `folder` hold every package's files; fetches only those missing or damaged."""
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for package in packages:
        if installed(package, folder):
            done.append(Fetched(package, fetched=False))
            continue
        files = _files_of(package, _tarball(package, registry, client))
        licence = files.pop(LICENCE, None)
        if licence is None:
            licence = _licence_from(package, packages, folder)
        files[LICENCE] = licence
        _write(folder, package, files)
        done.append(Fetched(package, fetched=True))
    return done


def _tarball(package: Package, registry: str, client: httpx.Client) -> bytes:
    where = f"{package.name}@{package.version}"
    # A scoped name travels with its slash escaped: @scope%2Fname.
    url = f"{registry.rstrip('/')}/{quote(package.name, safe='@')}/{package.version}"
    try:
        answer = client.get(url, headers={"accept": "application/json"})
    except httpx.HTTPError as error:
        raise AssetsError(f"{where}: the registry did not answer ({error})") from None
    if answer.status_code != 200:
        raise AssetsError(f"{where}: the registry answered {answer.status_code} for {url}")
    try:
        dist = answer.json()["dist"]
        published, tarball_url = str(dist["integrity"]), str(dist["tarball"])
    except (ValueError, KeyError, TypeError):
        raise AssetsError(f"{where}: the registry's answer names no dist.integrity") from None
    if published != package.integrity:
        raise AssetsError(
            f"{where}: the registry publishes the integrity {published}, "
            f"but {package.integrity} is pinned; nothing was written"
        )
    try:
        with client.stream("GET", tarball_url) as download:
            if download.status_code != 200:
                raise AssetsError(f"{where}: the tarball answered {download.status_code}")
            data = bytearray()
            for chunk in download.iter_bytes():
                data.extend(chunk)
                if len(data) > MAX_TARBALL_BYTES:
                    raise AssetsError(f"{where}: the tarball is over {MAX_TARBALL_BYTES} bytes")
    except httpx.HTTPError as error:
        raise AssetsError(f"{where}: the tarball could not be downloaded ({error})") from None
    if not matches(bytes(data), published):
        raise AssetsError(
            f"{where}: the tarball does not match the integrity the registry publishes "
            f"({published}); nothing was written"
        )
    return bytes(data)


def _files_of(package: Package, tarball: bytes) -> dict[str, bytes]:
    """The pinned files (checked), the licence and package.json, read out of the tarball."""
    where = f"{package.name}@{package.version}"
    wanted = {asset.path: asset.integrity for asset in package.assets}
    wanted_extra = {PACKAGE_JSON: PACKAGE_JSON}
    if package.licence_file is not None:
        wanted_extra[package.licence_file] = LICENCE
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for member in archive.getmembers():
                # npm tarballs hold one top folder (usually package/); names below it count.
                _top, _, inner = member.name.partition("/")
                if not member.isfile() or (inner not in wanted and inner not in wanted_extra):
                    continue
                extracted = archive.extractfile(member)
                if extracted is not None:
                    found[wanted_extra.get(inner, inner)] = extracted.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise AssetsError(f"{where}: the tarball cannot be read ({error})") from None
    for path, integrity in wanted.items():
        if path not in found:
            raise AssetsError(f"{where}: the tarball holds no {path}")
        if not matches(found[path], integrity):
            raise AssetsError(f"{where}: {path} does not match its pinned hash {integrity}")
    if package.licence_file is not None and LICENCE not in found:
        raise AssetsError(f"{where}: the tarball holds no {package.licence_file}")
    return found


def _licence_from(package: Package, packages: tuple[Package, ...], folder: Path) -> bytes:
    """The licence text of a package whose tarball ships none: the note, then the licence of
    the package of the same repository (fetched before it)."""
    source = next((p for p in packages if p.name == package.licence_from), None)
    text = None if source is None else folder / source.folder / LICENCE
    if text is None or not text.is_file():
        raise AssetsError(
            f"{package.name}@{package.version}: ships no licence, and {package.licence_from}'s "
            "is not fetched"
        )
    return f"{package.licence_note}\n\n".encode() + text.read_bytes()


def _write(folder: Path, package: Package, files: dict[str, bytes]) -> None:
    """Writes the package's folder whole: a fresh folder swapped in for any old one."""
    target = folder / package.folder
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetching-", dir=target.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def cmd_assets_fetch(args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per package says enough
    settings = Settings.from_env(**({"assets_dir": args.dir} if args.dir else {}))
    folder = graphiql_folder(settings)
    try:
        if all(installed(package, folder) for package in PACKAGES):
            print(f"GraphiQL's files are in place: {folder}")
            return 0
        registry = registry_url(args.registry)
        with httpx.Client(timeout=httpx.Timeout(60.0, connect=15.0)) as client:
            done = fetch_all(PACKAGES, folder, registry, client)
    except AssetsError as error:
        print(f"assets: {error}", file=sys.stderr)
        return 1
    for each in done:
        state = "fetched and verified" if each.fetched else "already in place"
        print(f"{each.package.name}@{each.package.version} ({each.package.licence}): {state}")
    print(f"GraphiQL's files are in {folder}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    assets = commands.add_parser("assets", help="files the gateway serves (GraphiQL's)")
    assets_commands = assets.add_subparsers(dest="assets_command", required=True)
    fetch = assets_commands.add_parser(
        "fetch",
        help="fetch GraphiQL's files from the npm registry's packages, verified against "
        "their pinned hashes (./dev does it on first use)",
    )
    fetch.add_argument(
        "--dir", help="the assets folder (default: GATEWAY_ASSETS_DIR, else var/assets)"
    )
    fetch.add_argument(
        "--registry",
        help=f"the npm registry's URL (default: {REGISTRY_ENV}, else npm's configured registry)",
    )
    fetch.set_defaults(run=cmd_assets_fetch)
