"""What crosses the terminal: text we print, results as text, numbers we are given.

Article text, titles, sections and ids (file names) come from whoever wrote the
corpus, and a terminal obeys control sequences wherever they appear: an ESC
can clear the screen, an OSC retitle the window or write a hyperlink, a bare
CR overwrite the line a warning is on, a bidi override make a file name read
backwards. So every piece of such text is passed through `safe` before it is
printed, and before our own styling is added, so that our colour codes are the
only control sequences left.

Numbers typed on the command line are the other way in: Python's `int()` and
`float()` read Arabic-Indic, Devanagari and full-width digits, `_` separators,
`inf` and `nan`; the option types here accept ASCII digits only.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

import click

from .facets import Facets
from .results import SearchResults
from .searching import MAX_RESULTS

# C0 controls but newline and tab, DEL, C1 controls (U+0085 NEL, U+009B CSI, ...),
# the bidi embeddings, overrides and isolates (the "Trojan Source" characters),
# and lone surrogates (undecodable bytes of a file name; printing them raises).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_MULTI_LINE = re.compile(f"[{_UNSAFE}]")
# One-line fields (a title, an id) also show newline, tab and the Unicode line
# and paragraph separators, so one article can never take two lines of output.
_ONE_LINE = re.compile(f"[{_UNSAFE}\n\t\u2028\u2029]")
# What `json.dumps(..., ensure_ascii=False)` leaves raw (it escapes C0 itself).
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def safe(text: str, one_line: bool = False) -> str:
    """`text` with every character a terminal could obey shown as a visible escape.

    ESC becomes the four characters `\\x1b`, BEL `\\x07`, CR `\\r`, U+202E
    `\\u202e`: the notation of Python and JSON, so what is shown says exactly
    which character was there (U+FFFD would not), a search for the visible
    text finds it, and it is plain ASCII, which no terminal interprets.
    Caret notation (`^[`) was not chosen: it has no form for C1 or bidi
    characters. Backslashes already in the text are left as they are: output
    stays readable, and `--json` gives the exact characters.

    Newline and tab are kept unless `one_line` (titles, ids, sections: one
    line each, however they were written): a tab only moves the cursor right.
    Right-to-left *marks* (U+200E, U+200F, U+061C) are kept: real Arabic and
    Hebrew text needs them, and they reorder nothing beyond the neutral
    characters next to them.
    """
    return (_ONE_LINE if one_line else _MULTI_LINE).sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def json_text(data: Any) -> str:
    """`data` as one line of JSON with no character a terminal could obey.

    JSON is data: every string decodes to exactly what it was. Outside strings
    `json.dumps` writes only ASCII, so escaping the characters it leaves raw
    (DEL, C1, bidi controls, lone surrogates) keeps the text valid JSON.
    """
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}",
                         json.dumps(data, ensure_ascii=False))


def format_timeline(facets: Facets, width: int = 40) -> str:
    """A text histogram: one line per year (or month), bars scaled to the busiest."""
    if not facets.timeline:
        return "No dated articles match."
    top = max(bar.count for bar in facets.timeline) or 1
    lines = [f"Matching articles by {facets.timeline_unit}:"]
    for bar in facets.timeline:
        length = round(width * bar.count / top)
        lines.append(f"{safe(str(bar.value), one_line=True):>7} {'█' * length}"
                     f"{'▏' if bar.count and not length else ''} {bar.count}")
    return "\n".join(lines)


def format_results(results: SearchResults) -> str:
    """The results as terminal text; matched words in bold yellow (stripped when piped).

    Article text is made safe first and styled after, so our styling codes are
    the only control sequences in the output.
    """
    query = safe(repr(results.query))
    if not results.total:
        lines = [f"No results for {query}."]
        if results.suggestion:
            spelling = safe(results.suggestion, one_line=True)
            lines.append(f"Did you mean: {click.style(spelling, bold=True)}?")
        return "\n".join(lines)
    last = _last_page(results)
    lines = [_header(results, query, last)]
    if not results.hits:
        lines.append(f"Page {results.page} is past the last page ({last}).")
    for hit in results.hits:
        facts = " · ".join(safe(part, one_line=True) for part in (
            hit.date.strftime("%Y-%m-%d") if hit.date else None, hit.section, hit.id) if part)
        snippet = "".join(_highlight(safe(text, one_line=True)) if matched
                          else safe(text, one_line=True) for text, matched in hit.snippet.parts)
        lines += ["", f"{hit.rank:>3}. {click.style(safe(hit.title, one_line=True), bold=True)}",
                  f"     {click.style(facts, dim=True)}", f"     {snippet}"]
    return "\n".join(lines)


def _last_page(results: SearchResults) -> int:
    """The last page one can ask for: only the first MAX_RESULTS results are reachable."""
    reachable = min(results.pages, max(1, MAX_RESULTS // results.per_page))
    return int(getattr(results, "last_page", reachable))


def _header(results: SearchResults, query: str, last: int) -> str:
    noun = "result" if results.total == 1 else "results"
    header = f"{results.total} {noun} for {query} ({results.took_ms:.1f} ms)"
    if last > 1:
        header += f", page {results.page} of {last}"
    if results.total > MAX_RESULTS:
        header += f", showing the first {MAX_RESULTS:,}"
    return header


def _highlight(word: str) -> str:
    return click.style(word, fg="yellow", bold=True)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A `progress(done, total)` callback drawing a bar on stderr, or None when off;
    the bar is made at the first call, when the total is known."""
    if not enabled:
        yield None
        return
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


class Warnings:
    """The `warn` of a sync: prints each warning unless quiet, and then its report.

    A source not read to its end is shown even when quiet (its articles were
    kept as they were, and it needs fixing), and only once: sync warns about
    it too. At most MAX_SHOWN warnings are printed (and remembered) per sync:
    a small file of a million bad lines must not print a million lines.
    """

    MAX_SHOWN = 250  # above the sync's own cap, whose last line counts what it held back

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.shown: set[str] = set()
        self.hidden = 0

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        if len(self.shown) < self.MAX_SHOWN:
            _warning(message)
            self.shown.add(message)
        else:
            self.hidden += 1

    def report(self, summary: str, incomplete: Iterable[str]) -> None:
        """The summary, then each source not read to its end that is not shown yet."""
        if self.hidden:
            _warning(f"{self.hidden:,} more warnings not shown (the first {self.MAX_SHOWN} are)")
        click.echo(safe(summary), err=True)
        for message in list(incomplete)[:self.MAX_SHOWN]:
            if message not in self.shown:
                _warning(message)
        self.shown.clear()  # a watch's next sync shows them again
        self.hidden = 0


def _warning(message: str) -> None:
    """One warning; a line break in it (a file name may hold one) starts an indented
    line, so no warning can pass for a summary or another warning."""
    click.echo("warning: " + safe(message).replace("\n", "\n  "), err=True)


_ASCII_INT = re.compile(r"[+-]?[0-9]+")
_ASCII_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_MAX_CHARS = 40  # longer is out of any range here (and int() refuses 4,300 digits)


class _AsciiNumber(click.ParamType):
    """A number written with the ASCII digits 0-9 between two bounds, converted by its
    own pattern: `int()` and `float()` also take "١", "１" and "1_0"."""

    pattern: re.Pattern[str]
    parse: Callable[[Any], Any]
    wanted: str
    bounds: tuple[Any, Any]

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _in_range(self, self.bounds, type(self).parse(value), value, param, ctx)
        text = str(value).strip(" ")
        if not self.pattern.fullmatch(text):
            self.fail(f"{_shown(value)} is not {self.wanted}; {_between(self.bounds)}.",
                      param, ctx)
        number = type(self).parse(text) if len(text) <= _MAX_CHARS else None
        return _in_range(self, self.bounds, number, value, param, ctx)


class AsciiInt(_AsciiNumber, click.IntRange):
    """A whole number between `low` and `high`; an `IntRange` so that help and shell
    completion describe it as a range."""

    name = "integer"
    pattern = _ASCII_INT
    parse = int
    wanted = "a whole number written with the digits 0-9"

    def __init__(self, low: int, high: int) -> None:
        click.IntRange.__init__(self, min=low, max=high)
        self.bounds = (low, high)


class AsciiFloat(_AsciiNumber, click.FloatRange):
    """A number such as 30 or 0.5: no exponent, `inf` or `nan` (`nan` passes every
    range check, and a lock timeout of `nan` waits forever)."""

    name = "number"
    pattern = _ASCII_DECIMAL
    parse = float
    wanted = "a number written with the digits 0-9 and a point"

    def __init__(self, low: float, high: float) -> None:
        click.FloatRange.__init__(self, min=low, max=high)
        self.bounds = (low, high)


def _in_range(kind: click.ParamType, bounds: tuple[Any, Any], number: Any, given: Any,
              param: click.Parameter | None, ctx: click.Context | None) -> Any:
    low, high = bounds
    if number is None or not low <= number <= high:
        kind.fail(f"{_shown(given)} is out of range; {_between(bounds)}.", param, ctx)
    return number


def _between(bounds: tuple[Any, Any]) -> str:
    low, high = (f"{bound:g}" if isinstance(bound, float) else str(bound) for bound in bounds)
    return f"use one between {low} and {high}"


def _shown(value: Any) -> str:
    """The value as typed, quoted, its control characters visible, a long one cut."""
    text = str(value)
    return "'" + safe(text[:_MAX_CHARS], one_line=True) + ("…'" if len(text) > _MAX_CHARS
                                                            else "'")
