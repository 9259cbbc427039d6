"""Reading an uploaded XLSX within bounds (a ledger, a territory): a file of any shape within the upload
limit costs little memory and a few seconds at most before it is read or refused (a zip bomb included).

openpyxl, even read-only, loads the whole shared-strings table first and has no limits; this
reader streams every part through expat in chunks and counts as it goes:

- before anything is parsed (`inspect`): the archive's directory, where each part declares its
  uncompressed size. zipfile stops a part at its declared size (a part that lies fails its
  CRC), so the declared sizes bound what is ever inflated: the parts, and their total, are capped;
- while parsing: rows, cells per row, cells in all, shared strings (count and characters), and
  the characters of any one cell or string are capped; a document type declaration (entity
  expansion) is refused outright.

A file over a limit is refused with a message saying which (WorkbookFileError); the limits are far
above a real ledger (a 10,000-row ledger is ~10 MB of XML) and below what could hold a worker.
"""

import datetime as dt
import posixpath
import re
import zipfile
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_PARTS = 1000
MAX_PART_BYTES = 128 * 1024 * 1024
MAX_TOTAL_BYTES = 160 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CELLS_PER_ROW = 128
MAX_CELLS = 1_000_000
MAX_SHARED_STRINGS = 300_000
MAX_SHARED_CHARACTERS = 20_000_000
MAX_CELL_CHARACTERS = 32_767  # Excel's own limit
CHUNK = 64 * 1024

_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_OFFICE_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class WorkbookFileError(Exception):
    """The file as a whole cannot be read: not an XLSX, over a limit, no such sheet, headers missing;
    `message` says which, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _unreadable() -> WorkbookFileError:
    return WorkbookFileError(_("无法读取文件：请上传 Excel 2007 及以上版本的 .xlsx 文件（.xls 请先另存为 .xlsx）。"))


def _too_large(what: str) -> WorkbookFileError:
    return WorkbookFileError(
        _("文件超出导入上限（%(what)s），请拆分为多个文件分批导入。") % {"what": what},
    )


def inspect(source) -> zipfile.ZipFile:
    """The archive, once its directory shows it can be read within the limits (nothing is inflated)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable() from exc
    parts = archive.infolist()
    if "xl/workbook.xml" not in archive.NameToInfo:
        raise _unreadable()
    if len(parts) > MAX_PARTS:
        raise _too_large(_("部件超过%(limit)s个") % {"limit": MAX_PARTS})
    if any(p.file_size > MAX_PART_BYTES for p in parts) or sum(p.file_size for p in parts) > MAX_TOTAL_BYTES:
        raise _too_large(_("解压后超过%(limit)sMB") % {"limit": MAX_TOTAL_BYTES // (1024 * 1024)})
    return archive


class _Refused(Exception):
    """Raised from inside an expat handler, carried out of the parse."""

    def __init__(self, error: WorkbookFileError):
        self.error = error


class _Done(Exception):
    """The rows asked for are read: the rest of the sheet is not."""


def _local(name: str) -> str:
    return name.rpartition("}")[2]


# Element names as expat gives them (namespace "}" local name), to local names, without a string
# operation per element: transitional and strict SpreadsheetML, package relationships, and none.
_NAMESPACES = (
    "",
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main}",
    "http://purl.oclc.org/ooxml/spreadsheetml/main}",
    "http://schemas.openxmlformats.org/package/2006/relationships}",
)
_ELEMENTS = ("row", "c", "f", "v", "t", "is", "si", "r", "rPh", "sheet", "workbookPr", "numFmt", "xf", "cellXfs")
TAGS = {ns + name: name for ns in _NAMESPACES for name in _ELEMENTS} | {
    ns + "Relationship": "Relationship" for ns in _NAMESPACES
}


def _chunks(archive: zipfile.ZipFile, name: str, start=None, end=None, text=None):
    """Stream part `name` through expat, a chunk at a time (yielding after each): `start(tag, attrs)`,
    `end(tag)` and `text(data)` are expat's handlers (TAGS gives a tag's local name)."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def doctype(*_args):
        raise _Refused(_unreadable())

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                yield
            parser.Parse(b"", True)
            yield
    except _Refused as refused:
        raise refused.error from None
    except (expat.ExpatError, zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise _unreadable() from exc


def _parse(archive: zipfile.ZipFile, name: str, start=None, end=None, text=None) -> None:
    for _step in _chunks(archive, name, start, end, text):
        pass


def _attr(attrs: dict, name: str, default=None):
    """An attribute by local name (a relationship id comes namespaced)."""
    if name in attrs:
        return attrs[name]
    for key, value in attrs.items():
        if _local(key) == name:
            return value
    return default


class BoundedWorkbook:
    """The parts of an XLSX a reader needs: sheet names, shared strings, date styles, and rows
    streamed per sheet, like openpyxl's read-only `iter_rows(values_only=True)`."""

    def __init__(self, source):
        self.archive = inspect(source)
        self._sheets: dict[str, str] = {}  # name -> part
        self._epoch = CALENDAR_WINDOWS_1900
        self._read_workbook()
        self._date_styles = self._read_styles()
        self._strings: list[str] | None = None
        self.cells = 0

    @property
    def sheetnames(self) -> list[str]:
        return list(self._sheets)

    def __getitem__(self, name: str) -> "BoundedSheet":
        return BoundedSheet(self, name, self._sheets[name])

    def close(self) -> None:
        self.archive.close()

    # The workbook's own parts

    def _read_workbook(self) -> None:
        targets = {}

        def relationship(tag, attrs):
            if TAGS.get(tag) == "Relationship":
                targets[attrs.get("Id")] = attrs.get("Target", "")

        if "xl/_rels/workbook.xml.rels" in self.archive.NameToInfo:
            _parse(self.archive, "xl/_rels/workbook.xml.rels", start=relationship)
        sheets = []

        def workbook(tag, attrs):
            tag = TAGS.get(tag)
            if tag == "sheet":
                sheets.append((attrs.get("name", ""), _attr(attrs, "id")))
                if len(sheets) > MAX_PARTS:
                    raise _Refused(_too_large(_("工作表过多")))
            elif tag == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                self._epoch = CALENDAR_MAC_1904

        _parse(self.archive, "xl/workbook.xml", start=workbook)
        for name, rid in sheets:
            target = targets.get(rid, "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if part in self.archive.NameToInfo:
                self._sheets[name] = part

    def _read_styles(self) -> set[int]:
        """Indexes of the cell styles whose number format is a date."""
        if "xl/styles.xml" not in self.archive.NameToInfo:
            return set()
        formats = dict(BUILTIN_FORMATS)
        styles: list[int] = []
        where = []

        def start(tag, attrs):
            tag = TAGS.get(tag)
            where.append(tag)
            if tag == "numFmt":
                try:
                    formats[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
                except ValueError:
                    pass
            elif tag == "xf" and len(where) >= 2 and where[-2] == "cellXfs":
                try:
                    styles.append(int(attrs.get("numFmtId", 0)))
                except ValueError:
                    styles.append(0)
                if len(styles) > MAX_SHARED_STRINGS:
                    raise _Refused(_too_large(_("样式过多")))

        _parse(self.archive, "xl/styles.xml", start=start, end=lambda tag: where.pop())
        return {i for i, fmt in enumerate(styles) if is_date_format(formats.get(fmt, ""))}

    def strings(self) -> list[str]:
        """The shared strings, read once, within their limits (phonetic runs left out, as Excel shows them)."""
        if self._strings is not None:
            return self._strings
        strings: list[str] = []
        if "xl/sharedStrings.xml" not in self.archive.NameToInfo:
            self._strings = strings
            return strings
        state = {"pieces": [], "length": 0, "total": 0, "in_t": False, "phonetic": 0}

        def start(tag, attrs):
            tag = TAGS.get(tag)
            if tag == "si":
                if len(strings) >= MAX_SHARED_STRINGS:
                    raise _Refused(_too_large(_("共享字符串超过%(limit)s个") % {"limit": MAX_SHARED_STRINGS}))
                state["pieces"], state["length"] = [], 0
            elif tag == "rPh":
                state["phonetic"] += 1
            elif tag == "t":
                state["in_t"] = True

        def end(tag):
            tag = TAGS.get(tag)
            if tag == "si":
                strings.append("".join(state["pieces"]))
            elif tag == "rPh":
                state["phonetic"] -= 1
            elif tag == "t":
                state["in_t"] = False

        def text(data):
            if not state["in_t"] or state["phonetic"]:
                return
            state["length"] += len(data)
            state["total"] += len(data)
            if state["length"] > MAX_CELL_CHARACTERS:
                raise _Refused(_too_large(_("单元格超过%(limit)s个字符") % {"limit": MAX_CELL_CHARACTERS}))
            if state["total"] > MAX_SHARED_CHARACTERS:
                raise _Refused(_too_large(_("文字总量过大")))
            state["pieces"].append(data)

        _parse(self.archive, "xl/sharedStrings.xml", start=start, end=end, text=text)
        self._strings = strings
        return strings

    def value(self, kind: str | None, raw: str, style: int):
        """A cell's value as openpyxl gives it with values_only (dates as datetime)."""
        if kind == "s":
            strings = self.strings()
            try:
                return strings[int(raw)]
            except (ValueError, IndexError):
                return None
        if kind in ("inlineStr", "str"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return raw
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(raw.strip())
            except ValueError:
                return raw
        raw = raw.strip()
        if not raw:
            return None
        try:
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            return raw
        if style in self._date_styles:
            try:
                return from_excel(number, self._epoch)
            except (ValueError, OverflowError):
                return number
        return number


class BoundedSheet:
    def __init__(self, workbook: BoundedWorkbook, title: str, part: str):
        self.workbook, self.title, self.part = workbook, title, part
        # (row, column) of every cell read that holds a formula: its value is only the cached result
        # of the last calculation, so a reader that must take cells as typed can refuse them.
        self.formulas: list[tuple[int, int]] = []

    def rows(self, min_row: int = 1, max_row: int | None = None):
        """(row number, values) of the rows from `min_row` to `max_row` that hold a value, values as a
        tuple from column A (gaps None), streamed: memory holds a chunk's rows at most."""
        pending = []
        try:
            for _step in self._read(pending.append, max_row):
                yield from (row for row in pending if row[0] >= min_row)
                pending.clear()
        except _Done:
            yield from (row for row in pending if row[0] >= min_row)

    def _read(self, emit, max_row):
        """The sheet's parse, a chunk at a time; rows go to `emit` as they end. Handlers are closures
        over plain locals: they run once per element of a file that may hold millions."""
        workbook = self.workbook
        value = workbook.value
        tags = TAGS
        row_number = col = style = rows = row_cells = length = 0
        kind = None
        cells: dict[int, object] = {}
        text_parts: list[str] = []
        inside = False
        formulas = self.formulas

        def start(tag, attrs):
            nonlocal row_number, col, style, rows, row_cells, length, kind, cells, text_parts, inside
            tag = tags.get(tag)
            if tag == "c":
                row_cells += 1
                workbook.cells += 1
                if row_cells > MAX_CELLS_PER_ROW:
                    raise _Refused(_too_large(_("一行超过%(limit)s个单元格") % {"limit": MAX_CELLS_PER_ROW}))
                if workbook.cells > MAX_CELLS:
                    raise _Refused(_too_large(_("单元格超过%(limit)s个") % {"limit": MAX_CELLS}))
                ref = attrs.get("r")
                match = _REF.match(ref) if ref else None
                col = column_index_from_string(match.group(1)) if match else col + 1
                kind = attrs.get("t")
                try:
                    style = int(attrs.get("s", 0))
                except ValueError:
                    style = 0
                text_parts, length = [], 0
            elif tag == "v" or tag == "t":
                inside = True
            elif tag == "f":
                formulas.append((row_number, col))
            elif tag == "row":
                rows += 1
                if rows > MAX_ROWS:
                    raise _Refused(_too_large(_("超过%(limit)s行") % {"limit": MAX_ROWS}))
                try:
                    number = int(attrs.get("r") or row_number + 1)
                except ValueError:
                    number = row_number + 1
                if max_row is not None and number > max_row:
                    raise _Done
                row_number, cells, col, row_cells = number, {}, 0, 0

        def end(tag):
            nonlocal inside
            tag = tags.get(tag)
            if tag == "c":
                raw = "".join(text_parts)
                if raw or kind in ("inlineStr", "str"):
                    cells[col] = value(kind, raw, style)
            elif tag == "v" or tag == "t":
                inside = False
            elif tag == "row" and cells:
                emit((row_number, tuple(cells.get(i) for i in range(1, max(cells) + 1))))

        def text(data):
            nonlocal length
            if inside:
                length += len(data)
                if length > MAX_CELL_CHARACTERS:
                    raise _Refused(_too_large(_("单元格超过%(limit)s个字符") % {"limit": MAX_CELL_CHARACTERS}))
                text_parts.append(data)

        return _chunks(workbook.archive, self.part, start=start, end=end, text=text)
