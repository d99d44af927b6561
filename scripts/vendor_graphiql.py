"""Refresh or check the GraphiQL files vendored in server/static/graphiql/.

GraphiQL is served by the app itself so that it works on a machine with no internet. Its built
files come from the npm packages pinned in `vendor.json`: `--refresh` fetches each tarball with
`npm pack` (npm checks it against the registry's integrity), checks it again against the sha512
pinned here, and copies the built files and the licence out of it; `--check` (offline, in CI)
proves that every vendored file still has the sha384 the manifest and the page's `integrity`
attributes carry. To upgrade a package, change its version, clear its `integrity`, run `--refresh`
and review the diff.

    python scripts/vendor_graphiql.py --check
    python scripts/vendor_graphiql.py --refresh
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "server" / "static" / "graphiql"
MANIFEST = ASSETS / "vendor.json"


def sri(data: bytes, algorithm: str = "sha384") -> str:
    """A Subresource Integrity value, as browsers and npm's lockfiles write them."""
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def load() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def check(manifest: dict[str, Any]) -> list[str]:
    problems = []
    for package in manifest["packages"]:
        for entry in package["files"]:
            path = ASSETS / entry["as"]
            if not path.is_file():
                problems.append(f"{entry['as']}: missing (run --refresh)")
            elif sri(path.read_bytes()) != entry["integrity"]:
                problems.append(f"{entry['as']}: does not match its integrity {entry['integrity']}")
        if not (ASSETS / package["licenseAs"]).is_file():
            problems.append(f"{package['licenseAs']}: licence of {package['name']} missing")
    return problems


def npm_pack(name: str, version: str, into: Path) -> tuple[Path, str]:
    out = subprocess.run(["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(into)],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)[0]
    return into / info["filename"], info["integrity"]


def refresh(manifest: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for package in manifest["packages"]:
            tarball, npm_integrity = npm_pack(package["name"], package["version"], Path(tmp))
            ours = sri(tarball.read_bytes(), "sha512")
            if ours != npm_integrity:
                sys.exit(f"{package['name']}: tarball sha512 {ours} is not npm's {npm_integrity}")
            if package.get("integrity") and package["integrity"] != ours:
                sys.exit(f"{package['name']}@{package['version']}: tarball changed since it was pinned")
            package["integrity"] = ours
            with tarfile.open(tarball) as tar:
                for entry in package["files"]:
                    data = _member(tar, entry["from"])
                    (ASSETS / entry["as"]).write_bytes(data)
                    entry["integrity"] = sri(data)
                (ASSETS / package["licenseAs"]).write_bytes(_licence(tar, package))
            print(f"{package['name']}@{package['version']}: {len(package['files'])} file(s)")
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    fh = tar.extractfile(f"package/{name}")
    if fh is None:
        raise SystemExit(f"package/{name} is not a file")
    return fh.read()


def _licence(tar: tarfile.TarFile, package: dict[str, Any]) -> bytes:
    """The package's own LICENSE; one that ships none is covered by the licence text pinned here."""
    if package.get("licenseFrom"):
        return _member(tar, package["licenseFrom"])
    return (ASSETS / package["licenseAs"]).read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="verify the vendored files (offline)")
    mode.add_argument("--refresh", action="store_true", help="fetch the pinned packages and copy their files")
    args = parser.parse_args()
    manifest = load()
    if args.refresh:
        refresh(manifest)
    problems = check(manifest)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"GraphiQL assets: {sum(len(p['files']) for p in manifest['packages'])} files match vendor.json")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
