"""The code stays lint-clean and type-checked (ruff, mypy), like any other behaviour."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .helpers import ROOT

PACKAGES = ["indexer", "searchweb", "bench"]


@pytest.mark.parametrize("command", [
    ["ruff", "check", *PACKAGES, "tests"],
    ["mypy", *PACKAGES],
], ids=["ruff", "mypy"])
def test_tool_passes(command):
    done = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
