"""Reading an XLSForm workbook (.xlsx with openpyxl, .xls with xlrd) into rows of cells."""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from surveyapp.xlsform.errors import XLSFormError

SHEETS = ("survey", "choices", "settings")
# Language names written without a code (`label:english`), as their ISO 639-1 code.
LANGUAGE_NAMES = {
    "english": "en", "french": "fr", "francais": "fr", "spanish": "es", "espanol": "es",
    "portuguese": "pt", "portugues": "pt", "arabic": "ar", "russian": "ru", "chinese": "zh",
    "german": "de", "deutsch": "de", "italian": "it", "dutch": "nl", "swahili": "sw",
    "hindi": "hi", "bengali": "bn", "urdu": "ur", "amharic": "am", "hausa": "ha",
    "somali": "so", "turkish": "tr", "indonesian": "id", "japanese": "ja", "korean": "ko",
    "vietnamese": "vi", "thai": "th", "nepali": "ne", "burmese": "my", "ukrainian": "uk",
    "polish": "pl", "romanian": "ro", "greek": "el", "persian": "fa", "farsi": "fa",
    "pashto": "ps", "dari": "prs", "tigrinya": "ti", "oromo": "om", "yoruba": "yo",
    "igbo": "ig", "zulu": "zu", "kinyarwanda": "rw", "lingala": "ln", "wolof": "wo",
}  # fmt: skip
CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\)\s*\Z")
BARE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?\Z")


@dataclass
class Row:
    """One non-blank row of a sheet: its number as the spreadsheet shows it, and its cells."""

    number: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        """Return a cell's text ('' when empty or absent)."""
        return self.cells.get(column, "")


@dataclass
class Workbook:
    """The survey, choices and settings sheets of a form, rows keyed by lower-case column."""

    path: Path
    sheets: dict[str, list[Row]] = field(default_factory=dict)

    def rows(self, sheet: str) -> list[Row]:
        """Return the non-blank rows of a sheet (none when the sheet is absent)."""
        return self.sheets.get(sheet, [])


def column_key(header: str) -> str:
    """Return a column header as pyxform reads it: the column lower-case, a language kept."""
    header = header.strip()
    for separator in ("::", ":"):
        if separator in header:
            column, _, language = header.partition(separator)
            return f"{column.strip().lower()}::{language.strip()}"
    return header.lower()


def language_code(language: str) -> str | None:
    """Return the code of a language as a column names it: 'French (fr)', 'fr', 'english'."""
    language = language.strip()
    match = CODE.search(language)
    if match:
        return match.group(1).lower()
    if BARE_CODE.match(language):
        return language
    plain = unicodedata.normalize("NFKD", language).encode("ascii", "ignore").decode().lower()
    return LANGUAGE_NAMES.get(plain.strip())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _grid(path: Path) -> dict[str, list[list]]:
    """Return each sheet's cells as lists of rows, by lower-case sheet name."""
    if path.suffix.lower() == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        return {
            sheet.name.strip().lower(): [sheet.row_values(r) for r in range(sheet.nrows)]
            for sheet in book.sheets()
        }
    import openpyxl

    with warnings.catch_warnings():  # "Unknown extension is not supported": nothing we read
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, data_only=True)  # read_only walks empty rows
    try:
        return {
            sheet.title.strip().lower(): [list(row) for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        }
    finally:
        book.close()


def read_xlsform(path: str | Path) -> Workbook:
    """Read the survey, choices and settings sheets; blank rows skipped, rows numbered as shown."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
        raise XLSFormError(f"{path.name} is not an .xlsx or .xls file")
    try:
        grid = _grid(path)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook gets a message
        raise XLSFormError(f"{path.name} cannot be read as a workbook: {error}") from None
    if "survey" not in grid:
        raise XLSFormError(f"{path.name} has no sheet named 'survey'")
    workbook = Workbook(path)
    for sheet in SHEETS:
        cells = grid.get(sheet) or []
        top = next((i for i, r in enumerate(cells) if any(_text(v) for v in r)), len(cells))
        headers = [column_key(_text(h)) for h in (cells[top] if cells[top:] else [])]
        rows = []
        for number, values in enumerate(cells[top + 1 :], start=top + 2):
            row = {h: _text(v) for h, v in zip(headers, values, strict=False) if h}
            row = {h: v for h, v in row.items() if v}
            if row:
                rows.append(Row(number, row))
        workbook.sheets[sheet] = rows
    return workbook
