"""ledger.layout: the columns, the dates a ledger writes, and the blank template (page and command)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from ledger.importer import import_ledger
from ledger.layout import parse_date
from tests.ledger.conftest import (
    HEADERS,
    login,
)


def test_parse_date_accepts_the_usual_forms():
    expected = dt.date(2021, 3, 5)
    for value in (
        "2021-03-05",
        "2021/3/5",
        "2021年3月5日",
        "2021 年 3 月 5 日",
        "20210305",
        20210305,
        "２０２１－０３－０５",
        "2021.3.5",
        dt.datetime(2021, 3, 5, 8),
        expected,
        44260,
    ):
        assert parse_date(value) == expected, value
    assert parse_date("") is None and parse_date(None) is None
    for value in ("2021-13-45", "去年三月", "03/05/2021"):
        with pytest.raises(ValueError):
            parse_date(value)


def test_template_download_is_an_importable_empty_ledger(client, world):
    login(client, world["centre"])
    response = client.get(reverse("ledger:template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in workbook["台账"][1]] == HEADERS and "填写说明" in workbook.sheetnames
    report = import_ledger(io.BytesIO(response.content), user=world["centre"])
    assert report.rows == 0 and not report.problems


def test_import_ledger_command_writes_the_template(tmp_path):
    path = tmp_path / "模板.xlsx"
    call_command("import_ledger", str(path), "--template", stdout=io.StringIO())
    assert [c.value for c in load_workbook(path)["台账"][1]] == HEADERS
