"""The `seedsearch` command: index a folder of articles and search it.

Each command opens the engine the settings name (`open_engine`) and calls its
verbs, so it works the same over any engine, and closes it when done.

Results go to stdout; progress, warnings and notices to stderr. Library errors
become `click.ClickException`s that say what to run next. Every piece of text
that comes from the corpus or the command line is passed through
`terminal.safe` before it is styled and printed, so the only control
sequences that reach the terminal are our own colours.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import wraps
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import click

from . import MAX_PAGE, MAX_PER_PAGE, MAX_RESULTS, SORTS, Config, Engine, Filters, SyncReport
from .config import SETTINGS_BY_NAME, load_config
from .engine import LOCK_TIMEOUT, SearchRequest, SyncListener
from .engines import open_engine
from .errors import SeedsearchError
from .evaluation import DEFAULT_METRICS, evaluate, write_trec_run
from .hints import commands_named
from .progress import ProgressReporter
from .terminal import (
    AsciiFloat,
    AsciiInt,
    Warnings,
    format_results,
    format_timeline,
    json_text,
    safe,
)
from .watch import follow

MAX_LOCK_TIMEOUT = 24 * 3600.0  # a day; `inf` and `nan` used to mean "wait forever"
NOTHING_FOUND = 1  # the exit status of a search that matched nothing, as grep's
SETTING_OPTIONS = ("corpus", "index", "language", "engine")  # in the order --help lists them


def settings_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--corpus, --index, --language and --engine on a command, each also read from
    its env var; the command gets `config`, the settings in use.

    Not given (None), the corpus and language are the index's own (what it records),
    else the defaults; hints in errors name the commands for these settings."""
    return _opening_engine(command, lambda engine: {"config": engine.config})


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The settings options, as `settings_options`; the command gets `engine`, the
    engine they name over their index, closed when the command ends."""
    return _opening_engine(command, lambda engine: {"engine": engine})


def _opening_engine(command: Callable[..., Any],
                    given: Callable[[Engine], dict[str, Any]]) -> Callable[..., Any]:
    @wraps(command)
    def with_engine(**kwargs: Any) -> Any:
        with _engine_for(_given_settings(kwargs)) as engine:
            return command(**given(engine), **kwargs)

    return _with_setting_options(with_engine)


def _with_setting_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for name in reversed(SETTING_OPTIONS):  # each option added goes above the last
        setting = SETTINGS_BY_NAME[name]
        shown = f"the index's, else {setting.default}" if setting.recorded else setting.default
        command = click.option(
            f"--{name}", f"{name}_setting", envvar=setting.envvar, default=None,
            show_default=shown, show_envvar=True, help=setting.help,
        )(command)
    return command


def _given_settings(kwargs: dict[str, Any]) -> dict[str, str | None]:
    """The settings options' values, taken out of the command's own arguments."""
    return {name: kwargs.pop(f"{name}_setting") for name in SETTING_OPTIONS}


@contextmanager
def _engine_for(settings: dict[str, str | None]) -> Iterator[Engine]:
    """The engine the settings name (which reads the index's own corpus and language
    for those not given); library errors become click's, their hints naming these
    settings."""
    with library_errors(), open_engine(load_config(settings)) as engine, \
            commands_named(engine.config):
        yield engine


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn the library's errors into click errors (exit status 1, no traceback)."""
    try:
        yield
    except SeedsearchError as error:
        raise click.ClickException(safe(str(error))) from error


@contextmanager
def safe_click_errors() -> Iterator[None]:
    """Make click's own error messages safe to print: "No such option: …" and
    "No such command …" echo what was typed as it was typed."""
    try:
        yield
    except click.ClickException as error:
        # Final only in click's type hints: a plain attribute that show() reads.
        error.message = safe(error.message)  # type: ignore[misc]
        raise


class PluginGroup(click.Group):
    """A group that also offers the commands other packages register as entry points.

    The web front end adds `serve` this way, so this package never imports it,
    and it is imported only when that command runs.
    """

    entry_point_group = "seedsearch.commands"

    def _plugins(self) -> dict[str, EntryPoint]:
        return {point.name: point for point in entry_points(group=self.entry_point_group)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with safe_click_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """Also where a command's own options are parsed, and its errors raised."""
        with safe_click_errors():
            return super().invoke(ctx)


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seedsearch")
def cli() -> None:
    """Search a folder of news articles."""


@cli.command("index")
@engine_options
@click.option("--rebuild", is_flag=True, help="Build a fresh index instead of updating it.")
@click.option("--quiet", "-q", is_flag=True,
              help="No progress or warnings: the summary, and any source not read to its end.")
@click.option("--verbose", "-v", is_flag=True,
              help="Also say how long each step took, the quick ones too.")
@click.option("--lock-timeout", default=LOCK_TIMEOUT, show_default=True,
              type=AsciiFloat(0, MAX_LOCK_TIMEOUT),
              help="Seconds to wait for another seedsearch process updating the index.")
@click.option("--procs", default=None, type=AsciiInt(1, 64),
              help="Processes building a new index [default: one per core; one for "
                   "fewer than 2,000 articles]. Updates use one.")
def index_command(engine: Engine, rebuild: bool, quiet: bool, verbose: bool,
                  lock_timeout: float, procs: int | None) -> None:
    """Build the index, or bring it in step with the corpus.

    Progress goes to stderr: on a terminal a status line (stage, articles done of
    all, rate), warnings above it; otherwise a line per stage and a count every
    few seconds.
    """
    with ProgressReporter(sys.stderr, enabled=not quiet, verbose=verbose) as reporter:
        warnings = Warnings(quiet, echo=reporter.line)
        listener = SyncListener(warn=warnings, progress=None if quiet else reporter.progress,
                                stage=reporter.stage)
        report = engine.sync(rebuild=rebuild, listener=listener, lock_timeout=lock_timeout,
                             procs=procs)
    warnings.report(_summary(engine.config, report), report.incomplete)
    if report.incomplete:  # an exit status of 0 would tell scripts all was indexed
        raise click.ClickException(
            "Could not read every source; their articles were kept as they were.\n"
            "Fix them and run seedsearch index again.")


@cli.command("watch")
@settings_options
@click.option("--quiet", "-q", is_flag=True, help="Only the summary of each sync.")
def watch_command(config: Config, quiet: bool) -> None:
    """Keep the index in step with the corpus as files change (Ctrl+C to stop)."""
    click.echo(safe(f"Watching {config.corpus} (Ctrl+C to stop)"), err=True)
    try:
        # A source not read to its end is reported, and watching goes on: the
        # next change to it (a fixed file) brings another sync.
        warnings = Warnings(quiet)

        def on_sync(report: SyncReport) -> None:
            warnings.report(_summary(config, report), report.incomplete)

        follow(config, on_sync, warn=warnings)
    except KeyboardInterrupt:
        click.echo("Stopped.", err=True)


@cli.command("eval")
@click.option("--corpus", required=True, type=click.Path(exists=True, path_type=Path),
              help="The collection: a .jsonl(.gz) file or a folder of .txt files.")
@click.option("--queries", required=True, type=click.Path(path_type=Path),
              help="Queries: JSON Lines {id, text} (maybe .gz) or TSV id<TAB>text.")
@click.option("--qrels", required=True, type=click.Path(path_type=Path),
              help="Judgments: TSV with a header (query-id corpus-id score) or TREC.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path),
              help="Where to keep the collection's index [default: .seedsearch/eval/NAME].")
@click.option("--language", default="english", show_default=True, envvar="SEEDSEARCH_LANGUAGE")
@click.option("--metrics", default=" ".join(DEFAULT_METRICS), show_default=True,
              help="ir-measures names, separated by spaces.")
@click.option("--run-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the run here, in TREC format.")
@click.option("--json", "as_json", is_flag=True, help="Print {metric: value, ..., queries: n}.")
def eval_command(corpus: Path, queries: Path, qrels: Path, index_dir: Path | None,
                 language: str, metrics: str, run_out: Path | None, as_json: bool) -> None:
    """Measure ranking quality on a test collection (queries + relevance judgments)."""
    with library_errors():
        config = load_config({"corpus": corpus, "index": index_dir or eval_index_dir(corpus),
                              "language": language})
        report = evaluate(config, queries, qrels, tuple(metrics.split()))
    if run_out:
        write_trec_run(report.run, run_out)
    if as_json:
        click.echo(json_text(report.to_json()))
        return
    for name, value in report.metrics.items():
        click.echo(f"{safe(name, one_line=True):>10}  {value:.4f}")
    click.echo(f"{'queries':>10}  {report.queries}")
    click.echo(f"index {report.index_seconds:.1f} s, search {report.search_seconds:.1f} s",
               err=True)


def eval_index_dir(corpus: Path) -> Path:
    """A collection's own index folder, so evaluating never touches the main index."""
    resolved = corpus.resolve()
    digest = hashlib.blake2b(str(resolved).encode(), digest_size=4).hexdigest()
    name = f"{resolved.parent.name}-{resolved.name.split('.')[0]}"
    return Path(".seedsearch") / "eval" / f"{name}-{digest}"


def _summary(config: Config, report: SyncReport) -> str:
    return f"{'Built' if report.rebuilt else 'Updated'} {config.index}: {report.summary()}"


@cli.command("search")
@engine_options
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", "-n", default=10, show_default=True, type=AsciiInt(1, MAX_PER_PAGE),
              help=f"Results per page; --page × --limit may not pass {MAX_RESULTS:,}.")
@click.option("--page", "-p", default=1, show_default=True, type=AsciiInt(1, MAX_PAGE),
              help=f"Which page of results; only the first {MAX_RESULTS:,} results can be "
                   "paged to (--page × --limit at most that).")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--section", help="Only articles of this section (exactly as listed in facets).")
@click.option("--year", type=AsciiInt(1, 9999), help="Only articles of this year.")
@click.option("--month", callback=lambda ctx, param, value: _month(value),
              help="Only articles of this month, written YYYY-MM.")
@click.option("--source", help="Only articles from this source (site), as listed in facets.")
@click.option("--timeline", is_flag=True, help="Also print how many articles match per period.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option("--no-color", is_flag=True,
              help="No colour or bold, even on a terminal (also NO_COLOR).")
def search_command(engine: Engine, words: tuple[str, ...], limit: int, page: int, sort: str,
                   section: str | None, year: int | None, month: str | None,
                   source: str | None, timeline: bool, as_json: bool, no_color: bool) -> None:
    """Search the index: words, "phrases", AND/OR/NOT, -word, title:, section:, date:.

    Exits with status 1 when nothing matches (as grep does), --json or not, and
    2 for a mistyped option.
    """
    text = " ".join(words)
    filters = Filters(section=section, year=year, month=month, source=source)
    results = engine.search(SearchRequest(text, page=page, per_page=limit, sort=sort,
                                          filters=filters))
    if results.notice:  # also when a deadline cut the search short (results.partial)
        click.echo(f"note: {safe(results.notice)}", err=True)
    if as_json:
        click.echo(json_text(results.to_json()))
    else:
        color = _color(no_color)
        click.echo(format_results(results), color=color)
        if timeline and results.facets:
            click.echo("\n" + format_timeline(results.facets), color=color)
    if not results.total:  # scripts tell "found nothing" from "found" by the status
        click.get_current_context().exit(NOTHING_FOUND)


def _color(no_color: bool) -> bool | None:
    """False to strip our styling; None lets click decide (colour on a terminal only).

    NO_COLOR is read here, not as the flag's envvar: any non-empty value means
    no colour (no-color.org), where click's flag would refuse NO_COLOR=yes-please.
    """
    return False if no_color or os.environ.get("NO_COLOR") else None


@cli.command("similar")
@engine_options
@click.argument("doc_id", metavar="ID")
@click.option("--limit", "-n", default=10, show_default=True, type=AsciiInt(1, MAX_PER_PAGE),
              help="How many articles.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option("--no-color", is_flag=True,
              help="No colour or bold, even on a terminal (also NO_COLOR).")
def similar_command(engine: Engine, doc_id: str, limit: int, as_json: bool,
                    no_color: bool) -> None:
    """Articles like the one with this ID (more like this), the article itself left out."""
    results = engine.similar(doc_id, per_page=limit)
    if results is None:
        raise click.ClickException(f"There is no article with the id {doc_id!r}. "
                                   "Find ids with: seedsearch search WORDS")
    if results.notice:  # a monstrous article's words were taken from its head only
        click.echo(f"note: {safe(results.notice)}", err=True)
    if as_json:
        click.echo(json_text(results.to_json()))
    else:
        title = _title(engine, doc_id)
        subject = f"like {safe(repr(title), one_line=True)} ({safe(doc_id, one_line=True)})" \
            if title else f"like {safe(doc_id, one_line=True)}"
        click.echo(format_results(results, subject, noun="article"), color=_color(no_color))


def _title(engine: Engine, doc_id: str) -> str | None:
    """The article's title, for saying what the similar articles are like."""
    article = engine.article(doc_id)
    return article.title.plain() if article else None


def _month(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"write it YYYY-MM, such as 2013-05, not {value!r}.")
    return value


@cli.command("info")
@engine_options
@click.option("--json", "as_json", is_flag=True, help="Print the facts as one JSON object.")
def info_command(engine: Engine, as_json: bool) -> None:
    """Show what the index holds."""
    info = engine.info()
    if as_json:
        click.echo(json_text(info.to_json()))
        return
    for name, value in info.rows():
        click.echo(f"{name:>15}: {safe(value, one_line=True)}")


def main() -> None:
    try:
        cli(prog_name="seedsearch")
    except OSError as error:  # stdout itself failed (a full disk, a closed pipe's end)
        if error.errno == errno.EPIPE:
            sys.exit(1)
        with suppress(OSError):
            sys.stderr.write(f"Error: could not write the output: {error.strerror or error}\n")
        sys.exit(1)

