"""Write the annex as Markdown (for Markdown or Quarto), its figures as PNG files beside it.

The same blocks as the Word document: the title as "#", sections one level down, captions
in bold above their figure or table, pipe tables, answers quoted as "> ". Text from the
database is escaped, so that no answer becomes markup, a link, HTML or a Quarto shortcode.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from exports._files import replaced
from surveyapp.report.document import Annex, Contents, Figure, Heading, Paragraph, Quote, Table

SPECIAL = re.compile(r"([\\`*_{}\[\]<>|@$~^#])")
# What makes a line a list item, a quote, a heading underline or a table rule when it starts it.
LEADING = re.compile(r"^([-+=>:]|\d+[.)])")


def escaped(text: str) -> str:
    """Return text that Markdown (and Quarto) shows as written: markup characters backslashed."""
    return LEADING.sub(r"\\\1", SPECIAL.sub(r"\\\1", text))


def _caption(words: dict, word: str, number: int, text: str) -> str:
    return f"**{escaped(words['caption'].format(word=word, number=number, text=text))}**"


def _table(table: Table, words: dict, word: str) -> str:
    lines = [_caption(words, word, table.number, table.caption), ""]
    header = list(table.header)
    if table.blocks:  # a banner: each group headed "Block: group"
        over = [label for label, columns in table.blocks for _ in range(columns)]
        header = [f"{b}: {h}" if b else h for b, h in zip(over, header, strict=True)]
    lines.append("| " + " | ".join(escaped(h) for h in header) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(table.header) - 1)) + "|")
    for number, row in enumerate(table.rows):
        cells = [escaped(c) for c in row]
        if number in table.spans:
            cells = [f"**{cells[0]}**"] + [""] * (len(row) - 1)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_markdown(annex: Annex, figures: str) -> str:
    """Return the annex as Markdown, its figures linked in the folder ``figures``."""
    words, parts = annex.words, [f"# {escaped(annex.title)}"]
    for block in annex.blocks:
        if isinstance(block, Contents):
            parts.append(f"## {words['contents']}")
            parts.append("\n".join(f"- {escaped(h.text)}" for h in annex.headings(1)))
        elif isinstance(block, Heading):
            parts.append(f"{'#' * (block.level + 1)} {escaped(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(escaped(block.text))
        elif isinstance(block, Quote):
            parts.append(f"> {escaped(block.text)}")
        elif isinstance(block, Figure):
            caption = _caption(words, words["figure"], block.number, block.caption)
            alt = escaped(f"{words['figure']} {block.number}")
            parts.append(f"{caption}\n\n![{alt}]({figures}/{block.path.name})")
        elif isinstance(block, Table):
            parts.append(_table(block, words, words["table"]))
    return "\n\n".join(parts) + "\n"


def write_markdown(annex: Annex, path: str | Path) -> Path:
    """Write ``FILE.md`` and its figures into the folder ``FILE-figures`` beside it."""
    path = Path(path)
    folder = path.with_name(f"{path.stem}-figures")
    folder.mkdir(exist_ok=True)
    for figure in annex.figures():
        shutil.copyfile(figure.path, folder / figure.path.name)
    with replaced(path) as partial:
        Path(partial).write_text(to_markdown(annex, folder.name), encoding="utf-8")
    return path
