"""Write seed_data/demo_voters_nc.txt: a synthetic voter file in the NC current layout.

Synthetic people only (random names on real street-name patterns); deterministic, so the
committed file is reproducible: `.venv/bin/python seed_data/make_demo_voterfile.py`.
"""

from __future__ import annotations

import random
from pathlib import Path

from fieldcrm.imports.layouts import NC_CURRENT_COLUMNS

HEADER = NC_CURRENT_COLUMNS

FIRST = [
    "MARIA",
    "JOSE",
    "JAMES",
    "MARY",
    "ROBERT",
    "PATRICIA",
    "JOHN",
    "JENNIFER",
    "MICHAEL",
    "LINDA",
    "DAVID",
    "ELIZABETH",
    "WILLIAM",
    "BARBARA",
    "RICHARD",
    "SUSAN",
    "JOSEPH",
    "JESSICA",
    "THOMAS",
    "SARAH",
    "CARLOS",
    "KAREN",
    "DANIEL",
    "LISA",
    "LUIS",
    "NANCY",
    "ANA",
    "BETTY",
    "MARK",
    "SANDRA",
    "DONALD",
    "ASHLEY",
    "KEISHA",
    "ANTHONY",
    "DEANDRE",
    "TANISHA",
    "NGUYEN",
    "ROSA",
    "JUAN",
    "GABRIELA",
    "AHMED",
    "FATIMA",
    "PRIYA",
    "KEVIN",
    "BRIAN",
    "EMILY",
    "AMANDA",
    "MELISSA",
    "JAMAL",
    "LATOYA",
    "SOPHIA",
    "ISABELLA",
    "HECTOR",
    "YOLANDA",
]
LAST = [
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "JONES",
    "GARCIA",
    "MILLER",
    "DAVIS",
    "RODRIGUEZ",
    "MARTINEZ",
    "HERNANDEZ",
    "LOPEZ",
    "GONZALEZ",
    "WILSON",
    "ANDERSON",
    "THOMAS",
    "TAYLOR",
    "MOORE",
    "JACKSON",
    "MARTIN",
    "LEE",
    "PEREZ",
    "THOMPSON",
    "WHITE",
    "HARRIS",
    "SANCHEZ",
    "CLARK",
    "RAMIREZ",
    "LEWIS",
    "ROBINSON",
    "WALKER",
    "YOUNG",
    "ALLEN",
    "KING",
    "WRIGHT",
    "SCOTT",
    "TORRES",
    "NGUYEN",
    "HILL",
    "FLORES",
    "GREEN",
    "ADAMS",
    "NELSON",
    "BAKER",
    "HALL",
    "RIVERA",
    "CAMPBELL",
    "MITCHELL",
    "CARTER",
    "O'DONNELL",
    "MCNEILL",
]
STREETS = [
    "MAPLE AVE",
    "OAK ST",
    "CHURCH ST",
    "MAIN ST",
    "WILLOW WAY",
    "COVINGTON TRL",
    "CAVALIER WAY",
    "MEBANE ST",
    "ELM ST",
    "HILLCREST DR",
    "PARK AVE",
    "SPRING ST",
    "WEBB AVE",
    "TUCKER ST",
    "ANTHONY ST",
    "TRAIL ONE",
    "RAUHUT ST",
    "HARDEN ST",
    "MORNINGSIDE DR",
    "FIFTH ST",
]
PLACES = [  # (precinct, precinct name, city, zip, municipality)
    ("P01", "BURLINGTON 1", "BURLINGTON", "27215"),
    ("P02", "BURLINGTON 2", "BURLINGTON", "27217"),
    ("P03", "BURLINGTON 3", "BURLINGTON", "27215"),
    ("P04", "BURLINGTON 4", "BURLINGTON", "27215"),
    ("P05", "GRAHAM 1", "GRAHAM", "27253"),
    ("P06", "GRAHAM 2", "GRAHAM", "27253"),
    ("T01", "DURHAM 1", "DURHAM", "27701"),
    ("T02", "DURHAM 2", "DURHAM", "27705"),
    ("T03", "DURHAM 3", "DURHAM", "27704"),
    ("M01", "MEBANE 1", "MEBANE", "27302"),
]


def main(path: Path, households: int = 1400, seed: int = 20261125) -> int:
    rng = random.Random(seed)
    rows = []
    reg_num = 9000000
    for h in range(households):
        precinct, pname, city, zip5 = PLACES[h % len(PLACES)]
        street = STREETS[rng.randrange(len(STREETS))] if h % 7 else STREETS[h % 5]
        number = rng.randrange(100, 3999)
        unit = f"#{rng.randrange(1, 40)}" if rng.random() < 0.15 else ""
        address = f"{number}  {street}" + (f"   {unit}" if unit else "   ")
        last = rng.choice(LAST)
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
            reg_num += 1
            phone = ""
            r = rng.random()
            if r < 0.45:
                phone = f"336{rng.randrange(2000000, 9999999)}"
            elif r < 0.5:
                phone = f"{rng.randrange(2000000, 9999999)}"  # 7 digits: kept, not dialable
            status = "A" if rng.random() < 0.9 else "I"
            year = rng.randrange(1940, 2006)
            values = dict.fromkeys(HEADER, "")
            values.update(
                {
                    "county_id": "1",
                    "county_desc": "ALAMANCE",
                    "voter_reg_num": f"{reg_num:012d}",
                    "ncid": f"DM{reg_num}",
                    "last_name": last,
                    "first_name": rng.choice(FIRST),
                    "middle_name": rng.choice(("", "A", "LEE", "MARIE", "J")),
                    "status_cd": status,
                    "voter_status_desc": "ACTIVE" if status == "A" else "INACTIVE",
                    "res_street_address": address,
                    "res_city_desc": city,
                    "state_cd": "NC",
                    "zip_code": zip5,
                    "mail_addr1": f"{number} {street}" + (f" {unit}" if unit else ""),
                    "mail_city": city,
                    "mail_state": "NC",
                    "mail_zipcode": zip5,
                    "full_phone_number": phone,
                    "confidential_ind": "N",
                    "registr_dt": f"{rng.randrange(1, 13):02d}/{rng.randrange(1, 28):02d}/{rng.randrange(1980, 2025)}",
                    "race_code": rng.choice("WBAIMOU"),
                    "ethnic_code": rng.choice(("NL", "HL", "UN")),
                    "party_cd": rng.choice(("DEM", "REP", "UNA", "UNA", "LIB")),
                    "gender_code": rng.choice("FMU"),
                    "birth_year": str(year),
                    "age_at_year_end": str(2026 - year),
                    "birth_state": "NC",
                    "precinct_abbrv": precinct,
                    "precinct_desc": pname,
                    "cong_dist_abbrv": "4" if precinct.startswith("T") else "6",
                    "nc_senate_abbrv": "025",
                    "nc_house_abbrv": "064",
                }
            )
            rows.append(values)
    with path.open("w", encoding="ascii", newline="") as out:
        out.write("\t".join(f'"{h}"' for h in HEADER) + "\r\n")
        for values in rows:
            out.write("\t".join(f'"{values[h]}"' for h in HEADER) + "\r\n")
    return len(rows)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "demo_voters_nc.txt"
    print(f"wrote {main(target)} rows to {target.name}")
