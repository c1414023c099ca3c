"""Every use of a Whoosh private name lives in `indexer/whoosh_engine/internals.py`.

A Whoosh upgrade then checks that module and the codec writer only. Outside
them no module may read, write or call `x._name` on anything but `self` or
`cls`, ask `getattr(x, "_name")`, import `_name` from a Whoosh module, or, in a
subclass of a Whoosh class, override or use a private name Whoosh's class has.
The codec writer writes Whoosh's postings format through the buffer of
Whoosh's own postings writer: there a statement may do so when a line of it,
or the comment line above it, says `# Whoosh 2.7.5 private: ...`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

from whoosh import matching

from .helpers import ROOT

SCANNED = ("indexer", "searchweb")
INTERNALS = Path("indexer/whoosh_engine/internals.py")
CODEC_WRITER = frozenset(Path("indexer/whoosh_engine/codec") / name for name in
                         ("term_blocks.py", "segment_builder.py", "packed_format.py"))
MARK = "# Whoosh 2.7.5 private:"
# `base.name` reads that are not Whoosh's, each with its reason
ALLOWED = {
    "os._exit": "the standard library's exit without clean-up, for forked children",
}
PRIVATE_LOOKUPS = frozenset({"getattr", "hasattr", "setattr", "delattr"})


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def violations(path: Path, source: str, namespace: dict[str, Any] | None) -> list[str]:
    """Each use of a Whoosh private name in one module, as `path:line: what`.

    `namespace`: the module's globals, to tell which of its classes subclass
    Whoosh's (None: that check is skipped)."""
    if path == INTERNALS:
        return []
    tree = ast.parse(source)
    found = [(node, what) for node, what in _private_uses(tree)]
    if namespace is not None:
        found += _subclass_uses(tree, namespace)
    lines = source.splitlines()
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    return sorted(f"{path}:{node.lineno}: {what}" for node, what in found
                  if not (path in CODEC_WRITER and _marked(node, parents, lines)))


def _private_uses(tree: ast.AST) -> list[tuple[ast.AST, str]]:
    """`x._name` (x not self or cls), `getattr(x, "_name")`, `from whoosh... import _name`."""
    uses: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            what = f"{ast.unparse(node.value)}.{node.attr}"
            if what not in ALLOWED:
                uses.append((node, what))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in PRIVATE_LOOKUPS and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and is_private(node.args[1].value)):
            uses.append((node, f"{node.func.id}(..., {node.args[1].value!r})"))
        elif (isinstance(node, ast.ImportFrom) and node.module
              and node.module.split(".")[0] == "whoosh"):
            uses += [(node, f"from {node.module} import {alias.name}")
                     for alias in node.names if is_private(alias.name)]
    return uses


def _subclass_uses(tree: ast.AST, namespace: dict[str, Any]) -> list[tuple[ast.AST, str]]:
    """In a class with a Whoosh class among its bases: methods overriding, and
    `self._name` using, a private name that Whoosh's class has."""
    uses: list[tuple[ast.AST, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        whoosh_names: set[str] = set()
        for base in node.bases:
            whoosh_names |= _whoosh_private_names(_evaluated(base, namespace))
        if not whoosh_names:
            continue
        for inner in ast.walk(node):
            if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and inner.name in whoosh_names:
                uses.append((inner, f"{node.name}.{inner.name} overrides Whoosh's"))
            elif (isinstance(inner, ast.Attribute) and inner.attr in whoosh_names
                  and isinstance(inner.value, ast.Name) and inner.value.id in ("self", "cls")):
                uses.append((inner, f"{node.name}: {inner.value.id}.{inner.attr} is Whoosh's"))
    return uses


def _evaluated(base: ast.expr, namespace: dict[str, Any]) -> Any:
    try:
        return eval(compile(ast.Expression(base), "<base>", "eval"), dict(namespace))
    except Exception:  # a base named inside a function: not a module-level name
        return None


def _whoosh_private_names(base: Any) -> frozenset[str]:
    if not isinstance(base, type):
        return frozenset()
    names: set[str] = set()
    for klass in base.__mro__:
        if klass.__module__.split(".")[0] == "whoosh":
            names |= _private_names_of(klass)
    return frozenset(names)


@cache
def _private_names_of(klass: type) -> frozenset[str]:
    """The private names a Whoosh class defines or sets on its instances (`self._x`)."""
    names = {name for name in vars(klass) if is_private(name)}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(names)
    names |= {node.attr for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and is_private(node.attr)
              and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")}
    return frozenset(names)


def _marked(node: ast.AST, parents: dict[ast.AST, ast.AST], lines: list[str]) -> bool:
    """Whether the statement holding `node` (up to `node`) or the comment line
    above it carries the mark."""
    statement = node
    while not isinstance(statement, ast.stmt):
        statement = parents[statement]
    first, last = statement.lineno, getattr(node, "end_lineno", node.lineno)
    above = lines[first - 2].strip() if first >= 2 else ""
    return above.startswith(MARK) or any(MARK in line for line in lines[first - 1:last])


def modules() -> list[Path]:
    return sorted(path.relative_to(ROOT) for package in SCANNED
                  for path in (ROOT / package).rglob("*.py"))


def _namespace(path: Path, source: str) -> dict[str, Any] | None:
    """The module's globals, when it defines a class with a base (__main__ is not run)."""
    if path.stem == "__main__" or not any(isinstance(node, ast.ClassDef) and node.bases
                                          for node in ast.walk(ast.parse(source))):
        return None
    name = ".".join(path.with_suffix("").parts)
    return vars(importlib.import_module(name.removesuffix(".__init__")))


def test_no_whoosh_private_name_outside_internals():
    found = []
    for path in modules():
        source = (ROOT / path).read_text(encoding="utf-8")
        found += violations(path, source, _namespace(path, source))
    assert not found, ("Whoosh private names used outside indexer/whoosh_engine/internals.py "
                       "(add a function there naming the Whoosh behaviour it relies on):\n"
                       + "\n".join(found))


def test_the_rule_sees_each_kind_of_use():
    searching = Path("indexer/whoosh_engine/search/searching.py")
    uses = [  # (source, the use it must report)
        ("def f(reader):\n    return reader._perdoc\n", "2: reader._perdoc"),
        ("def f():\n    return super()._find_next()\n", "2: super()._find_next"),
        ("def f(reader):\n    return getattr(reader, '_perdoc', None)\n",
         "2: getattr(..., '_perdoc')"),
        ("from whoosh.codec.whoosh3 import _lenfield\n",
         "1: from whoosh.codec.whoosh3 import _lenfield"),
        ("from whoosh.codec import whoosh3\nwhoosh3.W3PerDocReader._cached_reader = None\n",
         "2: whoosh3.W3PerDocReader._cached_reader"),
    ]
    for source, use in uses:
        assert violations(searching, source, None) == [f"{searching}:{use}"]
    assert violations(searching, "import os\nos._exit(0)\n", None) == []


def test_the_rule_sees_a_subclass_using_whoosh_private_names():
    searching = Path("indexer/whoosh_engine/search/searching.py")
    source = ("class Wrapper(matching.WrappingMatcher):\n"
              "    def _replacement(self, newchild):\n"
              "        return Wrapper(newchild)\n\n"
              "class Leaf(matching.ListMatcher):\n"
              "    def first(self):\n"
              "        return self._ids[0]\n\n"
              "class Own(matching.ListMatcher):\n"
              "    def __init__(self, ids):\n"
              "        super().__init__(ids)\n"
              "        self._mine = 1\n")
    assert violations(searching, source, {"matching": matching}) == [
        f"{searching}:2: Wrapper._replacement overrides Whoosh's",
        f"{searching}:7: Leaf: self._ids is Whoosh's"]


def test_only_marked_statements_of_the_codec_writer_may_use_them():
    writer = Path("indexer/whoosh_engine/codec/term_blocks.py")
    source = ("def f(writer):\n"
              "    writer._blocklimit  # Whoosh 2.7.5 private: postings per block\n"
              "    # Whoosh 2.7.5 private: the block buffer\n"
              "    (writer._ids,\n"
              "     writer._weights) = [], []\n"
              "    return writer._format\n")
    assert violations(writer, source, None) == [f"{writer}:6: writer._format"]
    assert violations(Path("indexer/whoosh_engine/codec/segment_checks.py"), source, None)


def test_each_internal_names_the_whoosh_behaviour_it_relies_on():
    tree = ast.parse((ROOT / INTERNALS).read_text(encoding="utf-8"))
    undocumented = [node.name for node in tree.body
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                    and "Whoosh 2.7.5" not in (ast.get_docstring(node) or "")]
    assert not undocumented
