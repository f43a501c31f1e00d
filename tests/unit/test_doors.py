"""Doors (functions/*/app.py) only route and declare parameters: a route function defines no function,
lambda or class of its own (orchestration lives in the layer), read from the source with ast."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOORS = sorted((Path(__file__).resolve().parents[2] / "functions").glob("*/app.py"))
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def nested_in_routes(source: str) -> list[str]:
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [
                f"{node.name}:{n.lineno}" for n in ast.walk(node) if n is not node and isinstance(n, NESTED)
            ]
    return found


def test_the_check_sees_a_closure():
    assert nested_in_routes("def route():\n    def book():\n        pass\n    return book\n") == ["route:2"]
    assert nested_in_routes("def route():\n    return once(action=lambda: 1)\n") == ["route:2"]


@pytest.mark.parametrize("door", DOORS, ids=lambda p: p.parent.name)
def test_a_door_defines_nothing_inside_its_route(door):
    assert nested_in_routes(door.read_text()) == []
