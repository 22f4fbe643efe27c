"""Benchmark: import a generated 1M-row NC voter file (quoted TSV, CRLF, ~60% blank phones).

Scenarios, each in its own process so peak memory is measured per scenario:
first import into an empty SQLite database, re-import of the same file, re-import with 10% of
rows changed (checking that exactly those rows are written), the preview (impact) of the whole
file, and the first import into PostgreSQL when BENCH_DATABASE_URL (default: the ``test``
database of the local server) is reachable; a scratch database is created and dropped for it.

Run from the repository root: ``python bench/bench_import.py [rows]``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parent))
sys.path.insert(0, str(_HERE))

GOALS = {"first": 25, "same": 25, "changed": 25, "postgres": 30, "preview": 10}
PEAK_GOAL_MB = 1000
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _app(url: str, upload_dir: str):
    from fieldcrm import create_app

    return create_app(
        "config.TestConfig",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": upload_dir, "TESTING": False},
    )


def _peak_mb() -> float:
    """This process's peak resident memory in MB.

    VmHWM where Linux has it: ``ru_maxrss`` of a process started by fork+exec also counts the
    parent's memory from before the exec (this script's parent has just read the whole file
    with pyarrow for the plain-read figure), which once reported ~1 GB for a ~0.5 GB import.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def scenario(kind: str, url: str, path: str, upload_dir: str) -> None:
    """Child process: run one scenario and print a JSON line with its figures."""
    import sqlalchemy as sa

    from fieldcrm.contacts.models import Contact
    from fieldcrm.extensions import db
    from fieldcrm.imports import jobs, services

    app = _app(url, upload_dir)
    with app.app_context():
        if kind in ("first", "postgres"):
            db.drop_all()
            db.create_all()
        start = time.perf_counter()
        cpu_start = _cpu()
        batch = services.create_batch(None, path, Path(path).name, "NC")
        db.session.commit()
        if kind == "preview":
            preview = services.preview_batch(None, batch)
            seconds = time.perf_counter() - start
            db.session.rollback()
            result = {"impact": preview["impact"]}
        else:
            done = jobs.import_batch(batch.id)
            seconds = time.perf_counter() - start
            written = db.session.scalar(
                sa.select(sa.func.count(Contact.id)).where(Contact.last_import_batch_id == done.id)
            )
            result = {
                "status": done.status,
                "read": done.rows_read,
                "inserted": done.inserted,
                "updated": done.updated,
                "unchanged": done.unchanged,
                "rejected": done.rejected,
                "duplicates": done.duplicates,
                "written": written,
            }
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    result["seconds"] = seconds
    result["cpu"] = _cpu() - cpu_start
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def _run(kind: str, url: str, path: Path, upload_dir: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--scenario", kind, url, str(path), upload_dir],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _generate(path: Path, rows: int, changed: float) -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from voterfile_gen import write_nc_file; "
        "write_nc_file(sys.argv[2], int(sys.argv[3]), changed_fraction=float(sys.argv[4]))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(_HERE), str(path), str(rows), str(changed)], check=True
    )


def _plain_read(path: Path) -> float:
    import pyarrow.csv as pacsv

    start = time.perf_counter()
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter="\t"),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False),
    )
    assert table.num_rows > 0
    return time.perf_counter() - start


def _changed_lines(a: Path, b: Path) -> int:
    with a.open("rb") as fa, b.open("rb") as fb:
        return sum(x != y for x, y in zip(fa, fb, strict=True))


def _postgres_scratch(base_url: str):
    """(url of a scratch database, drop function) or None when PostgreSQL is unreachable."""
    try:
        import psycopg

        admin = psycopg.connect(base_url, autocommit=True, connect_timeout=3)
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return None
    name = f"fieldcrm_bench_{os.getpid()}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = base_url.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return url.replace("postgresql://", "postgresql+psycopg://", 1), drop


def _line(name: str, value: float, unit: str, goal: float) -> None:
    print(f"bench {name}: {value:.1f} {unit} (goal <= {goal:g} {unit})")


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base, changed = Path(tmp) / "ncvoter_bench.txt", Path(tmp) / "ncvoter_changed.txt"
        _generate(base, rows, 0.0)
        _generate(changed, rows, 0.1)
        expected_changes = _changed_lines(base, changed)
        plain = min(_plain_read(base) for _ in range(2))
        uploads = str(Path(tmp) / "uploads")
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        first = _run("first", url, base, uploads)
        assert first["inserted"] == rows - first["rejected"] - first["duplicates"], first
        same = _run("same", url, base, uploads)
        assert same["unchanged"] == first["inserted"], same
        assert same["written"] == 0, same
        delta = _run("changed", url, changed, uploads)
        assert delta["updated"] == expected_changes == delta["written"], (delta, expected_changes)
        preview = _run("preview", url, base, uploads)
        label = f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}m"
        print(f"  (plain pyarrow read of the same file in this run: {plain:.2f} s)")
        _line(f"import_{label}_sqlite_first", first["seconds"], "s", GOALS["first"])
        _line(f"import_{label}_sqlite_peak_rss", first["peak_mb"], "MB", PEAK_GOAL_MB)
        _line(f"import_{label}_ratio_to_plain_read", first["seconds"] / plain, "x", 60)
        _line(f"import_{label}_sqlite_reimport_same", same["seconds"], "s", GOALS["same"])
        _line(
            f"import_{label}_sqlite_reimport_10pct_changed", delta["seconds"], "s", GOALS["changed"]
        )
        print(f"  (10% changed: {delta['updated']} rows updated and written, as expected)")
        print(
            "  (CPU seconds, less sensitive to a busy machine: first "
            f"{first['cpu']:.1f}, same {same['cpu']:.1f}, 10% changed {delta['cpu']:.1f}, "
            f"preview {preview['cpu']:.1f})"
        )
        _line(f"import_{label}_preview_impact", preview["seconds"], "s", GOALS["preview"])
        scratch = _postgres_scratch(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
        if scratch is None:
            print("  (PostgreSQL not reachable: postgres scenario skipped)")
            return
        pg_url, drop = scratch
        try:
            pg = _run("postgres", pg_url, base, uploads)
        finally:
            drop()
        assert pg["inserted"] == first["inserted"], pg
        _line(f"import_{label}_postgres_first", pg["seconds"], "s", GOALS["postgres"])
        print(f"  (CPU seconds of the importing process: {pg['cpu']:.1f})")
        _line(f"import_{label}_postgres_peak_rss", pg["peak_mb"], "MB", PEAK_GOAL_MB)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--scenario":
        scenario(*sys.argv[2:6])
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
