"""Benchmarks: rerunnable scripts that print their figures (never timed assertions in tests)."""

from typing import Mapping


def print_figures(figures: Mapping[str, object]) -> None:
    """A two-column Markdown table of the figures, then the same as one JSON line."""
    import json

    print("| figure | value |\n|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value} |")
    print(json.dumps(figures))
