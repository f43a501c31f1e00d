"""The layer's imports point one way: no cycle among booking_gateway's modules, counting every import the
source names (module level, inside functions, and type-only ones under `if TYPE_CHECKING:`), read from the
source with ast so that nothing has to run."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "common" / "booking_gateway"
NAME = PACKAGE.name


def imports_of(path: Path) -> set[str]:
    """The package's modules that this module's source imports, wherever the import statement stands."""
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .cache import x
                found.add(node.module.split(".")[0])
            elif node.level == 1:  # from . import cache, clock
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.split(".")[0] == NAME:  # from booking_gateway.cache import x
                parts = node.module.split(".")
                found.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith(NAME + "."))
    return (found & modules) - {path.stem, "__init__"}


def graph() -> dict[str, set[str]]:
    return {path.stem: imports_of(path) for path in sorted(PACKAGE.glob("*.py"))}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from where it was entered)."""
    found, done = [], set()

    def walk(node: str, path: list[str]) -> None:
        if node in path:
            found.append([*path[path.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(edges.get(node, ())):
            walk(nxt, [*path, node])
        done.add(node)

    for start in sorted(edges):
        walk(start, [])
    return found


def test_the_finder_sees_every_form_of_import(tmp_path, monkeypatch):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import cache, clock\nfrom .holds import listed\nimport booking_gateway.budget\n"
        "from booking_gateway.forward import send\n"
        "if TYPE_CHECKING:\n    from .bookings import book\n"
        "def later():\n    from .settings import get_settings\n"
    )
    assert imports_of(source) == {"cache", "clock", "holds", "budget", "forward", "bookings", "settings"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_layer():
    edges = graph()
    assert "write_path" not in edges  # gone: its concerns have their own modules
    assert cycles(edges) == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles(edges))


def test_the_write_side_leans_on_no_door_or_app():
    edges = graph()
    assert not edges["holds"] & {"forward", "bookings", "altegio_client", "write_app", "idempotency"}
    assert not edges["check_cache"] & {"bookings", "write_app"}
    assert not edges["idempotency"] & {"bookings", "write_app"}
    assert edges["container"] == set()  # every module may use it
