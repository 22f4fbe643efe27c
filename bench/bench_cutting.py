"""Benchmark: cut 5,000 geocoded doors on ~120 streets into walk packets."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

# Run as a plain script (`python bench/bench_cutting.py`) from anywhere: make the repository
# root importable the way pytest's pythonpath setting does.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fieldcrm.door.cutting import Door, cut_packets  # noqa: E402

DOORS = 5_000
STREETS = 120
GOAL_MS = 500.0


def make_doors(seed: int = 7) -> list[Door]:
    """Build a synthetic turf: a 12 x 10 grid of streets, ~42 doors each, geocoded."""
    rng = random.Random(seed)
    doors: list[Door] = []
    base_lat, base_lon = 41.88, -87.63
    per_street = [DOORS // STREETS] * STREETS
    for i in range(DOORS - sum(per_street)):
        per_street[i] += 1
    for s, count in enumerate(per_street):
        row, col = divmod(s, 12)
        street_lat = base_lat + row * 0.004
        street_lon = base_lon + col * 0.005
        numbers = rng.sample(range(100, 100 + 8 * count), count)
        for number in numbers:
            # a few doors have no parsed number or no coordinates, as in real voter files
            missing_number = rng.random() < 0.01
            missing_point = rng.random() < 0.02
            doors.append(
                Door(
                    key=f"{s}-{number}",
                    street_name=f"Street {s} St",
                    house_number=None if missing_number else number,
                    house_number_raw=str(number),
                    unit="",
                    lat=None if missing_point else street_lat + rng.uniform(-0.0005, 0.0005),
                    lon=None if missing_point else street_lon + number * 0.00001,
                    people=rng.randint(1, 4),
                    precinct=f"P{row // 3}",
                )
            )
    rng.shuffle(doors)
    return doors


def main() -> None:
    doors = make_doors()
    cut_packets(doors[:200])  # warm up imports and caches outside the timing
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        packets = cut_packets(doors, target_size=50)
        timings.append((time.perf_counter() - started) * 1000)
        assert sum(len(p) for p in packets) == DOORS
    print(f"bench cut_5000_doors_pure: {min(timings):.1f} ms (goal <= {GOAL_MS:.0f} ms)")


if __name__ == "__main__":
    main()
