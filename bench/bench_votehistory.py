"""Benchmark: import a generated NC ncvhis vote-history file (default 1M rows).

Scenarios: the first import into an empty SQLite database, the re-import of the same file
(every vote already on file), and, when BENCH_DATABASE_URL names a reachable PostgreSQL
database, the first import there (into a scratch schema that is dropped afterwards).

Run from the repository root: ``python bench/bench_votehistory.py [rows]``.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent))

HEADER = (
    "county_id\tcounty_desc\tvoter_reg_num\telection_lbl\telection_desc\tvoting_method\t"
    "voted_party_cd\tvoted_party_desc\tpct_label\tpct_description\tncid\tvoted_county_id\t"
    "voted_county_desc\tvtd_label\tvtd_description\n"
)
ELECTIONS = [
    ("11/08/2016", "GENERAL"), ("03/15/2016", "PRIMARY"), ("11/06/2018", "GENERAL"),
    ("11/05/2019", "MUNICIPAL GENERAL"), ("03/03/2020", "PRIMARY"), ("11/03/2020", "GENERAL"),
    ("05/17/2022", "PRIMARY"), ("11/08/2022", "GENERAL"), ("03/05/2024", "PRIMARY"),
    ("11/05/2024", "GENERAL"),
]  # fmt: skip
METHODS = ["IN-PERSON", "ABSENTEE ONESTOP", "ABSENTEE BY MAIL", "PROVISIONAL"]
PARTIES = [("DEM", "DEMOCRATIC"), ("REP", "REPUBLICAN"), ("UNA", "UNAFFILIATED")]


def write_history(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="ascii", newline="") as out:
        out.write(HEADER)
        voter = 0
        written = 0
        while written < rows:
            voter += 1
            for day, desc in rng.sample(ELECTIONS, rng.randint(1, 6)):
                party, party_desc = rng.choice(PARTIES)
                out.write(
                    f"1\tALAMANCE\t{voter}\t{day}\t{day} {desc}\t{rng.choice(METHODS)}\t"
                    f"{party}\t{party_desc}\t03\t03\tBV{voter:07d}\t1\tALAMANCE\t03\t03\n"
                )
                written += 1
                if written == rows:
                    break


def run(url: str, path: Path, upload_dir: str) -> list[tuple[str, float, dict]]:
    from fieldcrm import create_app
    from fieldcrm.extensions import db
    from fieldcrm.imports import jobs, services, votehistory

    app = create_app(
        "config.TestConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": upload_dir, "TESTING": False},
    )
    results = []
    with app.app_context():
        db.create_all()
        for label in ("first", "again"):
            started = time.perf_counter()
            batch = services.create_batch(None, path, path.name, "NC")
            db.session.commit()
            batch = jobs.import_batch(batch.id)
            seconds = time.perf_counter() - started
            results.append((label, seconds, votehistory.summary(batch.detection["votes"])))
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ncvhis_Statewide.txt"
        write_history(path, rows)
        print(f"{rows} rows, {path.stat().st_size / 1e6:.0f} MB")
        sqlite_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        for label, seconds, counts in run(sqlite_url, path, tmp):
            print(f"sqlite {label}: {seconds:.1f} s ({rows / seconds:,.0f} rows/s) {counts}")
        pg = os.environ.get("BENCH_DATABASE_URL")
        if not pg:
            return
        import sqlalchemy as sa

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(pg)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in pg else "?"
            url = f"{pg}{sep}options=-csearch_path%3D{schema}"
            for label, seconds, counts in run(url, path, tmp):
                print(f"postgres {label}: {seconds:.1f} s ({rows / seconds:,.0f} rows/s) {counts}")
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            engine.dispose()


if __name__ == "__main__":
    main()
