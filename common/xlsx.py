"""Every cell of every XLSX we write goes through here, so that no stored value can break an export
or be run by the spreadsheet that opens it.

- Text that starts like a formula (=, +, -, @, a tab or a carriage return: the OWASP rule for
  CSV injection) is written as a text cell with Excel's quote prefix: shown and read back as
  typed (the ledger importer gets the very string), never evaluated, not even after an edit.
- What XLSX cannot hold is dropped: the control characters XML 1.0 forbids, unpaired
  surrogates and U+FFFE/U+FFFF; text beyond Excel's 32,767 characters a cell is cut there.
  Stored text should hold none of these (common.text refuses them on the way in); rows from
  before that rule, or from elsewhere, must not turn an export into a 500.

Works with write-only and ordinary worksheets alike (a cell made here is appended to its sheet).
"""

import re

from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 32767
# XML 1.0 allows tab, line feed and carriage return of the C0 controls; not surrogates, U+FFFE, U+FFFF.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


_CARRIAGE_RETURNS = re.compile(r"\r\n?")


def text(value: str) -> str:
    """`value` as a cell can hold it (a carriage return would come back a line feed: written as one)."""
    return _CARRIAGE_RETURNS.sub("\n", UNWRITABLE.sub("", value))[:CELL_LIMIT]


def cell(sheet, value, *, number_format: str | None = None, font=None, fill=None, alignment=None):
    """One cell for `sheet` holding `value` (text, number, date, bool or None), made safe to open;
    appended with its row (`sheet.append`)."""
    return _fill(WriteOnlyCell(sheet), value, number_format=number_format, font=font, fill=fill, alignment=alignment)


def put(sheet, row: int, column: int, value, **style):
    """`value` written at (row, column) of an ordinary worksheet, as `cell` makes it."""
    return _fill(sheet.cell(row=row, column=column), value, **style)


def _fill(made, value, *, number_format=None, font=None, fill=None, alignment=None):
    quoted = False
    if isinstance(value, str):
        value = text(value)
        quoted = value.startswith(FORMULA_START)
    made.value = value
    if isinstance(value, str):
        # Text stays text: openpyxl takes a leading "=" for a formula and "#N/A" for an error.
        made.data_type = "s"
        made.quotePrefix = quoted
    if number_format:
        made.number_format = number_format
    if font is not None:
        made.font = font
    if fill is not None:
        made.fill = fill
    if alignment is not None:
        made.alignment = alignment
    return made


def row(sheet, values) -> list:
    """A row of cells for `sheet`: `sheet.append(xlsx.row(sheet, values))`."""
    return [cell(sheet, value) for value in values]


def append(sheet, values) -> None:
    sheet.append(row(sheet, values))
