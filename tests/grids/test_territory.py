"""A whole territory from one workbook: the service, the admin page (upload → dry run → confirm), the
command, and the new account's first password through its one-time link."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from common.models import AuditEntry
from common.workbook import WorkbookFileError
from grids.enums import Role
from grids.models import Community, District, Grid, Subdistrict, User
from grids.territory import SHEETS, import_territory, write_template
from tests.factories import DistrictFactory, SubdistrictFactory, UserFactory

NEW_PASSWORD = "Xq7-territory-first"

GOOD = {
    "区": [["DHQ", "东湖区"]],
    "街道": [["BHZ", "百花洲街道", "DHQ"], ["YZ", "豫章街道", "DHQ"]],
    "社区": [["BHZ", "HSM", "火神庙社区"], ["BHZ", "DSJ", "大士院社区"], ["YZ", "SJT", "绳金塔社区"]],
    "网格": [
        ["BHZ", "HSM", "HSM-01", "火神庙第1网格"],
        ["BHZ", "HSM", "HSM-02", "火神庙第2网格"],
        ["BHZ", "DSJ", "DSJ-01", "大士院第1网格"],
        ["YZ", "SJT", "SJT-01", "绳金塔第1网格"],
    ],
    "人员": [
        ["dhleader", "刘洋（区领导）", "区领导", "13900000001", "liu@example.cn", "DHQ", "", "", ""],
        ["dhstaff", "陈静", "district_staff", "", "", "DHQ", "", "", ""],
        ["bhzcentre", "周敏", "综治中心工作人员、街道领导", "13900000002", "", "", "BHZ", "", ""],
        ["hsmstaff", "黄丽", "社区干部", "", "", "", "BHZ", "HSM", ""],
        ["hsmgrid", "何军", "网格员", "13900000003", "", "", "BHZ", "HSM", "HSM-01、HSM-02"],
        ["sjtgrid", "袁芳", "网格员", "", "", "", "YZ", "SJT", "SJT-01"],
    ],
}


def workbook(sheets=None, *, drop=(), edit=None) -> io.BytesIO:
    """A territory workbook: each sheet's headers, then the rows given (GOOD by default)."""
    sheets = {name: [list(row) for row in rows] for name, rows in (sheets or GOOD).items()}
    if edit:
        edit(sheets)
    book = Workbook()
    book.remove(book.active)
    for name, columns in SHEETS.items():
        if name in drop:
            continue
        sheet = book.create_sheet(name)
        sheet.append([c.header for c in columns])
        for row in sheets.get(name, []):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def territory_counts():
    return (
        District.objects.count(),
        Subdistrict.objects.count(),
        Community.objects.count(),
        Grid.objects.count(),
        User.objects.count(),
    )


def test_a_good_workbook_creates_the_whole_territory(db):
    outcome = import_territory(workbook())
    assert outcome.ok and outcome.written, outcome.problems
    district = District.objects.get(code="DHQ")
    assert set(district.subdistricts.values_list("code", flat=True)) == {"BHZ", "YZ"}
    assert Community.objects.get(subdistrict__code="BHZ", code="HSM").name == "火神庙社区"
    assert Grid.objects.filter(community__code="HSM").count() == 2
    leader = User.objects.get(username="dhleader")
    assert leader.roles == [Role.DISTRICT_LEADER] and leader.district == district and leader.subdistrict is None
    assert leader.mobile == "13900000001" and leader.email == "liu@example.cn"
    assert not leader.has_usable_password() and leader.must_change_password
    centre = User.objects.get(username="bhzcentre")
    assert sorted(centre.roles) == [Role.CENTRE_STAFF, Role.LEADER] and centre.subdistrict.code == "BHZ"
    staff = User.objects.get(username="hsmstaff")
    assert staff.community.code == "HSM" and staff.subdistrict.code == "BHZ"
    worker = User.objects.get(username="hsmgrid")
    assert sorted(worker.grids.values_list("code", flat=True)) == ["HSM-01", "HSM-02"] and worker.community is None
    # One link per new account; each role change is audited.
    assert sorted(u for u, _n, _p in outcome.links) == sorted(r[0] for r in GOOD["人员"])
    assert AuditEntry.objects.filter(action="roles_changed").count() == 6
    assert [c for (*c,) in outcome.counts()] == [
        ["区", 1, 0, 0],
        ["街道", 2, 0, 0],
        ["社区", 3, 0, 0],
        ["网格", 4, 0, 0],
        ["人员", 6, 0, 0],
    ]


def test_a_district_leader_from_the_file_sets_a_password_signs_in_and_sees_the_district_home(client, db):
    outcome = import_territory(workbook())
    (link,) = [path for username, _n, path in outcome.links if username == "dhleader"]
    # Without a password, nothing signs in.
    assert not client.login(username="dhleader", password="")
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == reverse("grids:login")
    leader = User.objects.get(username="dhleader")
    assert leader.has_usable_password() and not leader.must_change_password
    # The link is void once used.
    again = client.get(link, follow=True)
    assert again.context["validlink"] is False
    signed_in = client.post(reverse("grids:login"), {"username": "dhleader", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "home/district_home.html" in [t.name for t in home.templates]
    assert "百花洲街道" in home.text and "豫章街道" in home.text


@pytest.mark.parametrize(
    ("edit", "sheet", "row", "column", "fragment"),
    [
        (lambda s: s["社区"].append(["NOPE", "XX", "无主社区"]), "社区", 5, "所属街道代码", "不在本文件中"),
        (lambda s: s["街道"].append(["BHZ", "另一个百花洲", "DHQ"]), "街道", 4, "街道代码", "与第2行重复"),
        (lambda s: s["人员"][0].__setitem__(2, "区长"), "人员", 2, "角色", "未知角色"),
        (lambda s: s["人员"][2].__setitem__(3, "1390000"), "人员", 4, "手机号码", "11 位"),
        (lambda s: s["人员"][3].__setitem__(4, "not-an-email"), "人员", 5, "电子邮箱", "电子邮箱"),
        (lambda s: s["网格"][0].__setitem__(3, '=CONCAT("火神庙","第1网格")'), "网格", 2, "网格名称", "公式"),
        (lambda s: s["人员"][1].__setitem__(1, "陈\x7f静"), "人员", 3, "姓名", "控制字符"),
        (lambda s: s["人员"][4].__setitem__(8, "HSM-09"), "人员", 6, "网格代码", "没有网格 HSM-09"),
        (lambda s: s["人员"][0].__setitem__(2, "调解员"), "人员", 2, "角色", "不能通过导入设置"),
        (lambda s: s["人员"][3].__setitem__(7, ""), "人员", 5, "社区代码", "须填写社区代码"),
        (
            lambda s: s["人员"].append(["DHLeader", "重名", "区领导", "", "", "DHQ", "", "", ""]),
            "人员",
            8,
            "用户名",
            "与第2行重复",
        ),
    ],
    ids=[
        "missing-parent",
        "duplicate-code",
        "unknown-role",
        "bad-phone",
        "bad-email",
        "formula",
        "control-character",
        "unknown-grid",
        "mediator-not-importable",
        "scope-missing",
        "duplicate-username-any-case",
    ],
)
def test_each_mistake_is_named_by_sheet_row_and_column_and_nothing_is_written(db, edit, sheet, row, column, fragment):
    before = territory_counts()
    outcome = import_territory(workbook(edit=edit))
    assert not outcome.written and not outcome.links
    assert [(p.sheet, p.row, p.column) for p in outcome.problems] == [(sheet, row, column)], outcome.problems
    assert fragment in outcome.problems[0].message
    assert territory_counts() == before
    assert not AuditEntry.objects.exists()


def test_one_bad_row_among_good_ones_writes_none_of_them(db):
    def edit(sheets):
        sheets["人员"][-1][3] = "12345"

    outcome = import_territory(workbook(edit=edit))
    assert len(outcome.problems) == 1 and not outcome.written
    assert territory_counts() == (0, 0, 0, 0, 0)


def test_parents_may_already_be_in_the_database(db):
    district = DistrictFactory(code="DHQ", name="东湖区")
    SubdistrictFactory(code="BHZ", name="百花洲街道", district=district)
    sheets = {
        "社区": [["BHZ", "HSM", "火神庙社区"]],
        "人员": [["hsmstaff", "黄丽", "社区干部", "", "", "", "BHZ", "HSM", ""]],
    }
    outcome = import_territory(workbook(sheets))
    assert outcome.ok and outcome.written
    assert User.objects.get(username="hsmstaff").community.subdistrict.district == district


def test_a_missing_sheet_or_header_is_a_problem_not_a_crash(db):
    outcome = import_territory(workbook(drop=("网格",)))
    assert [(p.sheet, p.row) for p in outcome.problems] == [("网格", None)]
    book = load_workbook(workbook())
    book["区"].delete_cols(2)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    outcome = import_territory(out)
    assert ("区", 1, "区名称") in [(p.sheet, p.row, p.column) for p in outcome.problems]
    assert territory_counts() == (0, 0, 0, 0, 0)


def test_a_dry_run_writes_nothing_and_says_what_would_be_done(db):
    outcome = import_territory(workbook(), dry_run=True)
    assert outcome.ok and not outcome.written and not outcome.links
    assert territory_counts() == (0, 0, 0, 0, 0)
    assert sum(created for _k, created, _u, _s in outcome.counts()) == 16


def test_importing_again_changes_nothing_and_renames_update_in_place(db):
    import_territory(workbook())
    before = territory_counts()
    audits = AuditEntry.objects.count()
    again = import_territory(workbook())
    assert again.written and not again.links
    assert {c.action for c in again.changes} == {"unchanged"} and again.pending == 0
    assert territory_counts() == before and AuditEntry.objects.count() == audits
    hsm = Community.objects.get(code="HSM")

    def rename(sheets):
        sheets["社区"][0][2] = "火神庙社区（新）"
        sheets["人员"][4][8] = "HSM-01"  # the grid worker keeps one grid

    renamed = import_territory(workbook(edit=rename))
    assert [(c.sheet, c.action) for c in renamed.changes if c.action != "unchanged"] == [
        ("社区", "update"),
        ("人员", "update"),
    ]
    hsm.refresh_from_db()
    assert hsm.name == "火神庙社区（新）" and Community.objects.count() == before[2]
    assert list(User.objects.get(username="hsmgrid").grids.values_list("code", flat=True)) == ["HSM-01"]
    # A file that leaves rows out deletes nothing.
    import_territory(workbook({"区": [["DHQ", "东湖区"]]}))
    assert territory_counts() == before


def test_an_existing_account_keeps_its_password_and_a_mediator_role(db):
    subdistrict = SubdistrictFactory(code="BHZ", name="百花洲街道")
    user = UserFactory(username="bhzcentre", roles=[Role.MEDIATOR], subdistrict=subdistrict)
    password = user.password
    outcome = import_territory(workbook())
    assert outcome.written and "bhzcentre" not in [u for u, _n, _p in outcome.links]
    user.refresh_from_db()
    assert user.password == password
    assert sorted(user.roles) == sorted([Role.CENTRE_STAFF, Role.LEADER, Role.MEDIATOR])


def test_an_administrators_account_is_not_changed_by_an_import(db, administrator):
    def edit(sheets):
        sheets["人员"][0][0] = administrator.username

    outcome = import_territory(workbook(edit=edit))
    assert [(p.sheet, p.row, p.column) for p in outcome.problems] == [("人员", 2, "用户名")]
    administrator.refresh_from_db()
    assert administrator.roles == [Role.ADMINISTRATOR]


def test_a_file_that_is_not_a_workbook_or_too_large_is_refused_whole(db):
    with pytest.raises(WorkbookFileError, match="xlsx"):
        import_territory(io.BytesIO(b"not a zip at all"))
    # A row of more cells than any sheet could need: the bounded reader stops it.
    book = Workbook()
    book.active.title = "区"
    book.active.append(["x"] * 200)
    wide = io.BytesIO()
    book.save(wide)
    wide.seek(0)
    with pytest.raises(WorkbookFileError, match="单元格"):
        import_territory(wide)
    # A part that says it inflates beyond the reader's bound is refused before anything is inflated.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (200 * 1024 * 1024))
    bomb.seek(0)
    with pytest.raises(WorkbookFileError, match="解压后"):
        import_territory(bomb)
    assert territory_counts() == (0, 0, 0, 0, 0)


def test_the_template_imports_as_it_is(db):
    out = io.BytesIO()
    write_template(out)
    out.seek(0)
    book = load_workbook(out)
    assert book.sheetnames == [*SHEETS, "说明"]
    out.seek(0)
    outcome = import_territory(out)
    assert outcome.ok and outcome.written, outcome.problems
    assert [c[1] for c in outcome.counts()] == [1, 1, 1, 1, 1]


# The admin page.


def staff_user(**extra):
    return UserFactory(username="clerk", roles=[], is_staff=True, **extra)


URL = "/admin/grids/district/import-territory/"
TEMPLATE_URL = "/admin/grids/district/import-territory/template.xlsx"


def test_the_admin_page_checks_then_imports_on_confirmation(client, administrator, django_assert_max_num_queries):
    client.force_login(administrator)
    before = territory_counts()
    with django_assert_max_num_queries(8):
        page = client.get(URL)
    assert page.status_code == 200 and "试导入" in page.text
    template = client.get(TEMPLATE_URL)
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    # The template goes round: uploaded as it was downloaded, it checks clean and imports.
    checked = client.post(URL, {"file": _upload(template.content)})
    assert checked.status_code == 200 and 'id="territory-confirm"' in checked.text
    assert territory_counts() == before
    digest = checked.context["digest"]
    done = client.post(URL, {"confirm": digest})
    assert done.status_code == 200 and 'id="territory-done"' in done.text
    assert "no-store" in done["Cache-Control"]
    assert "/password/set/" in done.text
    grown = tuple(a - b for a, b in zip(territory_counts(), before, strict=True))
    assert grown == (1, 1, 1, 1, 1)
    # The same confirmation again does not import twice: the checked file is gone.
    stale = client.post(URL, {"confirm": digest})
    assert stale.status_code == 302 and territory_counts() == tuple(map(sum, zip(before, grown, strict=True)))


def test_the_admin_page_lists_every_problem_and_offers_no_confirmation(client, administrator):
    client.force_login(administrator)
    before = territory_counts()

    def edit(sheets):
        sheets["人员"][0][2] = "区长"
        # The grid then names a community that is nowhere, and the grid worker a grid that is not there.
        sheets["网格"][0][1] = "NOPE"

    page = client.post(URL, {"file": _upload(workbook(edit=edit).getvalue())})
    assert page.status_code == 400
    assert 'id="territory-confirm"' not in page.text and "发现 3 处错误" in page.text
    assert "未知角色“区长”" in page.text
    assert territory_counts() == before
    hostile = client.post(URL, {"file": _upload(b"PK\x03\x04 broken")})
    assert hostile.status_code == 400 and ".xlsx" in hostile.text


def test_a_confirmation_without_a_dry_run_of_this_session_writes_nothing(client, administrator):
    client.force_login(administrator)
    before = territory_counts()
    response = client.post(URL, {"confirm": "0" * 64})
    assert response.status_code == 302 and territory_counts() == before


@pytest.mark.parametrize("url", [URL, TEMPLATE_URL])
def test_only_administrators_reach_the_import(client, db, url, centre):
    assert client.get(url).status_code == 302  # anonymous: the admin's sign-in
    client.force_login(centre)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    client.force_login(staff_user())
    assert client.get(url).status_code == 403
    assert client.post(URL, {"file": _upload(workbook().getvalue())}).status_code == 403
    assert territory_counts()[:4] == (0, 1, 0, 0)


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("territory.xlsx", content)


# The command.


def test_the_command_dry_runs_then_imports_and_prints_the_links(db, tmp_path):
    path = tmp_path / "territory.xlsx"
    path.write_bytes(workbook().getvalue())
    out = io.StringIO()
    call_command("import_territory", str(path), "--dry-run", stdout=out)
    assert "试导入" in out.getvalue() and territory_counts() == (0, 0, 0, 0, 0)
    out = io.StringIO()
    call_command("import_territory", str(path), stdout=out)
    assert "已导入" in out.getvalue() and out.getvalue().count("/password/set/") == 6
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(edit=lambda s: s["人员"][0].__setitem__(2, "区长")).getvalue())
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_territory", str(bad), stdout=io.StringIO(), stderr=err)
    assert "人员第2行“角色”" in err.getvalue()


def test_role_names_are_read_as_the_template_writes_them_whatever_the_language(db):
    from django.utils import translation

    with translation.override("en"):
        outcome = import_territory(workbook())
    assert outcome.ok and outcome.written, outcome.problems
    assert User.objects.get(username="hsmgrid").roles == [Role.GRID_WORKER]
