"""The engine seam holds in the imports: Whoosh is reached only from
indexer/whoosh_engine/, the front ends (CLI, watcher, evaluation, web) and the
engine-neutral modules reach neither Whoosh nor that package, the records that
cross the seam need only the standard library, and indexer/ never needs the web.

Imports are read with `ast`, relative ones resolved against the importing
module, so `from ..whoosh_engine import x` counts as much as an absolute import;
imports inside functions and under `if TYPE_CHECKING:` count too.
"""

from __future__ import annotations

import ast
import sys
from importlib.util import resolve_name
from pathlib import Path

import pytest

from .helpers import ROOT

ENGINE = "indexer.whoosh_engine"
FRONT_ENDS = ("indexer.cli", "indexer.watch", "indexer.evaluation")
OPENS_THE_ENGINES = "indexer.engines"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules(package: str) -> dict[str, Path]:
    """Dotted name -> file of every module of `package` (sub-packages included)."""
    return {module_name(path): path for path in sorted((ROOT / package).rglob("*.py"))}


MODULES = {**package_modules("indexer"), **package_modules("searchweb")}


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module `source` (the text of `module`) imports, relative imports
    resolved. `from x import y` imports x, and x.y too when that is one of ours."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_name("." * node.level + (node.module or ""), package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names
                         if f"{base}.{alias.name}" in MODULES)
    return found


def imports_of(module: str) -> set[str]:
    path = MODULES[module]
    return imports_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def reaching(module: str, *packages: str) -> list[str]:
    """The imports of `module` that reach into any of `packages`, sorted."""
    return sorted(name for name in imports_of(module)
                  if any(within(name, package) for package in packages))


def neutral_modules() -> list[str]:
    """The modules directly in indexer/ (not its sub-packages), but the one that
    opens the engines."""
    return sorted(name for name, path in MODULES.items()
                  if path.parent == ROOT / "indexer" and name != OPENS_THE_ENGINES)


def front_ends() -> list[str]:
    return [*FRONT_ENDS, *sorted(name for name in MODULES if within(name, "searchweb"))]


def test_relative_imports_are_resolved_against_the_importing_module():
    source = ("from . import whoosh_engine\nfrom .records import Hit\n"
              "import whoosh.query as wq\n"
              "def late():\n    from whoosh import searching\n")
    assert imports_in(source, "indexer.cli") == {"indexer", "indexer.whoosh_engine",
                                                 "indexer.records", "whoosh.query", "whoosh"}
    explain = imports_in("from ...records import Filters\n", "indexer.whoosh_engine.search.explain")
    assert "indexer.records" in explain
    engine = imports_in("from . import engine\n", ENGINE, is_package=True)
    assert engine == {ENGINE, f"{ENGINE}.engine"}


def test_the_layout_is_found():
    assert set(FRONT_ENDS) <= set(MODULES) and "indexer.records" in MODULES
    assert any(within(name, "searchweb") for name in MODULES)
    assert OPENS_THE_ENGINES in MODULES and "indexer.config" in neutral_modules()


def test_only_the_whoosh_engine_imports_whoosh():
    importers = {name for name in MODULES if reaching(name, "whoosh")}
    assert importers, "no module imports whoosh: the imports were not read"
    assert sorted(name for name in importers if not within(name, ENGINE)) == []


@pytest.mark.parametrize("module", front_ends())
def test_front_ends_reach_neither_whoosh_nor_the_whoosh_engine(module):
    assert reaching(module, "whoosh", ENGINE) == []


@pytest.mark.parametrize("module", neutral_modules())
def test_engine_neutral_modules_reach_neither_whoosh_nor_the_whoosh_engine(module):
    assert reaching(module, "whoosh", ENGINE) == []


def test_records_import_only_the_standard_library():
    outside = sorted(name for name in imports_of("indexer.records")
                     if name.partition(".")[0] not in sys.stdlib_module_names)
    assert outside == []


def test_indexer_never_imports_the_web_app():
    offenders = {name: reaching(name, "searchweb") for name in MODULES if within(name, "indexer")}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_every_folder_of_modules_is_a_package_that_installs():
    """A folder without __init__.py imports from a checkout (a namespace package) but
    is left out by `pip install .` (setuptools finds packages by their __init__.py)."""
    from setuptools import find_packages

    found = set(find_packages(ROOT, include=["indexer*", "searchweb*"]))
    folders = {".".join(path.parent.relative_to(ROOT).parts)
               for top in ("indexer", "searchweb") for path in (ROOT / top).rglob("*.py")}
    assert folders <= found
