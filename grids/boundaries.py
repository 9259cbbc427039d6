"""Boundaries of grids and communities (GeoJSON polygons), checked before anything is written.

A boundary is a GeoJSON Polygon or MultiPolygon (a Feature holding one is accepted too), in the
coordinate system stated beside it (WGS-84 or GCJ-02; the map draws whatever it is given, so one
territory should use one). Each ring must be closed (its last position repeats its first: shapely
would silently close an open ring, so this is checked on the raw data), hold at least four positions
of longitude and latitude within range, and the polygon must not intersect itself (shapely's
validity check, whose reason is given in the message).
"""

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

POLYGON_TYPES = ("Polygon", "MultiPolygon")
# shapely's reasons, in the words of the page.
REASONS = {
    "Self-intersection": "边界自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "点数过少",
    "Hole lies outside shell": "内环位于外环之外",
    "Nested shells": "多个外环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Duplicate Rings": "存在重复的环",
}


def load(text: str | bytes):
    """JSON text to data, or a ValidationError saying where it broke."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(_("不是有效的 JSON：%(error)s") % {"error": exc}) from None


def _position(value, where: str):
    if not (isinstance(value, list) and len(value) >= 2 and all(isinstance(v, int | float) for v in value[:2])):
        raise ValidationError(_("%(where)s：坐标应为 [经度, 纬度] 数字对。") % {"where": where})
    lon, lat = value[0], value[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(
            _("%(where)s：坐标 [%(lon)s, %(lat)s] 超出经纬度范围。") % {"where": where, "lon": lon, "lat": lat}
        )


def _ring(ring, where: str):
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError(_("%(where)s：每个环至少需要4个坐标（首尾相同）。") % {"where": where})
    for n, position in enumerate(ring, 1):
        _position(position, f"{where}第{n}个坐标")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise ValidationError(_("%(where)s：环未闭合（最后一个坐标须与第一个相同）。") % {"where": where})


def _polygon(rings, where: str):
    if not isinstance(rings, list) or not rings:
        raise ValidationError(_("%(where)s：多边形没有坐标。") % {"where": where})
    for n, ring in enumerate(rings, 1):
        _ring(ring, f"{where}第{n}个环")


def geometry(data) -> dict:
    """The polygon of a GeoJSON Polygon, MultiPolygon or a Feature of one, checked; or ValidationError."""
    if isinstance(data, str | bytes):
        data = load(data)
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in POLYGON_TYPES:
        raise ValidationError(_("边界应为 GeoJSON 的 Polygon 或 MultiPolygon。"))
    coordinates = data.get("coordinates")
    if data["type"] == "Polygon":
        _polygon(coordinates, "")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise ValidationError(_("MultiPolygon 没有多边形。"))
        for n, polygon in enumerate(coordinates, 1):
            _polygon(polygon, f"第{n}个多边形")
    polygon = shape(data)
    if not polygon.is_valid:
        reason = explain_validity(polygon)
        text, _sep, place = reason.partition("[")
        words = REASONS.get(text.strip(), text.strip())
        raise ValidationError(
            _("边界无效：%(reason)s（位置 %(place)s）。") % {"reason": words, "place": place.rstrip("]")}
        )
    if polygon.area == 0:
        raise ValidationError(_("边界面积为零。"))
    return {"type": data["type"], "coordinates": coordinates}


def features(collection) -> list[tuple[dict, dict]]:
    """(properties, raw geometry) of each feature of a FeatureCollection; the geometries are checked later."""
    if isinstance(collection, str | bytes):
        collection = load(collection)
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise ValidationError(_("文件应为 GeoJSON FeatureCollection。"))
    items = collection.get("features")
    if not isinstance(items, list) or not items:
        raise ValidationError(_("FeatureCollection 中没有要素。"))
    result = []
    for n, feature in enumerate(items, 1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise ValidationError(_("第%(n)s个要素不是 Feature。") % {"n": n})
        result.append((feature.get("properties") or {}, feature.get("geometry")))
    return result
