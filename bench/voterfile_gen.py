"""Synthetic voter files in the current NC layout (quoted TSV, CRLF) for benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fieldcrm.imports.layouts import NC_CURRENT_COLUMNS

NC_CURRENT_HEADER = NC_CURRENT_COLUMNS

_LAST = [
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "O'DONNELL",
    "MCDONALD",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "WILSON",
]
_FIRST = [
    "MARY",
    "JAMES",
    "PATRICIA",
    "JOHN",
    "LINDA",
    "ROBERT",
    "LA'EEQA",
    "MICHAEL",
    "BARBARA",
    "WILLIAM",
    "JOSE",
    "ANA",
]
_MIDDLE = ["", "ANN", "LEE", "MARIE", "JAMES", "EVELYN", "A"]
_STREETS = [
    "COVINGTON TRL",
    "CAVALIER WAY",
    "MAIN ST",
    "WILLOW WAY",
    "OAK AVE",
    "CHURCH ST",
    "NC HWY 54",
]
_CITIES = ["MEBANE", "BURLINGTON", "GRAHAM", "ELON", "GIBSONVILLE"]
_COUNTIES = [("1", "ALAMANCE"), ("19", "CHATHAM"), ("32", "DURHAM"), ("92", "WAKE")]
_STATUS = [("A", "ACTIVE", "AV", "VERIFIED"), ("I", "INACTIVE", "IN", "CONFIRMATION NOT RETURNED")]
_REMOVED = ("R", "REMOVED", "RD", "DECEASED")
_AREA = ["919", "336", "704", "828", "910", "252", "980", "984"]


def _choice(rng: np.random.Generator, values: list[str], n: int) -> np.ndarray:
    return np.array(values, dtype=object)[rng.integers(0, len(values), n)]


def write_nc_file(
    path: str | Path, rows: int, seed: int = 20240212, changed_fraction: float = 0.0
) -> Path:
    """Write ``rows`` synthetic voters in the NC current layout to ``path`` and return it.

    The same ``seed`` always gives the same file. ``changed_fraction`` alters the phone, party
    and apartment of that share of rows (chosen deterministically from the seed), which is what a
    weekly re-import sees; voter ids and everything else stay the same.
    """
    rng = np.random.default_rng(seed)
    n = rows
    idx = np.arange(n)
    county = rng.integers(0, len(_COUNTIES), n)
    removed = rng.random(n) < 0.1
    status = rng.integers(0, len(_STATUS), n)
    house = rng.integers(1, 9999, n).astype(str).astype(object)
    street = _choice(rng, _STREETS, n)
    has_unit = rng.random(n) < 0.15
    unit = np.char.add("#", rng.integers(1, 400, n).astype(str)).astype(object)
    zips = (27200 + rng.integers(0, 700, n)).astype(str).astype(object)
    phone_blank = rng.random(n) < 0.6
    phones = (
        _choice(rng, _AREA, n)
        + rng.integers(200, 1000, n).astype(str).astype(object)
        + np.char.zfill(rng.integers(0, 10000, n).astype(str), 4).astype(object)
    )
    seven = rng.random(n) < 0.02
    party = _choice(rng, ["DEM", "REP", "UNA", "LIB", "GRE"], n)
    year = rng.integers(1925, 2006, n)
    reg_m = rng.integers(1, 13, n)
    reg_d = rng.integers(1, 29, n)
    reg_y = rng.integers(1960, 2025, n)
    precinct = rng.integers(1, 130, n)
    house_d = rng.integers(1, 121, n)
    senate_d = rng.integers(1, 51, n)
    last = _choice(rng, _LAST, n)
    first = _choice(rng, _FIRST, n)
    middle = _choice(rng, _MIDDLE, n)
    city = _choice(rng, _CITIES, n)
    race = _choice(rng, ["W", "B", "A", "I", "M", "O", "U"], n)
    eth = _choice(rng, ["NL", "HL", "UN"], n)
    sex = _choice(rng, ["F", "M", "U"], n)

    if changed_fraction > 0:
        changed = np.random.default_rng(seed + 1).random(n) < changed_fraction
        phone_blank = np.where(changed, ~phone_blank, phone_blank)
        party = np.where(changed, "UNA", party)
        has_unit = np.where(changed, ~has_unit, has_unit)

    path = Path(path)
    blanks = [""] * 20
    with path.open("w", encoding="ascii", newline="") as out:
        out.write("\t".join(f'"{h}"' for h in NC_CURRENT_HEADER) + "\r\n")
        buffer: list[str] = []
        for i in idx.tolist():
            cid, cdesc = _COUNTIES[county[i]]
            if removed[i]:
                st = _REMOVED
                addr, rcity, rstate, rzip = "REMOVED", "", "", ""
                mail = ["", "", "", ""]
                mcity = mstate = mzip = ""
                prec = prec_desc = ""
            else:
                st = _STATUS[status[i]]
                unit_text = f"   {unit[i]}" if has_unit[i] else ""
                addr = f"{house[i]}  {street[i]}{unit_text}   "
                rcity, rstate, rzip = city[i], "NC", zips[i]
                mail = [f"{house[i]} {street[i]}", "", "", ""]
                mcity, mstate, mzip = city[i], "NC", zips[i]
                prec, prec_desc = str(precinct[i]), f"PRECINCT {precinct[i]}"
            phone = "" if phone_blank[i] else (phones[i][3:] if seven[i] else phones[i])
            fields = [
                cid,
                cdesc,
                f"{i + 9000000:012d}",
                f"AA{i + 1}",
                last[i],
                first[i],
                middle[i],
                " ",
                st[0],
                st[1],
                st[2],
                st[3],
                addr,
                rcity,
                rstate,
                rzip,
                *mail,
                mcity,
                mstate,
                mzip,
                phone,
                "N",
                f"{reg_m[i]:02d}/{reg_d[i]:02d}/{reg_y[i]}",
                race[i],
                eth[i],
                party[i],
                sex[i],
                str(year[i]),
                str(2024 - year[i]),
                "NC",
                "Y",
                prec,
                prec_desc,
                "",
                "",
                "",
                "",
                "09",
                "15B",
                "15",
                f"{senate_d[i]:02d}",
                f"{house_d[i]:03d}",
                *blanks,
                prec,
                prec,
            ]
            buffer.append("\t".join(f'"{f}"' for f in fields))
            if len(buffer) >= 50_000:
                out.write("\r\n".join(buffer) + "\r\n")
                buffer.clear()
        if buffer:
            out.write("\r\n".join(buffer) + "\r\n")
    return path
