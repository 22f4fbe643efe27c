"""Tests for fieldcrm.door.cutting."""

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldcrm.door.cutting import (
    Door,
    _hilbert_index,
    cut_packets,
    packet_bounds,
    street_key,
    walk_order,
)


def make_street(
    name: str,
    numbers: list[int | None],
    *,
    lat: float | None = None,
    lon: float | None = None,
    precinct: str | None = None,
) -> list[Door]:
    return [
        Door(
            key=f"{name}:{i}",
            street_name=name,
            house_number=number,
            house_number_raw="" if number is None else str(number),
            lat=lat,
            lon=None if lon is None else lon + i * 1e-5,
            precinct=precinct,
        )
        for i, number in enumerate(numbers)
    ]


def sizes(packets: list[list[Door]]) -> list[int]:
    return [len(p) for p in packets]


def assert_street_walk_order(doors: list[Door]) -> None:
    """Each street's doors, as they appear, go up the odd side, down the even side, then the
    unnumbered: the walk never doubles back."""
    by_street: dict[tuple[str, str], list[Door]] = {}
    for door in doors:
        by_street.setdefault(street_key(door), []).append(door)
    for street in by_street.values():
        sides = [2 if d.house_number is None else (0 if d.house_number % 2 else 1) for d in street]
        assert sides == sorted(sides)
        odd = [d.house_number for d, s in zip(street, sides, strict=True) if s == 0]
        even = [d.house_number for d, s in zip(street, sides, strict=True) if s == 1]
        assert odd == sorted(odd)
        assert even == sorted(even, reverse=True)


# --- hand-built cases ------------------------------------------------------------------------


def test_walk_order__up_the_odd_side_down_the_even_side_then_unnumbered():
    street = make_street("Elm St", [4, None, 7, 2, 1, 10, 3])
    assert [d.house_number for d in walk_order(street)] == [1, 3, 7, 10, 4, 2, None]


def test_walk_order__never_doubles_back():
    # Along the street, the canvasser only moves forward on the way up and only back on
    # the way down: one crossing, at the far end, and the street ends where it began.
    numbers = [d.house_number for d in walk_order(make_street("Elm St", list(range(1, 21))))]
    up, down = numbers[:10], numbers[10:]
    assert up == list(range(1, 20, 2))
    assert down == list(range(20, 0, -2))
    assert abs(up[-1] - down[0]) == 1  # cross at the far end
    assert down[-1] - up[0] == 1  # finish across from the first door


def test_walk_order__units_of_a_building_stay_together_on_the_even_side():
    doors = [
        Door(key=f"{n}{u}", street_name="Oak Ave", house_number=n, house_number_raw=str(n), unit=u)
        for n, u in ((2, "1"), (4, "10"), (4, "2"), (2, "2"))
    ]
    assert [(d.house_number, d.unit) for d in walk_order(doors)] == [
        (4, "2"),
        (4, "10"),
        (2, "1"),
        (2, "2"),
    ]


def test_walk_order__units_sort_naturally():
    doors = [
        Door(key=k, street_name="Oak Ave", house_number=5, house_number_raw="5", unit=u)
        for k, u in (("a", "10"), ("b", "2"), ("c", "1B"), ("d", ""))
    ]
    assert [d.unit for d in walk_order(doors)] == ["", "1B", "2", "10"]


def test_walk_order__street_name_case_and_punctuation_ignored():
    doors = make_street("Main St.", [1, 3]) + make_street("MAIN  ST", [2])
    assert len({street_key(d) for d in doors}) == 1
    assert [d.house_number for d in walk_order(doors)] == [1, 3, 2]


def test_walk_order__same_street_name_in_two_precincts_is_two_streets():
    doors = make_street("Main St", [1], precinct="P1") + make_street("Main St", [3], precinct="P2")
    assert len({street_key(d) for d in doors}) == 2


def test_walk_order__nearby_streets_are_adjacent():
    # Three streets in a row west to east and one far away: the far one is not in the middle.
    doors = (
        make_street("A St", [1, 3], lat=40.0, lon=-75.000)
        + make_street("Far St", [1, 3], lat=41.0, lon=-74.000)
        + make_street("B St", [1, 3], lat=40.0, lon=-74.995)
        + make_street("C St", [1, 3], lat=40.0, lon=-74.990)
    )
    names = [d.street_name for d in walk_order(doors)][::2]
    assert names.index("Far St") in (0, 3)


def test_walk_order__streets_without_coordinates_go_last():
    doors = make_street("Nowhere Rd", [1]) + make_street("Here St", [1], lat=40.0, lon=-75.0)
    assert [d.street_name for d in walk_order(doors)] == ["Here St", "Nowhere Rd"]


def test_walk_order__street_without_coordinates_uses_its_precinct_centroid():
    doors = (
        make_street("Unmapped Ln", [1], precinct="East")
        + make_street("West St", [1], lat=40.0, lon=-76.0, precinct="West")
        + make_street("East St", [1], lat=40.0, lon=-74.0, precinct="East")
    )
    order = [d.street_name for d in walk_order(doors)]
    assert abs(order.index("Unmapped Ln") - order.index("East St")) == 1


def test_cut_packets__empty_turf():
    assert cut_packets([]) == []


def test_cut_packets__small_turf_is_one_packet():
    doors = make_street("Elm St", list(range(1, 11)))
    assert sizes(cut_packets(doors)) == [10]


def test_cut_packets__streets_kept_whole_and_packets_near_target():
    doors = []
    for i, count in enumerate([20, 30, 25, 25, 40, 10]):
        doors += make_street(f"S{i}", list(range(1, count + 1)), lat=40.0, lon=-75 + i * 0.01)
    packets = cut_packets(doors, target_size=50)
    assert sum(sizes(packets)) == 150
    assert all(25 <= n <= 75 for n in sizes(packets))
    for packet in packets:
        streets = {street_key(d) for d in packet}
        assert all(
            all(street_key(d) in streets for d in doors if street_key(d) == s) for s in streets
        )


def test_cut_packets__long_street_split_in_walk_order():
    street = make_street("Broadway", list(range(1, 201)))  # 100 odd + 100 even doors
    packets = cut_packets(street, target_size=50)
    assert sizes(packets) == [50, 50, 50, 50]
    assert [d.house_number for p in packets for d in p] == [
        d.house_number for d in walk_order(street)
    ]
    # up the odd side in two packets, then back down the even side in two
    assert [(p[0].house_number, p[-1].house_number) for p in packets] == [
        (1, 99),
        (101, 199),
        (200, 102),
        (100, 2),
    ]


def test_cut_packets__short_street_between_long_ones_may_be_small():
    doors = (
        make_street("A St", list(range(1, 71)), lat=40.0, lon=-75.00)
        + make_street("B St", list(range(1, 11)), lat=40.0, lon=-74.99)
        + make_street("C St", list(range(1, 71)), lat=40.0, lon=-74.98)
    )
    packets = cut_packets(doors, target_size=50)
    assert sorted(sizes(packets)) == [10, 70, 70]


def test_cut_packets__custom_bounds():
    doors = make_street("Elm St", list(range(1, 101)))
    packets = cut_packets(doors, target_size=30, min_size=20, max_size=40)
    assert all(20 <= n <= 40 for n in sizes(packets))


@pytest.mark.parametrize(
    ("target", "low", "high"),
    [(0, None, None), (10, 11, None), (10, None, 9), (10, 0, None), (10, 8, 12), (True, 1, 2)],
)
def test_packet_bounds__rejects_inconsistent_sizes(target, low, high):
    with pytest.raises(ValueError):
        packet_bounds(target, low, high)


@pytest.mark.parametrize(
    ("target", "expected"), [(1, (1, 1, 1)), (2, (2, 1, 3)), (50, (50, 25, 75)), (25, (25, 12, 37))]
)
def test_packet_bounds__defaults(target, expected):
    assert packet_bounds(target) == expected


def test_hilbert_index__visits_every_cell_once():
    order = 3
    indices = {_hilbert_index(x, y, order) for x in range(8) for y in range(8)}
    assert indices == set(range(64))


def test_hilbert_index__consecutive_cells_are_neighbours():
    order = 4
    cell = {_hilbert_index(x, y, order): (x, y) for x in range(16) for y in range(16)}
    for d in range(255):
        (x1, y1), (x2, y2) = cell[d], cell[d + 1]
        assert abs(x1 - x2) + abs(y1 - y2) == 1


def test_cut_packets__5000_doors_well_under_half_a_second():
    rng = random.Random(3)
    doors = []
    for s in range(120):
        numbers = rng.sample(range(1, 400), 42 if s < 80 else 41)
        doors += make_street(f"S{s}", numbers, lat=40 + (s // 12) * 0.004, lon=-75 + s * 0.001)
    doors = doors[:5000]
    started = time.perf_counter()
    packets = cut_packets(doors)
    elapsed = time.perf_counter() - started
    assert sum(sizes(packets)) == 5000
    assert elapsed < 0.25


# --- properties ------------------------------------------------------------------------------


@st.composite
def turfs(draw: st.DrawFn) -> list[Door]:
    doors: list[Door] = []
    for s in range(draw(st.integers(0, 12))):
        count = draw(st.integers(1, 100))
        numbers = draw(
            st.lists(st.one_of(st.none(), st.integers(1, 999)), min_size=count, max_size=count)
        )
        located = draw(st.booleans())
        precinct = draw(st.sampled_from([None, "P1", "P2"]))
        doors += make_street(
            f"Street {s}",
            numbers,
            lat=draw(st.floats(40.0, 40.1)) if located else None,
            lon=draw(st.floats(-75.1, -75.0)) if located else None,
            precinct=precinct,
        )
    return draw(st.permutations(doors))


@st.composite
def bounds(draw: st.DrawFn) -> tuple[int, int | None, int | None]:
    target = draw(st.integers(1, 80))
    if draw(st.booleans()):
        return target, None, None
    low = draw(st.integers(1, target))
    high = draw(st.integers(max(target, 2 * low - 1), max(target, 2 * low - 1) + 60))
    return target, low, high


@settings(max_examples=200, deadline=None)
@given(doors=turfs(), size_args=bounds())
def test_cut_packets__invariants(doors, size_args):
    target, low, high = packet_bounds(*size_args)
    packets = cut_packets(doors, *size_args)

    # every door in exactly one packet
    flat = [d.key for p in packets for d in p]
    assert sorted(flat) == sorted(d.key for d in doors)
    assert all(packets)

    # sizes: never above max; below min only when not mergeable with a neighbour
    for i, packet in enumerate(packets):
        assert len(packet) <= high
        if len(packet) < low:
            if len(packets) == 1:
                continue
            if i > 0:
                assert len(packet) + len(packets[i - 1]) > high
            if i + 1 < len(packets):
                assert len(packet) + len(packets[i + 1]) > high
    if 0 < len(doors) < low:
        assert len(packets) == 1

    # streets that fit stay whole; longer streets span consecutive packets in walk order
    street_sizes: dict[tuple[str, str], int] = {}
    for door in doors:
        street_sizes[street_key(door)] = street_sizes.get(street_key(door), 0) + 1
    where: dict[tuple[str, str], list[int]] = {}
    for i, packet in enumerate(packets):
        for key in dict.fromkeys(street_key(d) for d in packet):
            where.setdefault(key, []).append(i)
    for key, packet_ids in where.items():
        if street_sizes[key] <= high:
            assert len(packet_ids) == 1
        else:
            assert packet_ids == list(range(packet_ids[0], packet_ids[-1] + 1))
            pieces = [sum(1 for d in packets[i] if street_key(d) == key) for i in packet_ids]
            assert all(low <= n <= high for n in pieces)

    # walk order: within the whole cut and within each packet
    assert_street_walk_order([d for p in packets for d in p])
    assert [d.key for p in packets for d in p] == [d.key for d in walk_order(doors)]


@settings(max_examples=50, deadline=None)
@given(doors=turfs())
def test_walk_order__is_a_permutation_in_street_order(doors):
    ordered = walk_order(doors)
    assert sorted(d.key for d in ordered) == sorted(d.key for d in doors)
    assert_street_walk_order(ordered)
    # each street's doors are contiguous
    seen: list[tuple[str, str]] = []
    for door in ordered:
        if not seen or seen[-1] != street_key(door):
            assert street_key(door) not in seen
            seen.append(street_key(door))
