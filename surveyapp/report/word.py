"""Write the annex as a Word document (python-docx): built-in styles, numbered captions, fields.

A4 portrait; headings, captions, tables and quotes in Word's own styles (Heading 1-3,
Caption, Table Grid, Quote), so that a reader restyles the whole annex by changing a style;
no run carries formatting of its own. Captions number themselves with SEQ fields, the
contents are a TOC field and the footer a PAGE field, each written with its result, so the
document reads right before Word updates them. Text from the database only ever goes into
text runs (``w:t``): an answer starting with "=" or holding "{ DDE ... }" stays words.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt
from PIL import Image

from surveyapp.report.document import Annex, Contents, Figure, Heading, Paragraph, Quote, Table

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Mm(210), Mm(297), Mm(25)
CAPTION_ROOM = Mm(30)  # kept free under a figure's height for its caption and heading
TABLE_FONT = Pt(9)
CELL_MARGIN = 57  # twentieths of a point: 1 mm each side of a cell's text


def _char(paragraph, kind: str) -> None:
    """Add a field character (begin, separate or end) to a paragraph."""
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        element.set(qn("w:dirty"), "true")  # Word recomputes the field on opening
    paragraph.add_run()._r.append(element)


def _instruction(paragraph, instruction: str) -> None:
    """Add a field's instruction (TOC, SEQ, PAGE: our own words, never the database's)."""
    element = OxmlElement("w:instrText")
    element.set(qn("xml:space"), "preserve")
    element.text = f" {instruction} "
    paragraph.add_run()._r.append(element)


def _field(paragraph, instruction: str, result: str) -> None:
    """Add a field with its result to a paragraph."""
    _char(paragraph, "begin")
    _instruction(paragraph, instruction)
    _char(paragraph, "separate")
    paragraph.add_run(result)
    _char(paragraph, "end")


def _page_setup(document) -> None:
    """A4 portrait with even margins, and the page number in the footer."""
    for section in document.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, MARGIN)
        footer = section.footer.paragraphs[0]
        footer.style = document.styles["Footer"]
        _field(footer, "PAGE", "1")


def _styles(document) -> None:
    """Adjust the built-in styles the annex uses (a reader may change them again)."""
    styles = document.styles
    styles["Heading 1"].paragraph_format.page_break_before = True
    styles["TOC Heading"].paragraph_format.page_break_before = False  # under the title
    styles["Caption"].paragraph_format.keep_with_next = True
    styles["Table Grid"].font.size = TABLE_FONT
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")  # Word offers to fill in the contents' page numbers
    settings.append(update)


def _toc_style(document, level: int) -> str:
    """Return Word's built-in "toc N" style, added to the document if its template lacks it."""
    name = f"toc {level}"
    if name not in [style.name for style in document.styles]:
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.paragraph_format.left_indent = Mm(5 * (level - 1))
        style.paragraph_format.space_after = Pt(2)
    return name


def _contents(document, annex: Annex) -> None:
    """Add the table of contents: a TOC field whose result lists the headings already."""
    document.add_paragraph(annex.words["contents"], style="TOC Heading")
    paragraph = document.add_paragraph()
    _char(paragraph, "begin")
    _instruction(paragraph, 'TOC \\o "1-2" \\h \\z \\u')
    _char(paragraph, "separate")
    paragraph.add_run(annex.words["contents_update"])
    for heading in annex.headings():
        if heading.level <= 2:
            style = _toc_style(document, heading.level)
            paragraph = document.add_paragraph(heading.text, style=style)
    _char(paragraph, "end")


def _caption(document, template: str, word: str, number: int, text: str) -> None:
    """Add a caption "Figure 3: text" in the Caption style, its number a SEQ field.

    ``template`` places the word, number and text ("{word} {number}: {text}").
    """
    paragraph = document.add_paragraph(style="Caption")
    before, _, after = template.partition("{number}")
    paragraph.add_run(before.format(word=word))
    _field(paragraph, f"SEQ {_sequence(word)} \\* ARABIC", str(number))
    paragraph.add_run(after.format(text=text))


def _sequence(word: str) -> str:
    """Return a SEQ field's sequence name: the caption word in ASCII letters (Grafico)."""
    letters = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return "".join(c for c in letters if c.isalnum()) or "Figure"


def _figure(document, figure: Figure, caption: str, word: str) -> None:
    """Add a figure's caption, then the picture sized to the text width (or height)."""
    _caption(document, caption, word, figure.number, figure.caption)
    width = PAGE_WIDTH - 2 * MARGIN
    room = PAGE_HEIGHT - 2 * MARGIN - CAPTION_ROOM
    with Image.open(figure.path) as image:
        pixels_wide, pixels_high = image.size
    height = Emu(int(width * pixels_high / pixels_wide))
    if height > room:
        width, height = Emu(int(room * pixels_wide / pixels_high)), room
    document.add_picture(str(figure.path), width=width, height=height)


def _shade(cell, colour: str) -> None:
    """Fill a table cell with a colour (the heat table's shading)."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour.lstrip("#").upper())
    cell._tc.get_or_add_tcPr().append(shading)


def _repeat_header(row) -> None:
    """Repeat a table's header row on every page it runs over."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(header)


def _widths(grid, table: Table) -> None:
    """Share the text width among the columns by their longest word (so that no word breaks
    where it can be helped), the first column (the labels) at least a sixth of it."""
    rows = [row for number, row in enumerate(table.rows) if number not in table.spans]
    if table.blocks:  # a block over a single column needs its own words' room too
        rows.append([label if span == 1 else "" for label, span in table.blocks
                     for _ in range(span)])  # fmt: skip
    columns = list(zip(table.header, *rows, strict=True))
    weights = [max([3, *(len(word) for text in column for word in text.split())]) + 4
               for column in columns]  # fmt: skip
    weights[0] = max(weights[0], sum(weights) / 6, 15)
    width = PAGE_WIDTH - 2 * MARGIN
    shares = [Emu(int(width * weight / sum(weights))) for weight in weights]
    grid.autofit = False
    margins = OxmlElement("w:tblCellMar")  # narrow cell margins: more room for the numbers
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    grid._tbl.tblPr.append(margins)
    for share, column in zip(shares, grid.columns, strict=True):
        column.width = share
    for row in grid.rows:
        for share, cell in zip(shares, row.cells, strict=True):
            cell.width = share


def _table(document, table: Table, caption: str, word: str) -> None:
    """Add a table's caption, then the table in the Table Grid style.

    A banner's blocks are a first header row, each block's cell merged over its groups.
    """
    _caption(document, caption, word, table.number, table.caption)
    top = 1 if table.blocks else 0
    grid = document.add_table(rows=top + 1 + len(table.rows), cols=len(table.header))
    grid.style = document.styles["Table Grid"]
    _widths(grid, table)
    if table.blocks:
        start = 0
        for label, columns in table.blocks:
            cell = grid.rows[0].cells[start]
            if columns > 1:
                cell = cell.merge(grid.rows[0].cells[start + columns - 1])
            cell.text = label
            start += columns
        _repeat_header(grid.rows[0])
    for cell, text in zip(grid.rows[top].cells, table.header, strict=True):
        cell.text = text
    _repeat_header(grid.rows[top])
    for number, values in enumerate(table.rows):
        row = grid.rows[top + 1 + number]
        if number in table.spans:
            merged = row.cells[0].merge(row.cells[-1])
            merged.text = values[0]
            for paragraph in merged.paragraphs:  # a statement stays with its groups' rows
                paragraph.paragraph_format.keep_with_next = True
            continue
        for position, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            cell.text = text
            fill = table.shades[number][position] if table.shades else None
            if fill:
                _shade(cell, fill)
    document.add_paragraph()


def write_docx(annex: Annex, path: str | Path) -> Path:
    """Write the annex as a .docx file and return its path."""
    document = Document()
    _page_setup(document)
    _styles(document)
    document.core_properties.title = annex.title
    document.core_properties.language = annex.language
    document.add_paragraph(annex.title, style="Title")
    words = annex.words
    for block in annex.blocks:
        if isinstance(block, Contents):
            _contents(document, annex)
        elif isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            document.add_paragraph(block.text)
        elif isinstance(block, Quote):
            document.add_paragraph(block.text, style="Quote")
        elif isinstance(block, Figure):
            _figure(document, block, words["caption"], words["figure"])
        elif isinstance(block, Table):
            _table(document, block, words["caption"], words["table"])
    document.save(str(path))
    return Path(path)
