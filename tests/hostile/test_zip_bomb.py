"""Finding 3 of the attack run: the upload's header check loaded the whole shared-strings table
(a 0.67 MB file took 1.24 GB and 44 s in a web worker). Now the upload answers from the archive's
directory alone, and the worker's reader (common.workbook) streams within limits: every bomb
here, each within the 20 MB upload limit, is refused in < 10 s and < 200 MB."""

import io
import struct
import time
import tracemalloc
import zipfile

import pytest
from django.urls import reverse

from casework.models import DisputeCase
from common import workbook
from ledger import jobs
from ledger.forms import MAX_UPLOAD_BYTES
from ledger.importer import LedgerFileError, read_sheet
from ledger.layout import COLUMNS
from ledger.models import LedgerImport
from tests.factories import PASSWORD

WORKBOOK = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
# The ledger's whole header, so that a bomb is refused for its size, not for a missing column.
HEADER = "".join(f'<c t="inlineStr"><is><t>{column.header}</t></is></c>' for column in COLUMNS)


def archive(parts: dict[str, object]) -> bytes:
    """An XLSX of `parts` (name -> bytes, or an iterable of byte chunks streamed into the archive)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, content in {"xl/workbook.xml": WORKBOOK, "xl/_rels/workbook.xml.rels": RELS, **parts}.items():
            if isinstance(content, str):
                content = content.encode()
            if isinstance(content, bytes):
                zf.writestr(name, content)
            else:
                with zf.open(name, "w", force_zip64=True) as part:
                    for chunk in content:
                        part.write(chunk)
    return buffer.getvalue()


def repeated(prefix: str, item: str, times: int, suffix: str):
    yield prefix.encode()
    block = (item * 10_000).encode()
    for _ in range(times // 10_000):
        yield block
    yield suffix.encode()


def sheet(rows) -> str | object:
    return "".join(["<worksheet><sheetData>", f'<row r="1">{HEADER}</row>', *rows, "</sheetData></worksheet>"])


def lying(content: bytes, declared: int) -> bytes:
    """The archive with every part's uncompressed size in the central directory rewritten to `declared`."""
    data = bytearray(content)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        struct.pack_into("<I", data, at + 24, declared)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


BOMBS = {
    # The attack run's shape: a huge shared-strings table of tiny strings.
    "shared strings": lambda: archive(
        {
            "xl/sharedStrings.xml": repeated("<sst>", "<si><t>x</t></si>", 400_000, "</sst>"),
            "xl/worksheets/sheet1.xml": sheet(['<row r="2"><c r="A2" t="s"><v>0</v></c></row>']),
        }
    ),
    # Over the limit as the archive's directory declares it: refused before anything is inflated.
    "declared size": lambda: lying(
        archive({"xl/worksheets/sheet1.xml": repeated("<worksheet><sheetData>", " " * 100, 10_000, "</sheetData>")}),
        workbook.MAX_PART_BYTES,
    ),
    "size that lies": lambda: lying(
        archive({"xl/worksheets/sheet1.xml": repeated("<worksheet><sheetData>", "<row/>" * 20, 1_000_000, "")}),
        1000,
    ),
    "rows": lambda: archive({"xl/worksheets/sheet1.xml": repeated(sheet([])[:-24], "<row/>", 60_000, "")}),
    "cells in a row": lambda: archive(
        {"xl/worksheets/sheet1.xml": repeated(sheet([])[:-24] + "<row>", "<c/>", 10_000, "</row>")}
    ),
    "cells in all": lambda: archive(
        {"xl/worksheets/sheet1.xml": repeated(sheet([])[:-24], "<row>" + "<c/>" * 100 + "</row>", 20_000, "")}
    ),
    "one huge cell": lambda: archive(
        {"xl/worksheets/sheet1.xml": repeated(sheet([])[:-24] + '<row><c t="inlineStr"><is><t>', "纠", 40_000, "")}
    ),
    "entities": lambda: archive(
        {
            "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10 if i else "&a;" * 10}">' for i in range(9))
            + ']><worksheet><sheetData><row><c t="inlineStr"><is><t>&a8;</t></is></c></row></sheetData></worksheet>'
        }
    ),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_finding_3_a_zip_bomb_is_refused_cheaply(client, world, name):
    content = BOMBS[name]()
    assert len(content) < MAX_UPLOAD_BYTES, len(content)
    client.login(username=world["centre"].username, password=PASSWORD)
    upload = io.BytesIO(content)
    upload.name = "台账.xlsx"
    began = time.monotonic()
    response = client.post(reverse("ledger:upload"), {"file": upload, "mode": "all"})
    answered = time.monotonic() - began
    if response.status_code == 302:  # recorded at once; the worker reads it and refuses it
        job = LedgerImport.objects.get()
        jobs.import_run(job.pk)
        job.refresh_from_db()
        assert job.state == "failed", job.report
        message = job.error
    else:
        assert response.status_code == 400
        message = response.content.decode()
    seconds = time.monotonic() - began
    assert "导入上限" in message or "无法读取文件" in message, message[:300]
    assert not DisputeCase.objects.exists()
    # Memory, apart (tracing allocations slows everything down): the worker's read of the file.
    tracemalloc.start()
    try:
        with pytest.raises(LedgerFileError):
            read_sheet(io.BytesIO(content))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(
        f"{name}: {len(content) / 1e6:.2f} MB, upload answered in {answered:.2f} s, refused in {seconds:.2f} s, "
        f"peak {peak / 1e6:.1f} MB"
    )
    assert answered < 5 and seconds < 10 and peak < 200 * 1024 * 1024, (name, answered, seconds, peak)


def test_the_reader_refuses_over_each_limit_and_reads_a_ledger_within_them():
    content = archive(
        {
            "xl/sharedStrings.xml": "<sst><si><t>案件编号</t><rPh><t>あん</t></rPh></si>"
            "<si><r><t>登记</t></r><r><t>日期</t></r></si></sst>",
            "xl/worksheets/sheet1.xml": sheet(
                ['<row r="3"><c r="B3" t="s"><v>1</v></c><c r="D3"><v>2.5</v></c></row>']
            ),
        }
    )
    book = workbook.BoundedWorkbook(io.BytesIO(content))
    rows = list(book["台账"].rows())
    header = (1, tuple(c.header for c in COLUMNS))
    assert rows == [header, (3, (None, "登记日期", None, 2.5))]
    assert list(book["台账"].rows(min_row=2)) == [(3, (None, "登记日期", None, 2.5))]
    assert list(book["台账"].rows(max_row=2)) == [header]
