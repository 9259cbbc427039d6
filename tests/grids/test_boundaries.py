"""Grid and community boundaries: checked GeoJSON, all-or-nothing imports, the command and the admin."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from grids import services
from grids.boundaries import geometry
from grids.models import Grid

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[115.90, 28.68], [115.91, 28.68], [115.91, 28.69], [115.90, 28.69], [115.90, 28.68]]],
}
OPEN_RING = {"type": "Polygon", "coordinates": [[[115.90, 28.68], [115.91, 28.68], [115.91, 28.69], [115.90, 28.69]]]}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[115.90, 28.68], [115.91, 28.69], [115.91, 28.68], [115.90, 28.69], [115.90, 28.68]]],
}


def collection(*features):
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }


def test_a_good_polygon_passes_and_a_feature_of_one_too():
    assert geometry(SQUARE) == SQUARE
    assert geometry(json.dumps({"type": "Feature", "properties": {}, "geometry": SQUARE})) == SQUARE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (OPEN_RING, "环未闭合"),
        (BOWTIE, "自相交"),
        ("{not json", "不是有效的 JSON"),
        ({"type": "Point", "coordinates": [115.9, 28.68]}, "Polygon 或 MultiPolygon"),
        (
            {"type": "Polygon", "coordinates": [[[215.0, 28.68], [115.91, 28.68], [115.91, 28.69], [215.0, 28.68]]]},
            "超出经纬度范围",
        ),
        ({"type": "Polygon", "coordinates": [[[115.9, 28.68], [115.91, 28.68], [115.9, 28.68]]]}, "至少需要4个坐标"),
        ({"type": "Polygon", "coordinates": [[["a", 1], [1, 1], [1, 2], ["a", 1]]]}, "数字对"),
    ],
)
def test_a_bad_boundary_is_refused_with_a_clear_message(data, message):
    with pytest.raises(ValidationError) as refused:
        geometry(data)
    assert message in " ".join(refused.value.messages)


def test_boundary_set_writes_a_good_one_and_nothing_on_a_bad_one(grid):
    services.boundary_set(target=grid, boundary=SQUARE, crs="gcj02")
    grid.refresh_from_db()
    assert grid.boundary == SQUARE and grid.boundary_crs == "gcj02"
    with pytest.raises(ValidationError):
        services.boundary_set(target=grid, boundary=BOWTIE, crs="wgs84")
    grid.refresh_from_db()
    assert grid.boundary == SQUARE and grid.boundary_crs == "gcj02"


def test_an_import_writes_all_or_nothing(grid, sibling_grid, community):
    bad = collection(
        ({"grid_code": grid.code}, SQUARE), ({"grid_code": sibling_grid.code}, BOWTIE), ({"grid_code": "nope"}, SQUARE)
    )
    with pytest.raises(ValidationError) as refused:
        services.boundaries_import(collection=bad, crs="wgs84")
    messages = refused.value.messages
    assert any("第2个要素" in m and "自相交" in m for m in messages)
    assert any("第3个要素" in m and "找不到代码为 nope 的网格" in m for m in messages)
    assert not Grid.objects.filter(boundary__isnull=False).exists()  # the good first feature neither
    good = collection(({"grid_code": grid.code}, SQUARE), ({"community_code": community.code}, SQUARE))
    assert services.boundaries_import(collection=good, crs="wgs84") == {"grids": 1, "communities": 1}
    grid.refresh_from_db()
    community.refresh_from_db()
    assert grid.boundary == SQUARE and community.boundary == SQUARE


def test_a_grid_named_twice_or_an_unknown_crs_is_refused(grid):
    with pytest.raises(ValidationError, match="不止一次"):
        services.boundaries_import(
            collection=collection(({"grid_code": grid.code}, SQUARE), ({"grid_code": grid.code}, SQUARE)), crs="wgs84"
        )
    with pytest.raises(ValidationError, match="坐标系"):
        services.boundaries_import(collection=collection(({"grid_code": grid.code}, SQUARE)), crs="bd09")
    with pytest.raises(ValidationError, match="FeatureCollection"):
        services.boundaries_import(collection=SQUARE, crs="wgs84")


def test_the_command_imports_and_refuses(grid, tmp_path, capsys):
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(({"grid_code": grid.code}, OPEN_RING))), encoding="utf-8")
    with pytest.raises(CommandError, match="环未闭合"):
        call_command("import_boundaries", str(bad), "--crs", "wgs84")
    grid.refresh_from_db()
    assert grid.boundary is None
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(collection(({"grid_code": grid.code}, SQUARE))), encoding="utf-8")
    call_command("import_boundaries", str(good), "--crs", "wgs84")
    assert "imported 1 grid" in capsys.readouterr().out
    grid.refresh_from_db()
    assert grid.boundary == SQUARE


def test_the_admin_import_page_refuses_a_bad_file_and_writes_nothing(client, administrator, grid):
    client.force_login(administrator)
    url = "/admin/grids/grid/import-boundaries/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("b.geojson", json.dumps(collection(({"grid_code": grid.code}, BOWTIE))).encode())
    response = client.post(url, {"file": upload, "crs": "wgs84"})
    assert (
        response.status_code == 200
        and "自相交" in response.content.decode()
        and "未导入任何边界" in response.content.decode()
    )
    grid.refresh_from_db()
    assert grid.boundary is None
    upload = SimpleUploadedFile("g.geojson", json.dumps(collection(({"grid_code": grid.code}, SQUARE))).encode())
    assert client.post(url, {"file": upload, "crs": "wgs84"}).status_code == 302
    grid.refresh_from_db()
    assert grid.boundary == SQUARE


def test_the_admin_change_form_checks_a_pasted_boundary(client, administrator, grid):
    client.force_login(administrator)
    url = f"/admin/grids/grid/{grid.pk}/change/"
    base = {"community": grid.community_id, "code": grid.code, "name": grid.name, "boundary_crs": "wgs84"}
    response = client.post(url, {**base, "boundary": json.dumps(BOWTIE)})
    assert response.status_code == 200 and "自相交" in response.content.decode()
    grid.refresh_from_db()
    assert grid.boundary is None
    assert client.post(url, {**base, "boundary": json.dumps(SQUARE)}).status_code == 302
    grid.refresh_from_db()
    assert grid.boundary == SQUARE and grid.boundary_crs == "wgs84"
