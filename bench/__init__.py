"""Benchmarks: rerunnable scripts that print their figures (never timed assertions in tests)."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path


def print_figures(figures: Mapping[str, object]) -> None:
    """A two-column Markdown table of the figures, then the same as one JSON line."""
    import json

    print("| figure | value |\n|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value} |")
    print(json.dumps(figures))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the value at rank round(fraction * (n - 1)) of the sorted values."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is not between 0 and 1")
    ordered = sorted(values)
    return ordered[int(round(fraction * (len(ordered) - 1)))]


def median_figures(runs: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """Per key, the median of the runs' numbers (whole if they all are); else run 1's value."""
    merged: dict[str, object] = {}
    for key, first in runs[0].items():
        values = [run[key] for run in runs if key in run]
        numbers = [value for value in values
                   if isinstance(value, (int, float)) and not isinstance(value, bool)]
        if len(numbers) < len(values):
            merged[key] = first
            continue
        middle = statistics.median([float(number) for number in numbers])
        whole = all(isinstance(number, int) for number in numbers) and middle.is_integer()
        merged[key] = int(middle) if whole else round(middle, 3)
    return merged


def machine() -> dict[str, object]:
    """What the figures were measured on: cores, CPU model, RAM, Python."""
    cpu = "unknown CPU"
    ram_gb = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    return {"cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 0,
            "cpu": cpu, "ram_gb": ram_gb,
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "system": f"{platform.system()} {platform.release()}"}


def machine_line() -> str:
    about = machine()
    return (f"Machine: {about['cores']} cores ({about['cpu']}), {about['ram_gb']} GB RAM, "
            f"{about['python']}, {about['system']}")
