"""What cannot be converted, named by its place in the workbook."""

from __future__ import annotations


class XLSFormError(ValueError):
    """A form, or a part of it, that cannot be converted: says where and why.

    Parameters
    ----------
    why : str
        What is wrong, in words.
    sheet, row, column : optional
        Where: the sheet's name, the row as the spreadsheet shows it (header = row 1), the
        column's header.
    """

    def __init__(self, why: str, sheet: str | None = None, row: int | None = None,
                 column: str | None = None):  # fmt: skip
        self.why, self.sheet, self.row, self.column = why, sheet, row, column
        super().__init__(str(self))

    def __str__(self) -> str:
        place = [f"sheet {self.sheet}" if self.sheet else "", f"row {self.row}" if self.row
                 else "", f"column {self.column}" if self.column else ""]  # fmt: skip
        where = ", ".join(p for p in place if p)
        return f"{where}: {self.why}" if where else self.why
