"""A folder of heavily copied stories, for tests of paging over stories.

Scraped archives hold each story many times (re-scrapes, wire re-issues,
corrections). This writes 60 distinct stories, each as 5 to 23 near-identical
copies (an update line appended, now and then one word changed, some copies
byte for byte the same), so that the copies of a story rank side by side:
the case where pages counted articles and showed two hits. Every story holds
"report"; some share "harbour", "storm" or "ferry". Half the stories are in
the scraped layout with a date (each copy an hour later than the one before,
so copies of neighbouring stories interleave when sorted by date); the others
are plain (headline, blank line, body). Each story's file names, section and
words are returned, so a test knows the true stories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from indexer import Config
from indexer.whoosh_engine import sync

from .helpers import scraped_article, write

STORIES = 60
MOST_COPIES = 23  # story 0 has this many copies; the others 5 to MOST_COPIES
BODY_WORDS = 400  # long enough that an edit leaves copies about 97 % alike
SECTIONS = ("ports", "politics", "weather")
FIRST_DATE = datetime(2013, 5, 1, 6, 0)
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass(frozen=True)
class Story:
    number: int
    section: str
    words: frozenset[str]  # the query words it holds
    ids: tuple[str, ...]  # its copies' ids (paths in the folder)
    dated: bool


def words_of(number: int) -> frozenset[str]:
    """The query words story `number` holds: "report" always, others by number."""
    words = {"report"}
    if number % 3 == 0:
        words.add("harbour")
    if number % 4 == 0:
        words.add("storm")
    if number % 5 in (1, 2):
        words.add("ferry")
    return frozenset(words)


def write_copied_stories(folder: Path, seed: int = 14) -> list[Story]:
    """Write the stories' copies under `folder` (created); returns the stories."""
    rng = random.Random(seed)
    stories = []
    for number in range(STORIES):
        copies = MOST_COPIES if number == 0 else rng.randint(5, MOST_COPIES)
        stories.append(_write_story(folder, number, copies, rng))
    return stories


def indexed_copied_stories(folder: Path) -> tuple[Config, list[Story]]:
    """The stories written in `folder`/corpus and indexed in `folder`/index."""
    stories = write_copied_stories(folder / "corpus")
    config = Config(corpus=folder / "corpus", index=folder / "index")
    sync(config)
    return config, stories


def matching(stories: list[Story], word: str) -> list[Story]:
    return [story for story in stories if word in story.words]


def _write_story(folder: Path, number: int, copies: int, rng: random.Random) -> Story:
    section = SECTIONS[(number // 2) % len(SECTIONS)]
    words = words_of(number)
    body = [_made_up_word(rng) for _ in range(BODY_WORDS)]
    for place, word in zip((12, 110, 250, 330), sorted(words), strict=False):  # 1 to 4 words
        body[place] = word
    title = f"{' '.join(sorted(words)).title()} {_made_up_word(rng)} {_made_up_word(rng)}"
    dated = number % 2 == 0
    ids = []
    for copy in range(copies):
        text = _copy_text(body, copy)
        name = f"{section}/story{number:02d}-copy{copy:02d}.txt"
        if dated:
            when = FIRST_DATE + timedelta(hours=3 * number + copy)
            write(folder, name, scraped_article(
                section, title, f"Story {_made_up_word(random.Random(number))} told again.",
                when.strftime("%d %b %Y %H:%M"), text))
        else:
            write(folder, name, f"{title}\n\n{text}\n")
        ids.append(name)
    return Story(number, section, words, tuple(ids), dated)


def _copy_text(body: list[str], copy: int) -> str:
    """Copy 0 is the story as first written; others add an update line, every
    fourth also changes one word, every fifth is the first copy byte for byte."""
    if copy % 5 == 4:
        copy = 0
    words = list(body)
    if copy % 4 == 1:
        words[200] = "amended"
    lines = [" ".join(words[start:start + 20]) + "." for start in range(0, len(words), 20)]
    paragraphs = ["\n".join(lines[start:start + 5]) for start in range(0, len(lines), 5)]
    if copy:
        paragraphs.append(f"Update {_number_word(copy)}.")
    return "\n\n".join(paragraphs)


def _made_up_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _number_word(number: int) -> str:
    """A number as letters: digits would be cut apart by the analyser anyway."""
    return "".join(_SYLLABLES[int(digit) * 7] for digit in str(number))
