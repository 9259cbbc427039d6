"""Boundaries from a GeoJSON FeatureCollection: `import_boundaries FILE --crs wgs84|gcj02 [--subdistrict CODE]`.

Each feature names a grid (properties.grid_code, with community_code where grid codes repeat) or a
community (community_code alone). The whole file is checked first; any bad feature refuses it all,
every problem is listed, and nothing is written.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from grids import services
from grids.enums import Crs
from grids.models import Subdistrict


class Command(BaseCommand):
    help = "Import grid and community boundaries from one GeoJSON FeatureCollection (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--crs", required=True, choices=Crs.values, help="the file's coordinate system")
        parser.add_argument("--subdistrict", default="", help="a subdistrict's code: match codes within it only")

    def handle(self, *args, file, crs, subdistrict, **options):
        subdistrict_id = None
        if subdistrict:
            subdistrict_id = Subdistrict.objects.filter(code=subdistrict).values_list("pk", flat=True).first()
            if subdistrict_id is None:
                raise CommandError(f"no subdistrict {subdistrict!r}")
        try:
            text = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            written = services.boundaries_import(collection=text, crs=crs, subdistrict_id=subdistrict_id)
        except ValidationError as exc:
            raise CommandError("nothing imported:\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(f"imported {written['grids']} grid and {written['communities']} community boundaries")
