"""The README stays true: its commands, and every setting documented."""

from __future__ import annotations

import re

import pytest

from indexer.config import SETTINGS

from .helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """The commands in the README's first code block."""
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_has_the_two_commands_first():
    setup_and_run, tests = readme_commands()
    assert "pip install ." in setup_and_run and "seedsearch" in setup_and_run
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting):
    assert f"`--{setting.name}`" in README
    assert f"`{setting.envvar}`" in README
    assert f"`{setting.default}`" in README


def test_every_module_the_docs_name_exists():
    """Paths like `indexer/whoosh_engine/search/snippets.py` in the README and docs/
    stay true when modules move."""
    texts = [README, *(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))]
    named = {match for text in texts
             for match in re.findall(r"\b(?:indexer|searchweb|bench|tests)/[\w/]+\.py\b", text)}
    assert named and not sorted(path for path in named if not (ROOT / path).exists())
