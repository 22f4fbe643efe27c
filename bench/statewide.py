"""Benchmark (opt-in, `make bench-statewide`): a statewide voter file through the command.

Generates its own North Carolina file of BENCH_STATEWIDE_ROWS rows (default 8,300,000, the
size of NC's; quoted TSV, CRLF, the current layout) and a weekly refresh of it: the same
people with 1% of rows changed (phone, party, apartment) and 0.5% new voters at the end.
Then, into an empty PostgreSQL database (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/postgres: a database of its own is created and dropped),
it times `fieldcrm imports voter-file` as a person runs it, from start to exit, with the
peak memory of its process tree:

* `statewide_first_load`: the file into the empty database (goal 180 s, 1.5 GB);
* `statewide_refresh`: the refresh (goal 60 s), checking that exactly the changed and new
  rows are written;
* then a program on those voters and its reports (bench/statewide_reports.py): the coverage
  report cold and after a write, the search by name and a turf cut.

Beside them, in the same run, `psql \\copy` of the file into an unindexed table of text
columns: the floor a load cannot beat on this machine. The files take about 3.3 GB each in
a temporary folder (BENCH_STATEWIDE_DIR to choose where). BENCH_STATEWIDE_REPORTS=0 stops
after the refresh (the program's turf reassign takes about a quarter of an hour);
BENCH_STATEWIDE_KEEP=1 keeps the loaded database, to look into its queries afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]

import statewide_reports  # noqa: E402
from bench_import_command import FIELDCRM, _env, _import, copy_floor  # noqa: E402

ROWS = int(os.environ.get("BENCH_STATEWIDE_ROWS", "8300000"))
URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEEP = os.environ.get("BENCH_STATEWIDE_KEEP") == "1"
GOALS = {"first": 180.0, "refresh": 60.0, "peak_mb": 1536.0}
CHANGED, NEW = 0.01, 0.005


def _generate(folder: Path) -> tuple[Path, Path, int, int]:
    """(first file, refresh file, rows changed, rows new): the refresh holds every voter of
    the first file, CHANGED of them altered, then NEW more."""
    total = ROWS + int(ROWS * NEW)
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]; from voterfile_gen import write_nc_file; "
        "write_nc_file(sys.argv[3], int(sys.argv[4]), changed_fraction=float(sys.argv[5]))"
    )
    every, refresh = folder / "every.txt", folder / "refresh.txt"
    for path, fraction in ((every, 0.0), (refresh, CHANGED)):
        args = [str(_HERE), str(_HERE.parent), str(path), str(total), str(fraction)]
        subprocess.run([sys.executable, "-c", code, *args], check=True)
    first = folder / "ncvoter_statewide.txt"
    changed = 0
    with every.open("rb") as a, refresh.open("rb") as b, first.open("wb") as out:
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if i <= ROWS:  # the header and the first file's rows
                out.write(x)
                changed += x != y
    every.unlink()
    return first, refresh, changed, total - ROWS


def _line(name: str, value: float, unit: str, goal: float) -> None:
    print(f"bench {name}: {value:.1f} {unit} (goal <= {goal:g} {unit})", flush=True)


def main() -> None:
    url = URL.replace("postgresql+psycopg://", "postgresql://", 1)
    names = [f"fieldcrm_statewide_{os.getpid()}", f"fieldcrm_statewide_floor_{os.getpid()}"]
    folder = os.environ.get("BENCH_STATEWIDE_DIR")
    with (
        tempfile.TemporaryDirectory(dir=folder) as tmp,
        psycopg.connect(url, autocommit=True) as admin,
    ):
        first, refresh, changed, new = _generate(Path(tmp))
        os.sync()  # the 6.5 GB just written must not be flushed while the loads are timed
        print(f"  ({ROWS:,} rows, {first.stat().st_size / 1e9:.2f} GB; refresh: "
              f"{changed:,} changed, {new:,} new)", flush=True)  # fmt: skip
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            app_url, floor_url = (url.rsplit("/", 1)[0] + "/" + name for name in names)
            floor = copy_floor(floor_url, first).seconds
            print(f"  (floor: psql \\copy into an unindexed table, {floor:.1f} s)", flush=True)
            env = _env(app_url, Path(tmp) / "uploads")
            subprocess.run(
                [str(FIELDCRM), "db", "upgrade"], env=env, check=True, capture_output=True
            )
            run, counts = _import(first, env)
            assert counts["inserted"] == ROWS - counts["rejected"] - counts["duplicates"], counts
            _line("statewide_first_load", run.seconds, "s", GOALS["first"])
            _line("statewide_first_load_peak_rss", run.peak_mb, "MB", GOALS["peak_mb"])
            print(f"  (first load: {run.cpu:.0f} CPU-s; {run.seconds / floor:.1f}x the copy)")
            run, counts = _import(refresh, env)
            assert (counts["updated"], counts["inserted"]) == (changed, new), (counts, changed)
            _line("statewide_refresh", run.seconds, "s", GOALS["refresh"])
            _line("statewide_refresh_peak_rss", run.peak_mb, "MB", GOALS["peak_mb"])
            print(f"  (refresh: {run.cpu:.0f} CPU-s; wrote exactly the changed and new rows)")
            if os.environ.get("BENCH_STATEWIDE_REPORTS", "1") == "0":
                return
            statewide_reports.build_program(app_url)
            placing, vacuum = statewide_reports.place_everyone(str(FIELDCRM), env)
            print(
                f"  (fieldcrm turf reassign of every contact: {placing:.1f} s; then "
                f"VACUUM (ANALYZE) as autovacuum would, {vacuum:.1f} s)",
                flush=True,
            )
            figures, notes = statewide_reports.measure(app_url)
            for name, value in figures.items():
                _line(f"statewide_{name}", value, "ms", statewide_reports.GOALS_MS[name])
            for note in notes:
                print(f"  ({note})")
        finally:
            if KEEP:  # to look into the reports' queries after the run
                print(f"  (kept the database: {app_url})")
            for name in names[1:] if KEEP else names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
