"""The terminal is never handed a control character from an article, a file name or
an argument: escape sequences, OSC titles, bells, carriage returns, C1 controls and
bidi overrides are shown as visible escapes, and our own colours are the only
sequences left. Every integer option takes ASCII digits only, and an index run that
could not read every source says so and exits 1."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import Config, open_engine
from indexer.cli import cli
from indexer.terminal import json_text, safe

from .helpers import scraped_article, write

OSC_TITLE = "\x1b]0;pwned\x07"  # retitles the terminal window
CLEAR = "\x1b[2J"  # clears the screen
RED = "\x1b[31m"  # an SGR code, like ours: it must not pass for one of ours
LINK = "\x1b]8;;http://evil.example/\x1b\\"  # an OSC 8 hyperlink ended by ST
CSI_8BIT = "\x9b31m"  # the C1 form of ESC [
RLO, PDF, RLI, PDI = "\u202e", "\u202c", "\u2067", "\u2069"

# Any of these reaching the terminal is a failure (newline and tab are fine).
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What click.style writes for our styling: bold, dim, yellow, reset.
OUR_STYLES = re.compile(r"\x1b\[(?:0|1|2|33)m")

SECTION = f"World{RED} News"
TITLE = f"Harbour {OSC_TITLE} retitled"
STANDFIRST = f"A standfirst with a {LINK}link{CSI_8BIT} in it."
BODY = (f"The harbour master {CLEAR} cleared the screen, rang{chr(7)} a bell, "
        f"wrote {RLO}txt.exe{PDF} and {RLI}isolated{PDI} words, and a \x7f delete.")
HOSTILE_NAME = f"odd{CLEAR}\r{OSC_TITLE}.txt"
HOSTILE_FOLDER = f"Sec{RED}tion"
BINARY_NAME = f"bin{OSC_TITLE}\r.txt"


def assert_safe(text: str, styled: bool = False) -> None:
    """No forbidden character in `text`; with `styled`, our own SGR codes aside."""
    rest = OUR_STYLES.sub("", text) if styled else text
    found = sorted({f"U+{ord(char):04X}" for char in FORBIDDEN.findall(rest)})
    assert not found, f"raw control characters reached the terminal: {found}\n{text!r}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A corpus whose every part carries control characters, folder names included,
    indexed into a folder whose own name holds an escape sequence."""
    folder = tmp_path_factory.mktemp("terminal")
    corpus = folder / f"corpus{OSC_TITLE}"
    write(corpus, "scraped.txt", scraped_article(SECTION, TITLE, STANDFIRST,
                                                 "01 May 2013 10:12", BODY))
    write(corpus, f"{HOSTILE_FOLDER}/{HOSTILE_NAME}",
          f"Harbour second{CSI_8BIT} story\n\nHarbour body {RLO}reversed{PDF} here.\n")
    write(corpus, f"line\nbreak{CLEAR}.txt", "Harbour third\n\nThe harbour again.\n")
    return Config(corpus=corpus, index=folder / f"index{CLEAR}")


def run(runner: CliRunner, config: Config, *args: str, color: bool = False):
    command, *rest = args
    return runner.invoke(cli, [command, "--corpus", str(config.corpus), "--index",
                               str(config.index), *rest], color=color, catch_exceptions=False)


@pytest.fixture(scope="module")
def indexed(hostile: Config) -> Config:
    write(hostile.corpus, BINARY_NAME, b"\x00\x01\x02 binary")
    write(hostile.corpus, "Updated\nBuilt.txt", b"\x00\x01\x02 binary")
    done = run(CliRunner(), hostile, "index", color=True)
    assert done.exit_code == 0, done.output
    assert_safe(done.stderr)
    assert "warning: bin\\x1b]0;pwned\\x07\\r.txt: skipped" in done.stderr
    assert "index\\x1b[2J" in done.stderr  # the summary names the index folder
    return hostile


def test_index_warnings_and_summary_show_escapes(indexed: Config, runner: CliRunner) -> None:
    again = run(runner, indexed, "index", color=True)
    assert again.exit_code == 0
    assert_safe(again.stderr)
    assert "bin\\x1b]0;pwned\\x07\\r.txt" in again.stderr
    assert "Updated" in again.stderr and "3 unchanged" in again.stderr
    # A line break in a file name continues its warning, indented: no fake summary.
    assert "warning: Updated\n  Built.txt: skipped" in again.stderr
    assert [line for line in again.stderr.splitlines() if line.startswith("Updated")] == [
        line for line in again.stderr.splitlines() if "3 unchanged" in line]


@pytest.mark.parametrize("switches, color", [([], True), (["--no-color"], True), ([], False)],
                         ids=["terminal", "no-color", "piped"])
def test_search_output_is_safe_and_still_findable(indexed: Config, runner: CliRunner,
                                                  switches: list[str], color: bool) -> None:
    done = run(runner, indexed, "search", *switches, "--timeline", "harbour", color=color)
    assert done.exit_code == 0
    styled = color and not switches
    assert_safe(done.stdout, styled=styled)
    assert_safe(done.stderr)
    assert ("\x1b[" in done.stdout) is styled
    plain = OUR_STYLES.sub("", done.stdout)
    assert "Harbour \\x1b]0;pwned\\x07 retitled" in plain
    assert "World\\x1b[31m News" in plain
    assert "Sec\\x1b[31mtion/odd\\x1b[2J\\r\\x1b]0;pwned\\x07.txt" in plain
    assert "line\\nbreak\\x1b[2J.txt" in plain  # an id stays on one line
    assert "Matching articles by" in plain


@pytest.mark.parametrize("command", ["search", "similar"])
@pytest.mark.parametrize("value", ["1", "yes please", "false"])
def test_any_no_color_value_turns_colour_off(indexed: Config, command: str,
                                             value: str) -> None:
    words = {"search": "harbour", "similar": "scraped.txt"}[command]
    done = CliRunner(env={"NO_COLOR": value}).invoke(
        cli, [command, "--index", str(indexed.index), words], color=True)
    assert done.exit_code == 0 and done.stdout
    assert "\x1b" not in done.stdout


def test_snippets_show_every_kind_of_control(indexed: Config, runner: CliRunner) -> None:
    done = run(runner, indexed, "search", "cleared", "bell", "isolated", color=True)
    assert_safe(done.stdout, styled=True)
    plain = OUR_STYLES.sub("", done.stdout)
    for visible in ("\\x1b[2J", "\\x07", "\\u202etxt.exe\\u202c", "\\u2067isolated\\u2069",
                    "\\x7f"):
        assert visible in plain


def test_an_escape_sequence_in_a_query_is_shown_not_obeyed(indexed: Config,
                                                            runner: CliRunner) -> None:
    done = run(runner, indexed, "search", f'"{OSC_TITLE} harbour', color=True)
    assert done.exit_code == 0
    assert_safe(done.stdout, styled=True)
    assert_safe(done.stderr)
    assert "note: " in done.stderr
    nothing = run(runner, indexed, "search", f"zzz{CLEAR}qqq", color=True)
    assert_safe(nothing.stdout, styled=True)
    assert "zzz\\x1b[2Jqqq" in nothing.stdout


def test_json_output_is_valid_json_with_the_exact_text(indexed: Config,
                                                       runner: CliRunner) -> None:
    done = run(runner, indexed, "search", "--json", "harbour", color=True)
    assert_safe(done.stdout)
    data = json.loads(done.stdout)
    titles = {hit["title"] for hit in data["hits"]}
    assert TITLE in titles and f"Harbour second{CSI_8BIT} story" in titles
    assert f"{HOSTILE_FOLDER}/{HOSTILE_NAME}" in {hit["id"] for hit in data["hits"]}
    assert {"value": SECTION, "count": 1} in data["facets"]["section"]


def test_similar_output_is_safe(indexed: Config, runner: CliRunner) -> None:
    for switches, styled in (([], True), (["--no-color"], False)):
        done = run(runner, indexed, "similar", *switches, "scraped.txt", color=True)
        assert done.exit_code == 0
        assert_safe(done.stdout, styled=styled)
        assert "\\x1b[2J" in OUR_STYLES.sub("", done.stdout)  # the other articles' ids
        header = OUR_STYLES.sub("", done.stdout).splitlines()[0]
        assert "like 'Harbour \\x1b]0;pwned\\x07 retitled' (scraped.txt)" in header
    as_json = run(runner, indexed, "similar", "--json", "scraped.txt")
    assert_safe(as_json.stdout)
    assert json.loads(as_json.stdout)["hits"]


def test_unknown_ids_and_options_are_echoed_safely(indexed: Config, runner: CliRunner) -> None:
    unknown = run(runner, indexed, "similar", f"nope{OSC_TITLE}", color=True)
    assert unknown.exit_code == 1
    assert_safe(unknown.stderr)
    assert "nope\\x1b]0;pwned\\x07" in unknown.stderr
    option = run(runner, indexed, "search", f"--{OSC_TITLE}", "harbour", color=True)
    assert option.exit_code == 2
    assert_safe(option.stderr)
    assert "--\\x1b]0;pwned\\x07" in option.stderr
    command = runner.invoke(cli, [f"find{CLEAR}"], color=True)
    assert command.exit_code == 2
    assert_safe(command.stderr)
    extra = run(runner, indexed, "info", OSC_TITLE, color=True)  # click echoes it raw
    assert extra.exit_code == 2
    assert_safe(extra.stderr)
    assert "unexpected extra argument (\\x1b]0;pwned\\x07)" in extra.stderr


def test_info_shows_paths_safely(indexed: Config, runner: CliRunner) -> None:
    done = run(runner, indexed, "info", color=True)
    assert done.exit_code == 0
    assert_safe(done.stdout)
    assert "corpus\\x1b]0;pwned\\x07" in done.stdout and "index\\x1b[2J" in done.stdout
    data = json.loads(run(runner, indexed, "info", "--json").stdout)
    assert data["index"] == str(indexed.index.resolve())


def test_errors_naming_a_hostile_path_are_safe(hostile: Config, runner: CliRunner,
                                               tmp_path: Path) -> None:
    missing = Config(corpus=hostile.corpus, index=tmp_path / f"none{OSC_TITLE}")
    done = run(runner, missing, "search", "harbour", color=True)
    assert done.exit_code == 1
    assert_safe(done.stderr)
    assert "none\\x1b]0;pwned\\x07" in done.stderr


CONTROLS = [chr(code) for code in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))]
BIDI = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@pytest.mark.parametrize("char", CONTROLS + BIDI + ["\udce9"])
def test_safe_shows_every_control_as_ascii(char: str) -> None:
    for one_line in (False, True):
        shown = safe(f"a{char}b", one_line=one_line)
        assert shown.startswith("a\\") and shown.endswith("b") and shown.isascii()
        assert safe(shown, one_line=one_line) == shown  # safe twice is safe once


def test_safe_keeps_real_text() -> None:
    hebrew, arabic = "\u05e9\u05dc\u05d5\u05dd\u200f", "\u0645\u0631\u062d\u0628\u0627\u061c"
    text = f"Peña Nieto · Ελλάδα · {hebrew} · {arabic} · 🚢"
    assert safe(text) == text and safe(text, one_line=True) == text
    assert safe("two\nlines\tand a tab") == "two\nlines\tand a tab"
    assert safe("two\nlines\tand a tab", one_line=True) == "two\\nlines\\tand a tab"
    assert safe(f"a{OSC_TITLE}") == "a\\x1b]0;pwned\\x07"


@pytest.mark.parametrize("text", [TITLE, BODY, STANDFIRST, CSI_8BIT + RLO, "lone \udce9"])
def test_json_text_is_the_same_data_with_nothing_raw(text: str) -> None:
    shown = json_text({"title": text, "n": [1, 2]})
    assert_safe(shown)
    assert shown.isascii() or "\udce9" not in text
    assert json.loads(shown) == {"title": text, "n": [1, 2]}


ODD_DIGITS = ["١", "１", "²", "٣", "1_0", "१", " ５ "]


@pytest.mark.parametrize("value", ODD_DIGITS)
@pytest.mark.parametrize("command, option", [
    ("search", "--limit"), ("search", "--page"), ("search", "--year"), ("search", "-n"),
    ("similar", "--limit"), ("index", "--procs"), ("index", "--lock-timeout")])
def test_integer_options_take_ascii_digits_only(seed_config: Config, runner: CliRunner,
                                                command: str, option: str, value: str) -> None:
    extra = {"search": ["drug"], "similar": ["x"], "index": []}[command]
    done = run(runner, seed_config, command, option, value, *extra)
    assert done.exit_code == 2, done.output
    assert f"'{option}'" in done.stderr and "digits 0-9" in done.stderr
    assert "use one between" in done.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "1e3", "-1", "86401", "٣.٥", "9" * 500])
def test_lock_timeout_is_a_plain_bounded_number(seed_config: Config, runner: CliRunner,
                                                value: str) -> None:
    done = run(runner, seed_config, "index", "--lock-timeout", value)
    assert done.exit_code == 2
    assert "'--lock-timeout'" in done.stderr and "between 0 and 86400" in done.stderr


@pytest.mark.parametrize("option, value", [("--page", "0"), ("--page", "1001"),
                                           ("--limit", "101"), ("--year", "9" * 5000)])
def test_out_of_range_names_the_option_and_the_range(seed_config: Config, runner: CliRunner,
                                                     option: str, value: str) -> None:
    done = run(runner, seed_config, "search", option, value, "drug")
    assert done.exit_code == 2
    assert f"'{option}'" in done.stderr and "use one between 1 and" in done.stderr


def test_ascii_numbers_still_work(seed_config: Config, runner: CliRunner) -> None:
    done = run(runner, seed_config, "search", "--json", "--page", "1", "--limit", "+5",
               "--year", "2013", "kidnappings")
    assert json.loads(done.stdout)["total"] == 1
    assert run(runner, seed_config, "index", "--lock-timeout", "0.5",
               "--procs", "1").exit_code == 0


def test_deep_pages_are_announced(web_config: Config, runner: CliRunner,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("indexer.terminal", "indexer.records"):  # the header's and last_page's
        monkeypatch.setattr(f"{module}.MAX_RESULTS", 20, raising=False)
    done = run(runner, web_config, "search", "--limit", "5", "harbour")
    header = done.stdout.splitlines()[0]
    assert int(header.split()[0].replace(",", "")) > 20
    assert re.fullmatch(r"\d+ results for 'harbour' · page 1 of 4 · showing the first 20 "
                        r"\(\d+\.\d ms\)", header), header
    help_text = run(runner, web_config, "search", "--help").stdout
    assert "1,000" in help_text


def test_a_notice_reaches_stderr_with_json_too(seed_config: Config, runner: CliRunner) -> None:
    done = run(runner, seed_config, "search", "--json", '"drug war')
    assert json.loads(done.stdout)["total"] == 1
    assert done.stderr.startswith("note: ")


@pytest.mark.parametrize("quiet", [["--quiet"], []], ids=["quiet", "verbose"])
def test_a_truncated_corpus_exits_1_and_keeps_its_articles(tmp_path: Path, runner: CliRunner,
                                                           quiet: list[str]) -> None:
    corpus = tmp_path / "corpus.jsonl.gz"
    lines = "".join(json.dumps({"id": f"a{number}", "title": f"Harbour {number}",
                                "text": f"Story {number} about the harbour. " * 40}) + "\n"
                    for number in range(200))
    corpus.write_bytes(gzip.compress(lines.encode()))
    config = Config(corpus=corpus, index=tmp_path / "index")
    with open_engine(config) as engine:
        engine.sync()
    corpus.write_bytes(corpus.read_bytes()[: corpus.stat().st_size // 2])
    done = run(runner, config, "index", *quiet)
    assert done.exit_code == 1
    assert "Error: Could not read every source" in done.stderr
    assert done.stderr.endswith("Fix them and run seedsearch index again.\n")
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and warnings[0].startswith("warning: corpus.jsonl.gz: ")
    assert "Updated" in done.stderr and "kept" in done.stderr  # the summary
    kept = json.loads(run(runner, config, "search", "--json", "harbour").stdout)
    assert kept["total"] == 200


# ------------------------------------------------------------------ output that cannot be written

@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("command", [["search", "harbour"], ["info"]])
def test_output_to_a_full_disk_is_one_line_and_exit_1(tmp_path, command):
    import subprocess
    import sys

    from .helpers import ROOT

    corpus = tmp_path / "corpus"
    write(corpus, "a.txt", "Harbour news\n\nThe harbour opened.")
    config = Config(corpus=corpus, index=tmp_path / "index")
    with open_engine(config) as engine:
        engine.sync()
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "indexer", *command, "--corpus", str(corpus),
                               "--index", str(config.index)], stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == "Error: could not write the output: No space left on device"


def test_a_flood_of_warnings_prints_a_bounded_number_of_lines(tmp_path):
    # 5,000 bad records in a 20 KB file: each is a skip, but the terminal gets the first
    # MAX_SHOWN warnings and one line counting the rest.
    from indexer.terminal import Warnings

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "1", "title": "Harbour", "text": "The harbour."}\n'
                      + '{"title": "no id"}\n' * 5000)
    result = CliRunner().invoke(cli, ["index", "--corpus", str(corpus), "--index",
                                      str(tmp_path / "index")], catch_exceptions=False)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) <= Warnings.MAX_SHOWN + 2
    assert any("more warnings" in line for line in warnings)  # the rest counted, not shown
    assert "5,000 skipped" in result.stderr
