"""Every client-facing message the source constructs, found statically with `ast`.

A message is a string literal (or an f-string, which is a mistake: use `msg()`) in one of
these places:
- the first argument of `msg(...)`;
- a `message=` keyword argument, or a `message: str = "..."` class default;
- the argument at a known position of a constructor that carries a message or a reason to
  the client (coded errors, the resolvers' outcome records, input parsers' reasons).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mychangsha

SOURCE_ROOT = Path(mychangsha.__file__).parent
SKIPPED = ("simulators",)  # upstream stand-ins: their words are the upstream's, not ours

# constructor name -> position of its client-facing message argument
POSITIONAL: dict[str, int] = {
    "GraphError": 0,
    "BadUserInput": 0,
    "NotFound": 0,
    "Unauthenticated": 0,
    "Forbidden": 0,
    "QueryTooComplex": 0,
    "InvalidIdNumber": 0,
    "InvalidPhone": 0,
    "RealNameRejected": 0,
    "FamilyRejected": 1,
    "InvalidInput": 1,
    "Invalid": 1,
    "BadMaterial": 1,
    "BadField": 1,
    "UploadRejected": 1,
}


@dataclass(frozen=True)
class Found:
    """One message in the source: its text (None for an f-string) and where it is."""

    text: str | None
    where: str


def _name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _literal(node: ast.expr, where: str) -> Iterator[Found]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield Found(node.value, where)
    elif isinstance(node, ast.JoinedStr):
        yield Found(None, where)


def _in_module(path: Path) -> Iterator[Found]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(SOURCE_ROOT)
    for node in ast.walk(tree):
        where = f"{relative}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _name(node)
            if name == "msg" and node.args:
                yield from _literal(node.args[0], where)
            position = POSITIONAL.get(name or "")
            if position is not None and len(node.args) > position:
                yield from _literal(node.args[position], where)
            for keyword in node.keywords:
                if keyword.arg == "message":
                    yield from _literal(keyword.value, where)
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "message"
            and node.value is not None
        ):
            yield from _literal(node.value, where)


def client_messages() -> list[Found]:
    """Every message the package's own code can show a client."""
    found: list[Found] = []
    for path in sorted(SOURCE_ROOT.rglob("*.py")):
        if not any(part in SKIPPED for part in path.relative_to(SOURCE_ROOT).parts):
            found.extend(_in_module(path))
    return found
