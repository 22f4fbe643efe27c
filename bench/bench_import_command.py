"""Benchmark: `fieldcrm imports voter-file` as a person runs it, against a floor.

It generates a 1M-row NC voter file (quoted TSV, CRLF) and a copy with 10% of the rows
changed, then times the `fieldcrm` command in a subprocess from start to exit (wall and
CPU seconds, peak resident memory of the largest process of its tree, from ``wait4``):

* first load into an empty SQLite database (the schema made beforehand, not timed);
* the same file again (nothing changed: nothing may be written);
* the 10%-changed file (exactly those rows may be written);
* when a PostgreSQL URL is given (``BENCH_DATABASE_URL``), the first load into an empty
  PostgreSQL database, against ``psql \\copy`` of the same file into an unindexed table of
  text columns, measured in the same run.

The SQLite floor is ``floor_import.py`` (pyarrow reads every column as text, sqlite3
``executemany`` of 35 columns into a WAL database, a unique index built after), found at
``../shared/tools/floor_import.py`` from the repository root (``BENCH_FLOOR_SCRIPT``
overrides it) and run on the same file in the same run; the goals are ratios to it. The
command runs with ``FIELDCRM_JOB_NICE=0`` so that it competes for the CPU as the floor does.

Run from the repository root: ``python bench/bench_import_command.py [rows]``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
#: relative to the repository root, as the team's checkouts sit beside the shared folder
FLOOR_SCRIPT = Path(
    os.environ.get("BENCH_FLOOR_SCRIPT", ROOT / ".." / "shared" / "tools" / "floor_import.py")
)
FIELDCRM = Path(sys.executable).with_name("fieldcrm")
GOALS = {"first": 1.7, "same": 0.8, "changed": 1.2, "postgres": 3.0}
PEAK_GOAL_MB = 800
SUMMARY = re.compile(
    r"Import (\d+) completed: read (\d+), inserted (\d+), updated (\d+), unchanged (\d+), "
    r"rejected (\d+), duplicates (\d+)"
)


@dataclass
class Timed:
    """One subprocess, from start to exit."""

    seconds: float
    cpu: float
    peak_mb: float
    output: str


def timed(args: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run ``args`` to its end; wall time, CPU seconds and peak RSS of its process tree
    (``wait4``: the largest of the process and the children it waited for)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", "replace")
    if process.returncode:
        raise RuntimeError(f"{args[:3]} exited {process.returncode}:\n{output[-3000:]}")
    return Timed(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def _generate(path: Path, rows: int, changed: float) -> None:
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]; from voterfile_gen import write_nc_file; "
        "write_nc_file(sys.argv[3], int(sys.argv[4]), changed_fraction=float(sys.argv[5]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(_HERE), str(ROOT), str(path), str(rows), str(changed)],
        check=True,
    )


def _changed_lines(a: Path, b: Path) -> int:
    with a.open("rb") as fa, b.open("rb") as fb:
        return sum(x != y for x, y in zip(fa, fb, strict=True))


def _env(database_url: str, uploads: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        FIELDCRM_UPLOAD_DIR=str(uploads),
        FIELDCRM_JOB_NICE="0",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
    )
    env.pop("FIELDCRM_CONFIG", None)
    return env


def _import(path: Path, env: dict[str, str]) -> tuple[Timed, dict[str, int]]:
    run = timed([str(FIELDCRM), "imports", "voter-file", str(path), "--source", "nc"], env)
    found = SUMMARY.search(run.output)
    if found is None:
        raise RuntimeError(f"no summary in the output:\n{run.output[-3000:]}")
    keys = ("batch", "read", "inserted", "updated", "unchanged", "rejected", "duplicates")
    return run, dict(zip(keys, map(int, found.groups()), strict=True))


def _written_sqlite(db_path: Path, batch: int) -> int:
    with sqlite3.connect(db_path) as con:
        return con.execute(
            "SELECT count(*) FROM contacts WHERE last_import_batch_id = ?", (batch,)
        ).fetchone()[0]


def _line(name: str, value: float, unit: str, goal: float) -> None:
    print(f"bench {name}: {value:.2f} {unit} (goal <= {goal:.2f} {unit})")


def _report(label: str, name: str, run: Timed, floor: Timed | None, goal: float) -> None:
    prefix = f"import_cmd_{label}_{name}"
    if floor is None:
        print(f"  ({prefix}: {run.seconds:.2f} s wall, {run.cpu:.1f} s CPU; no floor to compare)")
        return
    _line(prefix, run.seconds, "s", goal * floor.seconds)
    _line(f"{prefix}_ratio_to_floor", run.seconds / floor.seconds, "x", goal)
    print(
        f"  ({prefix}: CPU {run.cpu:.1f} s for both processes, floor CPU {floor.cpu:.1f} s; "
        f"peak RSS {run.peak_mb:.0f} MB, floor {floor.peak_mb:.0f} MB)"
    )


def _sqlite(rows: int, label: str, tmp: Path, base: Path, changed: Path) -> None:
    expected_changes = _changed_lines(base, changed)
    floor = None
    if FLOOR_SCRIPT.is_file():
        floor = timed([sys.executable, str(FLOOR_SCRIPT), str(base), str(tmp / "floor.sqlite")])
        print(f"  (floor, SQLite: {floor.output.strip()}; {floor.seconds:.2f} s with start-up)")
    else:
        print(f"bench import_cmd_{label}: floor skipped: {FLOOR_SCRIPT} not found")
    db_path = tmp / "bench.sqlite"
    env = _env(f"sqlite:///{db_path}", tmp / "uploads")
    subprocess.run([str(FIELDCRM), "db", "upgrade"], env=env, check=True, capture_output=True)
    first, counts = _import(base, env)
    assert counts["inserted"] == rows - counts["rejected"] - counts["duplicates"], counts
    _report(label, "sqlite_first", first, floor, GOALS["first"])
    _line(f"import_cmd_{label}_sqlite_first_peak_rss", first.peak_mb, "MB", PEAK_GOAL_MB)
    same, counts = _import(base, env)
    assert counts["updated"] == counts["inserted"] == 0, counts
    assert _written_sqlite(db_path, counts["batch"]) == 0
    _report(label, "sqlite_reimport_same", same, floor, GOALS["same"])
    delta, counts = _import(changed, env)
    written = _written_sqlite(db_path, counts["batch"])
    assert counts["updated"] == expected_changes == written, (counts, expected_changes, written)
    _report(label, "sqlite_reimport_10pct_changed", delta, floor, GOALS["changed"])
    print(f"  (10% changed: {written} rows written, exactly the {expected_changes} changed)")


def copy_floor(url: str, path: Path) -> Timed:
    """``psql \\copy`` of the voter file at ``path`` into an unindexed table of text columns
    in the (empty) database at ``url``: the PostgreSQL floor."""
    import psycopg

    header = path.open(encoding="latin-1").readline().rstrip("\r\n").split("\t")
    columns = ", ".join(f'"{h.strip(chr(34))}" text' for h in header)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"CREATE TABLE voters ({columns})")
    copy = (
        f"\\copy voters FROM '{path}' WITH (FORMAT csv, DELIMITER E'\\t', HEADER true, "
        "ENCODING 'LATIN1')"
    )
    return timed(["psql", "-X", "-q", url, "-c", copy])


def _postgres(rows: int, label: str, tmp: Path, base: Path) -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        print(f"bench import_cmd_{label}_postgres: skipped (set BENCH_DATABASE_URL)")
        return
    import psycopg

    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    names = [f"fieldcrm_cmd_bench_{os.getpid()}", f"fieldcrm_copy_floor_{os.getpid()}"]
    for name in names:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        app_url, floor_url = (url.rsplit("/", 1)[0] + "/" + name for name in names)
        floor = copy_floor(floor_url, base)
        print(f"  (floor, PostgreSQL: psql \\copy into an unindexed table, {floor.seconds:.2f} s)")
        env = _env(app_url, tmp / "uploads_pg")
        subprocess.run([str(FIELDCRM), "db", "upgrade"], env=env, check=True, capture_output=True)
        first, counts = _import(base, env)
        assert counts["inserted"] == rows - counts["rejected"] - counts["duplicates"], counts
        _report(label, "postgres_first", first, floor, GOALS["postgres"])
        _line(f"import_cmd_{label}_postgres_first_peak_rss", first.peak_mb, "MB", PEAK_GOAL_MB)
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main(rows: int) -> None:
    label = f"{rows // 1000}k" if rows < 1_000_000 else f"{rows / 1_000_000:g}m"
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        base, changed = tmp / "ncvoter_bench.txt", tmp / "ncvoter_changed.txt"
        _generate(base, rows, 0.0)
        _generate(changed, rows, 0.1)
        _sqlite(rows, label, tmp, base, changed)
        _postgres(rows, label, tmp, base)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
