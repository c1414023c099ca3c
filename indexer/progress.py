"""How a long run shows it is moving: a status line on a terminal, plain lines in a log.

Building the index of 50,000 articles takes minutes. On a terminal one status
line is redrawn: the stage ("reading", "committing", ...), a bar, done/total
and the rate. A warning is printed on a line of its own above it (the line is
cleared, the warning written, the line drawn again), so the two never run
together; a stage that took a while is left on its line with how long it took.

When stderr is a pipe or a file (CI, `tee`, a cron log) a carriage return
would garble the log and a redraw per article would fill it, so the run
writes a line when a stage starts and a count every PLAIN_SECONDS. The clock
is a parameter: tests move time instead of sleeping.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

PLAIN_SECONDS = 5.0  # between two count lines when stderr is not a terminal
REDRAW_SECONDS = 0.1  # between two redraws of the status line on a terminal
KEEP_SECONDS = 1.0  # a stage that took this long keeps its line on a terminal
BAR_CELLS = 24  # the widest bar; a narrow terminal gets a shorter one, or none
MIN_BAR_CELLS = 6  # narrower than this, the bar is left out
DEFAULT_COLUMNS = 80
CLEAR_LINE = "\r\x1b[K"  # back to the line's start, and erase it

Clock = Callable[[], float]


@dataclass(frozen=True)
class Glyphs:
    """The characters drawn besides words and digits: an ASCII terminal gets its own."""

    full: str = "█"
    empty: str = "░"
    more: str = "…"
    between: str = " · "


ASCII_GLYPHS = Glyphs("#", "-", "...", " - ")


@dataclass
class _Stage:
    """What is going on now, and how far it got."""

    name: str
    started: float
    done: int = 0
    total: int = 0
    counting_since: float | None = None  # the first count: the rate leaves setup out
    counted_from: int = 0


class ProgressReporter:
    """The `progress(done, total)` and `stage(name)` callbacks of a sync, and `line`
    for warnings, writing to `stream` (stderr); silent when not `enabled`.

    `tty` (default: whether `stream` is a terminal that understands erasing a
    line) picks the status line or the plain log lines. `verbose` also keeps
    every stage's line with the time it took. Use it as a context manager: the
    status line is finished however the run ends.
    """

    def __init__(self, stream: TextIO, enabled: bool = True, verbose: bool = False,
                 tty: bool | None = None, clock: Clock = time.monotonic,
                 interval: float | None = None, columns: int | None = None,
                 noun: str = "articles") -> None:
        self.stream, self.enabled, self.verbose = stream, enabled, verbose
        self.tty = _is_terminal(stream) if tty is None else tty
        self.clock = clock
        self.interval = PLAIN_SECONDS if interval is None else interval
        self.columns = columns or _columns(stream)
        self.noun = noun
        self.glyphs = Glyphs() if _encodes(stream, "".join(vars(Glyphs()).values())) \
            else ASCII_GLYPHS
        self.current: _Stage | None = None
        self.drawn = ""  # what the status line shows now (a terminal only)
        self.last_write = float("-inf")

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close(failed=kind is not None)

    def stage(self, name: str) -> None:
        """A new stage starts: the one before it ends, and this one is named."""
        if not self.enabled:
            return
        self._end_stage()
        self.current = _Stage(name, self.clock())
        if self.tty:
            self._draw(force=True)
        else:
            self._write(f"{name}{self.glyphs.more}")

    def progress(self, done: int, total: int) -> None:
        """`done` of `total` articles handled in the current stage."""
        if not self.enabled:
            return
        if self.current is None:
            self.current = _Stage("indexing", self.clock())
        stage, now = self.current, self.clock()
        if stage.counting_since is None:
            stage.counting_since, stage.counted_from = now, done
        stage.done, stage.total = done, total
        if self.tty:
            self._draw(force=done >= total)
        elif now - self.last_write >= self.interval:
            self._write(f"{stage.name}: {self._count(stage, now)}")

    def line(self, text: str) -> None:
        """A line of its own (a warning, the summary), above the status line; written
        also when progress is off (quiet). `text` is already safe."""
        if self.tty and self.drawn:
            self.stream.write(CLEAR_LINE + text + "\n" + self.drawn)
            self.stream.flush()
        else:
            self._write(text)

    def close(self, failed: bool = False) -> None:
        """End the last stage (a failed run's line is left as it was) and free the line."""
        if not self.enabled:
            return
        if failed:
            if self.tty and self.drawn:
                self.stream.write("\n")
                self.stream.flush()
            self.current, self.drawn = None, ""
            return
        self._end_stage()
        if self.tty and self.drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
        self.drawn = ""

    def _end_stage(self) -> None:
        """Leave the finished stage on a line of its own when it took a while (or when
        verbose); on a terminal a quick one is drawn over by what comes next."""
        stage = self.current
        if stage is None:
            return
        now = self.clock()
        took = now - stage.started
        self.current = None
        if self.tty:
            if took >= KEEP_SECONDS or self.verbose:
                self._replace(self._status(stage, now, ended=True) + "\n")
                self.drawn = ""
        elif took >= self.interval or self.verbose:
            counted = f"{self._count(stage, now, ended=True)}, " if stage.total else ""
            self._write(f"{stage.name}: {counted}done in {seconds(took)}")

    def _draw(self, force: bool = False) -> None:
        stage, now = self.current, self.clock()
        if stage is None or (not force and now - self.last_write < REDRAW_SECONDS):
            return
        self._replace(self._status(stage, now))
        self.last_write = now

    def _replace(self, text: str) -> None:
        self.stream.write(CLEAR_LINE + text)
        self.stream.flush()
        self.drawn = text

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
        self.last_write = self.clock()

    def _status(self, stage: _Stage, now: float, ended: bool = False) -> str:
        """The terminal's line: `reading ███░░ 12,000/51,175 articles · 2,100/s · 19 s left`."""
        if not stage.total:
            return f"{stage.name}{self.glyphs.more}" + (
                f" done in {seconds(now - stage.started)}" if ended else "")
        parts = [f"{stage.done:,}/{stage.total:,} {self.noun}"]
        rate = _rate(stage, now)
        if rate:
            parts.append(f"{rate:,.0f}/s")
        if ended:
            parts.append(f"done in {seconds(now - stage.started)}")
        elif rate and stage.done < stage.total:
            parts.append(f"{seconds((stage.total - stage.done) / rate, whole=True)} left")
        text = self.glyphs.between.join(parts)
        room = self.columns - 1 - len(stage.name) - len(text) - 2
        cells = min(BAR_CELLS, room)
        if cells >= MIN_BAR_CELLS:
            filled = cells * min(stage.done, stage.total) // stage.total
            bar = self.glyphs.full * filled + self.glyphs.empty * (cells - filled)
            return f"{stage.name} {bar} {text}"
        return f"{stage.name} {text}"[:max(1, self.columns - 1)]

    def _count(self, stage: _Stage, now: float, ended: bool = False) -> str:
        """A log's count: `12,000 of 51,175 articles (2,100/s, about 19 s left)`."""
        rate = _rate(stage, now)
        facts = [f"{rate:,.0f}/s"] if rate else []
        if rate and not ended and stage.done < stage.total:
            facts.append(f"about {seconds((stage.total - stage.done) / rate, whole=True)} left")
        shown = f" ({', '.join(facts)})" if facts else ""
        return f"{stage.done:,} of {stage.total:,} {self.noun}{shown}"


def seconds(value: float, whole: bool = False) -> str:
    """A duration as people read it: `0.4 s`, `19 s`, `3 min 05 s`; `whole` rounds up
    (a time left of 0.3 s is `1 s`, never `0 s`)."""
    if whole:
        value = math.ceil(value)
    if value < 60:
        return f"{value:.0f} s" if whole else f"{value:.1f} s"
    minutes, rest = divmod(int(value), 60)
    return f"{minutes} min {rest:02d} s"


def _rate(stage: _Stage, now: float) -> float | None:
    """Articles a second since the first count, once there is time to divide by."""
    if stage.counting_since is None or now <= stage.counting_since:
        return None
    return (stage.done - stage.counted_from) / (now - stage.counting_since)


def _is_terminal(stream: TextIO) -> bool:
    """A terminal that can erase a line: not a pipe or a file, and not TERM=dumb."""
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (AttributeError, ValueError, OSError):  # not a terminal, or no file descriptor
        return DEFAULT_COLUMNS


def _encodes(stream: TextIO, text: str) -> bool:
    """Whether the stream can write `text` (a terminal set to ASCII or Latin-1 cannot;
    a stream of text in memory has no encoding, and can)."""
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True
