"""Checks of the committed schema.graphql as a product: documented, and not broken for clients.

    python scripts/schema_check.py undocumented        # every type, field, argument, enum value described
    python scripts/schema_check.py breaking [--against REV]   # no breaking change since REV (HEAD~1)

A deliberate breaking change passes when the newest commit's message carries a line
`Schema-Breaking-Change: <why, and what clients must do>`, so that it is decided, not slipped in.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema.graphql"
BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}
# Strawberry writes these itself and their descriptions live in its own code.
GENERATED = {"PageInfo", "Node"}
WAIVER = "Schema-Breaking-Change:"


def undocumented(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value of our own without a description."""
    missing: list[str] = []
    for name, t in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN or name in GENERATED:
            continue
        if not t.description and t not in (schema.query_type, schema.mutation_type, schema.subscription_type):
            missing.append(name)
        missing += _members(t)
    return missing


def _members(t: GraphQLNamedType) -> list[str]:
    missing = []
    if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
        for fname, f in t.fields.items():
            if not f.description and not (fname == "id" and "Node" in {i.name for i in t.interfaces}):
                missing.append(f"{t.name}.{fname}")
            missing += [f"{t.name}.{fname}({a})" for a, arg in f.args.items()
                        if not arg.description and not _self_described(t, a)]
    elif isinstance(t, GraphQLInputObjectType):
        missing += [f"{t.name}.{fname}" for fname, f in t.fields.items() if not f.description]
    elif isinstance(t, GraphQLEnumType):
        missing += [f"{t.name}.{v}" for v, value in t.values.items() if not value.description]
    return missing


def _self_described(t: GraphQLNamedType, arg: str) -> bool:
    """A mutation's one `input` argument is described by its input type (the Relay convention)."""
    return t.name == "Mutation" and arg == "input"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def compare(old_sdl: str, new_sdl: str) -> tuple[list[str], list[str]]:
    """The dangerous and the breaking changes from one SDL to the next, as graphql-core words them."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    return ([f"{c.type.name}: {c.description}" for c in find_dangerous_changes(old, new)],
            [f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)])


def breaking(against: str) -> int:
    try:
        old_sdl = _git("show", f"{against}:schema.graphql")
    except subprocess.CalledProcessError:
        print(f"schema compatibility: no schema.graphql at {against}; nothing to compare")
        return 0
    dangerous, changes = compare(old_sdl, SCHEMA.read_text(encoding="utf-8"))
    for line in dangerous:
        print(f"dangerous: {line}")
    for line in changes:
        print(f"BREAKING: {line}")
    if not changes:
        print(f"schema compatibility: no breaking change since {against}")
        return 0
    if WAIVER in _git("log", "-1", "--format=%B"):
        print(f"schema compatibility: {len(changes)} breaking change(s), accepted by the commit's {WAIVER} line")
        return 0
    print(f"{len(changes)} breaking change(s) since {against}. Keep the old field beside the new one "
          f"(deprecate it), or say why in the commit message: '{WAIVER} ...'", file=sys.stderr)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="check", required=True)
    sub.add_parser("undocumented", help="list what has no description; exit 1 if anything")
    compat = sub.add_parser("breaking", help="compare with an earlier commit's schema.graphql")
    compat.add_argument("--against", default="HEAD~1")
    args = parser.parse_args()
    if args.check == "breaking":
        return breaking(args.against)
    missing = undocumented(build_schema(SCHEMA.read_text(encoding="utf-8")))
    for item in missing:
        print(f"undocumented: {item}")
    print(f"schema descriptions: {len(missing)} undocumented" if missing else "schema descriptions: complete")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
