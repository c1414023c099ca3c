"""The progress of a long run: on a terminal one status line (stage, bar, done/total,
rate) with warnings on lines of their own above it; in a log, plain lines every few
seconds and a line per stage. A fake clock moves time: nothing here sleeps."""

from __future__ import annotations

import io
import re

import pytest

from indexer.progress import CLEAR_LINE, KEEP_SECONDS, ProgressReporter, seconds


class Terminal(io.StringIO):
    """What a terminal is sent, kept: a StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def screen(sent: str) -> list[str]:
    """The lines a terminal shows after `sent`: CR goes back to the line's start,
    ESC [ K erases the rest of the line, a newline starts the next line."""
    lines, line, column = [], "", 0
    for token in re.findall(r"\x1b\[K|\r|\n|[^\r\n\x1b]+|\x1b", sent):
        if token == "\r":
            column = 0
        elif token == "\x1b[K":
            line = line[:column]
        elif token == "\n":
            lines.append(line)
            line, column = "", 0
        else:
            line = line[:column] + token + line[column + len(token):]
            column += len(token)
    return lines + ([line] if line else [])


@pytest.fixture
def clock() -> Clock:
    return Clock()


def on_terminal(clock: Clock, **options) -> tuple[Terminal, ProgressReporter]:
    stream = Terminal()
    return stream, ProgressReporter(stream, clock=clock, columns=100, **options)


def test_a_terminal_shows_the_stage_done_of_total_and_the_rate(clock):
    stream, reporter = on_terminal(clock)
    assert reporter.tty
    reporter.stage("reading")
    reporter.progress(1, 1001)
    clock.tick(2.0)
    reporter.progress(401, 1001)
    shown = screen(stream.getvalue())
    assert len(shown) == 1  # one line, redrawn
    assert shown[0].startswith("reading █")
    assert "401/1,001 articles · 200/s · 3 s left" in shown[0]


def test_warnings_go_on_lines_of_their_own_above_the_status_line(clock):
    stream, reporter = on_terminal(clock)
    reporter.stage("reading")
    reporter.progress(10, 100)
    clock.tick(1.0)
    reporter.progress(50, 100)
    reporter.line("warning: a.txt: skipped, empty")
    reporter.line("warning: b.txt: read as cp1252")
    assert screen(stream.getvalue())[:2] == ["warning: a.txt: skipped, empty",
                                             "warning: b.txt: read as cp1252"]
    assert "50/100 articles" in screen(stream.getvalue())[2]  # drawn again below them
    # and in what was sent: each warning starts a cleared line and ends it
    assert stream.getvalue().count(CLEAR_LINE + "warning: ") == 2
    assert "articles warning" not in stream.getvalue()


def test_a_long_stage_keeps_its_line_and_the_next_is_named(clock):
    stream, reporter = on_terminal(clock)
    reporter.stage("reading")
    reporter.progress(100, 100)
    clock.tick(3.0)
    reporter.stage("writing the index")
    clock.tick(12.0)
    reporter.stage("committing")
    assert screen(stream.getvalue()) == [
        "reading ████████████████████████ 100/100 articles · done in 3.0 s",
        "writing the index… done in 12.0 s",
        "committing…"]
    clock.tick(KEEP_SECONDS / 2)
    reporter.stage("publishing")  # a quick stage is drawn over by the next
    assert screen(stream.getvalue())[2:] == ["publishing…"]
    reporter.close()
    assert screen(stream.getvalue())[2:] == []  # and the last quick one erased


def test_verbose_keeps_every_stage_with_its_time(clock):
    stream, reporter = on_terminal(clock, verbose=True)
    for name in ("reading", "committing"):
        reporter.stage(name)
        clock.tick(0.25)
    reporter.close()
    assert screen(stream.getvalue()) == ["reading… done in 0.2 s", "committing… done in 0.2 s"]


def test_redraws_are_spaced_out(clock):
    stream, reporter = on_terminal(clock)
    reporter.stage("reading")
    for done in range(1, 10_000):  # ten thousand articles in no time: a few redraws
        reporter.progress(done, 10_000)
    assert stream.getvalue().count("\r") <= 3
    reporter.progress(10_000, 10_000)  # the last one is always drawn
    assert "10,000/10,000 articles" in screen(stream.getvalue())[-1]


@pytest.mark.parametrize("columns", [20, 40, 60])
def test_a_narrow_terminal_gets_a_line_that_fits(clock, columns):
    stream = Terminal()
    reporter = ProgressReporter(stream, clock=clock, columns=columns)
    reporter.stage("reading")
    reporter.progress(1, 51_175)
    clock.tick(1.0)
    reporter.progress(12_000, 51_175)
    (line,) = screen(stream.getvalue())
    assert len(line) < columns
    assert line.startswith("reading")


def test_a_failed_run_leaves_the_line_and_ends_it(clock):
    stream, reporter = on_terminal(clock)
    with pytest.raises(RuntimeError):
        with reporter:
            reporter.stage("committing")
            raise RuntimeError("disk full")
    assert stream.getvalue().endswith("committing…\n")  # the error message starts a line


def test_an_ascii_terminal_gets_an_ascii_bar(clock):
    class AsciiTerminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    raw = io.BytesIO()
    stream = AsciiTerminal(raw, encoding="ascii", write_through=True)
    reporter = ProgressReporter(stream, clock=clock, columns=80)
    reporter.progress(1, 10)
    clock.tick(1.0)
    reporter.progress(5, 10)  # an encoding error would raise here
    assert screen(raw.getvalue().decode("ascii")) == [
        "indexing ############------------ 5/10 articles - 4/s - 2 s left"]


def test_a_dumb_terminal_gets_plain_lines(monkeypatch, clock):
    monkeypatch.setenv("TERM", "dumb")
    assert not ProgressReporter(Terminal(), clock=clock).tty
    monkeypatch.setenv("TERM", "xterm-256color")
    assert ProgressReporter(Terminal(), clock=clock).tty
    assert not ProgressReporter(io.StringIO(), clock=clock).tty  # a pipe or a file


def test_a_log_gets_a_count_every_interval_and_each_stage(clock):
    stream = io.StringIO()
    reporter = ProgressReporter(stream, clock=clock, interval=5.0)
    reporter.stage("reading")
    for second in range(13):
        reporter.progress(1 + second * 1000, 12_001)
        clock.tick(1.0)
    reporter.line("warning: c.txt: skipped, binary")
    reporter.stage("committing")
    clock.tick(0.5)
    reporter.close()
    assert stream.getvalue().splitlines() == [
        "reading…",
        "reading: 5,001 of 12,001 articles (1,000/s, about 7 s left)",
        "reading: 10,001 of 12,001 articles (1,000/s, about 2 s left)",
        "warning: c.txt: skipped, binary",
        "reading: 12,001 of 12,001 articles (923/s), done in 13.0 s",
        "committing…"]
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_quiet_shows_no_progress_but_still_the_lines_it_is_given(clock):
    for stream in (Terminal(), io.StringIO()):
        reporter = ProgressReporter(stream, enabled=False, clock=clock)
        with reporter:
            reporter.stage("reading")
            reporter.progress(1, 2)
            clock.tick(10.0)
            reporter.progress(2, 2)
            reporter.line("Built index: 2 added")
        assert stream.getvalue() == "Built index: 2 added\n"


@pytest.mark.parametrize("value, shown", [(0.04, "0.0 s"), (12.34, "12.3 s"),
                                          (59.9, "59.9 s"), (61, "1 min 01 s"),
                                          (3725, "62 min 05 s")])
def test_durations_read_as_people_say_them(value, shown):
    assert seconds(value) == shown


def test_time_left_rounds_up():
    assert (seconds(0.2, whole=True), seconds(18.1, whole=True)) == ("1 s", "19 s")
