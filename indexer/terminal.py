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
from collections.abc import Callable, Iterable
from typing import Any

import click

from .records import MAX_RESULTS, Facets, Hit, SearchResults

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
COPIES_NAMED = 3  # copies of a story named under its hit; the rest are counted


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


def format_results(results: SearchResults, subject: str | None = None,
                   noun: str = "result") -> str:
    """The results as terminal text, saying what the web page says: how many stories
    and articles, "did you mean", why nothing matched, the copies folded into a hit.
    Matched words in bold yellow (stripped when piped).

    `subject` says what the results are of (default: `for 'the query'`), already
    safe; `noun` what one of them is called when no copies were folded. Article
    text is made safe first and styled after, so our styling codes are the only
    control sequences in the output.
    """
    subject = subject or f"for {safe(repr(results.query))}"
    if not results.total:
        lines = [f"No {noun}s {subject}."]
        if results.explanation:
            lines.append(safe(results.explanation))
        return "\n".join(lines + _did_you_mean(results))
    last = results.last_page  # only the first MAX_RESULTS can be paged to
    lines = [_header(results, subject, noun, last), *_did_you_mean(results)]
    if not results.hits:
        lines.append(f"Page {results.page} is past the last page ({last:,}).")
    for hit in results.hits:
        lines += ["", *_hit_lines(hit)]
    return "\n".join(lines)


def _did_you_mean(results: SearchResults) -> list[str]:
    """The spelling suggestion, whether or not the words as typed matched something."""
    if not results.suggestion:
        return []
    spelling = safe(results.suggestion, one_line=True)
    return [f"Did you mean: {click.style(spelling, bold=True)}?"]


def _hit_lines(hit: Hit) -> list[str]:
    facts = " · ".join(safe(part, one_line=True) for part in (
        hit.date.strftime("%Y-%m-%d") if hit.date else None, hit.section, hit.id) if part)
    snippet = "".join(_highlight(safe(text, one_line=True)) if matched
                      else safe(text, one_line=True) for text, matched in hit.snippet.parts)
    lines = [f"{hit.rank:>3}. {click.style(safe(hit.title, one_line=True), bold=True)}",
             f"     {click.style(facts, dim=True)}", f"     {snippet}"]
    if hit.copies:
        lines.append(f"     {click.style(_copies(hit), dim=True)}")
    return lines


def _copies(hit: Hit) -> str:
    """`+2 copies: a.txt, b.txt`: the copies folded into the hit, the first few named."""
    named = [safe(copy.id, one_line=True) for copy in hit.duplicates[:COPIES_NAMED]]
    more = ", …" if hit.copies > len(named) else ""
    noun = "copy" if hit.copies == 1 else "copies"
    return f"+{hit.copies:,} {noun}" + (f": {', '.join(named)}{more}" if named else "")


def _header(results: SearchResults, subject: str, noun: str, last: int) -> str:
    """`3,657 articles in 160 stories for 'x' · page 1 of 16 (4.2 ms)`; only
    `116 results for 'x'` when no copies were folded."""
    stories = results.total
    articles = results.articles if results.articles is not None else stories
    at_least = "" if results.total_exact else "at least "
    if articles == stories:
        count = f"{at_least}{stories:,} {noun}{'' if stories == 1 else 's'}"
    else:
        count = (f"{articles:,} {'article' if articles == 1 else 'articles'} in "
                 f"{at_least}{stories:,} {'story' if stories == 1 else 'stories'}")
    header = f"{count} {subject}"
    if last > 1:
        header += f" · page {results.page} of {last:,}"
    if stories > MAX_RESULTS or (not results.total_exact and stories >= MAX_RESULTS):
        header += f" · showing the first {MAX_RESULTS:,}"
    return header + f" ({results.took_ms:.1f} ms)"


def _highlight(word: str) -> str:
    return click.style(word, fg="yellow", bold=True)


class Warnings:
    """The `warn` of a sync: prints each warning unless quiet, and then its report.

    A source not read to its end is shown even when quiet (its articles were
    kept as they were, and it needs fixing), and only once: sync warns about
    it too. At most MAX_SHOWN warnings are printed (and remembered) per sync:
    a small file of a million bad lines must not print a million lines.
    """

    MAX_SHOWN = 250  # above the sync's own cap, whose last line counts what it held back

    def __init__(self, quiet: bool, echo: Callable[[str], None] | None = None) -> None:
        self.quiet = quiet
        # where a line goes: above a progress line while one is drawn (see indexer.progress)
        self.echo = echo or _to_stderr
        self.shown: set[str] = set()
        self.hidden = 0

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        if len(self.shown) < self.MAX_SHOWN:
            self.echo(_warning(message))
            self.shown.add(message)
        else:
            self.hidden += 1

    def report(self, summary: str, incomplete: Iterable[str]) -> None:
        """The summary, then each source not read to its end that is not shown yet."""
        if self.hidden:
            self.echo(_warning(f"{self.hidden:,} more warnings not shown "
                               f"(the first {self.MAX_SHOWN} are)"))
        self.echo(safe(summary))
        for message in list(incomplete)[:self.MAX_SHOWN]:
            if message not in self.shown:
                self.echo(_warning(message))
        self.shown.clear()  # a watch's next sync shows them again
        self.hidden = 0


def _warning(message: str) -> str:
    """One warning; a line break in it (a file name may hold one) starts an indented
    line, so no warning can pass for a summary or another warning."""
    return "warning: " + safe(message).replace("\n", "\n  ")


def _to_stderr(text: str) -> None:
    click.echo(text, err=True)


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
