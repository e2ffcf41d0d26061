"""The annex as a neutral document: headings, paragraphs, figures, tables and quotes.

The writers (`surveyapp.report.word`, `surveyapp.report.markdown`) only lay these out; every
number and word is settled when the document is built (`surveyapp.report.content`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Heading:
    """A section heading, level 1 to 3."""

    text: str
    level: int = 1


@dataclass
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass
class Quote:
    """An answer quoted as written, in the Quote style."""

    text: str


@dataclass
class Figure:
    """A chart drawn as a PNG file, with its numbered caption."""

    path: Path
    number: int
    caption: str


@dataclass
class Table:
    """A table with its numbered caption: a header row, then rows of cells as shown.

    ``spans`` holds the rows that are one cell across the table (an item's statement above
    its groups' rows); ``shades`` gives a fill colour ("#rrggbb") per cell, or None;
    ``blocks`` is a header row above the header, (label, columns spanned) in order (a
    banner's blocks over their groups).
    """

    number: int
    caption: str
    header: list[str]
    rows: list[list[str]]
    spans: set[int] = field(default_factory=set)
    shades: list[list[str | None]] | None = None
    blocks: list[tuple[str, int]] | None = None


@dataclass
class Contents:
    """Where the table of contents goes."""


@dataclass
class Annex:
    """The whole annex: its title, language, fixed words and blocks in reading order."""

    title: str
    language: str
    words: dict[str, str]
    blocks: list = field(default_factory=list)

    def headings(self, level: int | None = None) -> list[Heading]:
        """Return the headings in order (of one level if given)."""
        return [
            b
            for b in self.blocks
            if isinstance(b, Heading) and (level is None or b.level == level)
        ]

    def figures(self) -> list[Figure]:
        """Return the figures in order."""
        return [b for b in self.blocks if isinstance(b, Figure)]
