"""scripts/schema_check.py: what it calls undocumented and what it calls breaking."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from graphql import build_schema

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "schema_check.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("schema_check", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OLD = '''
"""Q""" type Query { "a" a(x: Int): String  "b" b: Kind }
"""K""" enum Kind { "one" ONE "two" TWO }
'''


def test_undocumented_lists_every_type_field_argument_and_enum_value_without_a_description() -> None:
    sdl = 'type Query { a(x: Int): T } type T { f: String } enum E { A "b" B } input I { g: E }'
    assert load().undocumented(build_schema(sdl)) == ["E", "E.A", "I", "I.g", "Query.a", "Query.a(x)", "T", "T.f"]


def test_the_committed_schema_is_fully_described() -> None:
    committed = (SCRIPT.parents[1] / "schema.graphql").read_text(encoding="utf-8")
    assert load().undocumented(build_schema(committed)) == []


def test_removing_a_field_or_enum_value_is_breaking_and_adding_one_is_not() -> None:
    check = load()
    removed = OLD.replace('"b" b: Kind', "").replace('"two" TWO', "")
    _, breaking = check.compare(OLD, removed)
    assert breaking == ["FIELD_REMOVED: Field Query.b was removed.",
                        "VALUE_REMOVED_FROM_ENUM: Enum value Kind.TWO was removed."]
    added = OLD.replace('"b" b: Kind', '"b" b: Kind "c" c: Int').replace('"two" TWO', '"two" TWO "three" THREE')
    dangerous, breaking = check.compare(OLD, added)
    assert breaking == []
    assert dangerous == ["VALUE_ADDED_TO_ENUM: Enum value Kind.THREE was added."]
