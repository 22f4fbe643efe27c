"""Write seed_data/demo_precincts.geojson and demo_zips.geojson: made-up shapes for the demo.

Synthetic shapes only (not the real precincts of Alamance or Durham counties): blocks of a
jittered grid near each demo turf's ZIP code, so neighbouring precincts share their edges
exactly. Deterministic, so the committed file is reproducible:
`.venv/bin/python seed_data/make_demo_boundaries.py`. `fieldcrm seed` loads it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

STEP = 0.01  # degrees between grid lines
JITTER = 0.0025
ORIGIN = (35.95, -79.56)  # south-west corner of the grid (lat, lon)

# kind, code, name, (south row, west column, north row, east column) in grid cells
SHAPES = [
    ("precinct", "P01", "Burlington 1", (9, 10, 15, 14)),
    ("precinct", "P02", "Burlington 2", (15, 10, 20, 16)),
    ("precinct", "P03", "Burlington 3", (7, 3, 12, 10)),
    ("precinct", "P04", "Burlington 4", (12, 3, 18, 10)),
    ("precinct", "P05", "Graham 1", (5, 14, 9, 20)),
    ("precinct", "P06", "Graham 2", (9, 14, 13, 20)),
    ("precinct", "T01", "Durham 1", (2, 63, 7, 69)),
    ("precinct", "T02", "Durham 2", (4, 58, 10, 63)),
    ("precinct", "T03", "Durham 3", (7, 63, 13, 71)),
    ("zip", "27302", "Mebane", (11, 25, 18, 33)),
]


def main() -> None:
    rng = random.Random(2026)
    jitter: dict[tuple[int, int], tuple[float, float]] = {}

    def vertex(row: int, col: int) -> list[float]:
        if (row, col) not in jitter:
            jitter[(row, col)] = (rng.uniform(-JITTER, JITTER), rng.uniform(-JITTER, JITTER))
        dlat, dlon = jitter[(row, col)]
        lat = ORIGIN[0] + row * STEP + dlat
        lon = ORIGIN[1] + col * STEP + dlon
        return [round(lon, 5), round(lat, 5)]

    features: dict[str, list[dict]] = {"precinct": [], "zip": []}
    for kind, code, name, (south, west, north, east) in SHAPES:
        ring = [vertex(south, c) for c in range(west, east)]
        ring += [vertex(r, east) for r in range(south, north)]
        ring += [vertex(north, c) for c in range(east, west, -1)]
        ring += [vertex(r, west) for r in range(north, south, -1)]
        ring.append(ring[0])
        features[kind].append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    for kind, file_name in (("precinct", "demo_precincts.geojson"), ("zip", "demo_zips.geojson")):
        collection = {"type": "FeatureCollection", "features": features[kind]}
        Path(__file__).with_name(file_name).write_text(json.dumps(collection) + "\n")


if __name__ == "__main__":
    main()
