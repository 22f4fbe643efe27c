"""Write seed_data/demo_voters_nc.txt: a synthetic voter file in the NC current layout.

Synthetic people only (random names on real street-name patterns); deterministic, so the
committed file is reproducible: `python seed_data/make_demo_voterfile.py`.
"""

from __future__ import annotations

import random
from pathlib import Path

HEADER = [
    "county_id",
    "county_desc",
    "voter_reg_num",
    "ncid",
    "last_name",
    "first_name",
    "middle_name",
    "name_suffix_lbl",
    "status_cd",
    "voter_status_desc",
    "reason_cd",
    "voter_status_reason_desc",
    "res_street_address",
    "res_city_desc",
    "state_cd",
    "zip_code",
    "mail_addr1",
    "mail_addr2",
    "mail_addr3",
    "mail_addr4",
    "mail_city",
    "mail_state",
    "mail_zipcode",
    "full_phone_number",
    "confidential_ind",
    "registr_dt",
    "race_code",
    "ethnic_code",
    "party_cd",
    "gender_code",
    "birth_year",
    "age_at_year_end",
    "birth_state",
    "drivers_lic",
    "precinct_abbrv",
    "precinct_desc",
    "municipality_abbrv",
    "municipality_desc",
    "ward_abbrv",
    "ward_desc",
    "cong_dist_abbrv",
    "super_court_abbrv",
    "judic_dist_abbrv",
    "nc_senate_abbrv",
    "nc_house_abbrv",
    "county_commiss_abbrv",
    "county_commiss_desc",
    "township_abbrv",
    "township_desc",
    "school_dist_abbrv",
    "school_dist_desc",
    "fire_dist_abbrv",
    "fire_dist_desc",
    "water_dist_abbrv",
    "water_dist_desc",
    "sewer_dist_abbrv",
    "sewer_dist_desc",
    "sanit_dist_abbrv",
    "sanit_dist_desc",
    "rescue_dist_abbrv",
    "rescue_dist_desc",
    "munic_dist_abbrv",
    "munic_dist_desc",
    "dist_1_abbrv",
    "dist_1_desc",
    "vtd_abbrv",
    "vtd_desc",
]

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
