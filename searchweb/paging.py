"""Which page numbers the pagination shows: a window, not every page.

A query can have up to 100 pages (MAX_RESULTS over the page size); listing
them all would wrap over several lines on a phone. The first and last pages
are always there (where a reader jumps to), and the pages around the current
one (where a reader steps to); a gap stands for the pages left out.
"""

from __future__ import annotations

AROUND = 2  # pages shown on each side of the current one
GAP = None  # a run of pages left out, shown as "…"


def page_window(current: int, last: int, around: int = AROUND) -> list[int | None]:
    """Page numbers from 1 to `last` to link to: 1, `last` and `current` ± `around`,
    in order, with GAP where pages are left out. A gap of a single page shows the
    page instead: "…" would take as much room as the number it hides.

    `current` past `last` (a page past the end) keeps the window on the last pages.
    """
    last = max(1, last)
    current = min(max(1, current), last)
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    window: list[int | None] = []
    for number in shown:
        previous = window[-1] if window else None
        if previous is not None and number - previous == 2:
            window.append(previous + 1)
        elif previous is not None and number - previous > 2:
            window.append(GAP)
        window.append(number)
    return window
