"""Schematic boundaries for the demo's territory: NOT surveyed, only a plausible street grid.

Baihuazhou's seven communities are laid out as blocks of a 4 × 2 street grid around the subdistrict's
approximate centre (WGS-84), the eighth block left empty (a park); each community's block is cut
into its three grids as strips, north to south. Good enough to see a map coloured by grid; useless for navigation.
"""

ORIGIN = (115.8930, 28.6760)  # south-west corner (longitude, latitude), approximate
BLOCK = (0.0070, 0.0055)  # one community's block, in degrees
STREET = 0.0006  # the gap between blocks
COLUMNS = 4


def _rectangle(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def schematic(community_codes: list[str], grids_per_community: int) -> dict:
    """A FeatureCollection: one feature per community (community_code) and per grid (grid_code)."""
    features = []
    for index, code in enumerate(community_codes):
        column, row = index % COLUMNS, index // COLUMNS
        west = ORIGIN[0] + column * (BLOCK[0] + STREET)
        south = ORIGIN[1] + (1 - row) * (BLOCK[1] + STREET)
        east, north = west + BLOCK[0], south + BLOCK[1]
        features.append(
            {
                "type": "Feature",
                "properties": {"community_code": code},
                "geometry": _rectangle(west, south, east, north),
            }
        )
        strip = BLOCK[1] / grids_per_community
        for n in range(grids_per_community):
            top = north - n * strip
            features.append(
                {
                    "type": "Feature",
                    "properties": {"grid_code": f"{code}-{n + 1:02d}", "community_code": code},
                    "geometry": _rectangle(west, top - strip, east, top),
                }
            )
    return {"type": "FeatureCollection", "features": features}
