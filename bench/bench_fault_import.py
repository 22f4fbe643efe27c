"""Fault test: SIGKILL the import halfway through a 100k-row voter file, resume, compare.

1. Generate a synthetic NC voter file (BENCH_FAULT_ROWS, default 100,000) with
   bench/voterfile_gen.py.
2. Clean run: `fieldcrm imports voter-file FILE` into a fresh SQLite database A.
3. Faulty run: the same command into a fresh database B, killed with SIGKILL once the
   batch has committed half of the rows; then `fieldcrm imports resume BATCH` (after the
   heartbeat has gone stale, IMPORT_STALE_SECONDS is set short here).
4. Compare A and B: every contact and phone column except ids, batch ids and timestamps
   (checksums over rows sorted by voter id), duplicate voter ids, `integrity_check` and
   `foreign_key_check`.

Prints `bench fault_import_diff`, `bench fault_import_duplicates` and
`bench fault_import_integrity` lines; exits non-zero when any is above 0. Needs the voter
file import (`fieldcrm imports`); without it, says so and exits 0.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROWS = int(os.environ.get("BENCH_FAULT_ROWS", "100000"))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fieldcrm(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "fieldcrm"), *args], env=env, capture_output=True, text=True, check=check
    )


def environment(db_path: Path, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FIELDCRM_CONFIG": "config.DevelopmentConfig",
        "FIELDCRM_INSTANCE_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{db_path}",
        "UPLOAD_DIR": str(workdir / "uploads"),
        "FIELDCRM_IMPORT_STALE_SECONDS": "2",
        # Ten chunks, so "half way" falls between committed chunks and inside one.
        "FIELDCRM_IMPORT_CHUNK_ROWS": str(max(1000, ROWS // 10)),
        "LOG_LEVEL": "WARNING",
    }


def batch_progress(db_path: Path) -> tuple[int, int, str] | None:
    """(batch id, rows done, status) of the newest batch, read without blocking writers."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return None
    try:
        row = conn.execute(
            "SELECT id, rows_done, status FROM import_batches ORDER BY id DESC LIMIT 1"
        ).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        conn.close()
    return row


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [
        row[1]
        for row in conn.execute(f"PRAGMA table_info({table})")
        if row[1] != "id"
        and not row[1].endswith("_at")
        and "batch" not in row[1]
        and row[1] != "contact_id"
    ]


def content_digest(db_path: Path) -> tuple[dict[str, tuple[int, str]], int, list[str]]:
    """(per-table count and checksum, duplicate voter ids, integrity problems)."""
    conn = sqlite3.connect(db_path)
    try:
        out = {}
        contact_cols = _columns(conn, "contacts")
        select = ", ".join(f'c."{c}"' for c in contact_cols)
        digest, count = hashlib.sha256(), 0
        for row in conn.execute(f"SELECT {select} FROM contacts c ORDER BY c.source, c.voter_id"):
            digest.update(repr(row).encode())
            count += 1
        out["contacts"] = (count, digest.hexdigest())
        for table in ("contact_phones", "contact_emails"):
            cols = ", ".join(f't."{c}"' for c in _columns(conn, table))
            digest, count = hashlib.sha256(), 0
            for row in conn.execute(
                f"SELECT c.source, c.voter_id, {cols} FROM {table} t "
                "JOIN contacts c ON c.id = t.contact_id ORDER BY 1, 2, 3, 4"
            ):
                digest.update(repr(row).encode())
                count += 1
            out[table] = (count, digest.hexdigest())
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT source, voter_id FROM contacts "
            "WHERE voter_id IS NOT NULL GROUP BY source, voter_id HAVING count(*) > 1)"
        ).fetchone()[0]
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [repr(r) for r in conn.execute("PRAGMA foreign_key_check")]
        return out, duplicates, problems
    finally:
        conn.close()


def main() -> int:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from voterfile_gen import write_nc_file
    except ImportError:
        log("bench/voterfile_gen.py is not here yet (the import feature): fault test skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_fault_") as tmp:
        workdir = Path(tmp)
        clean_db, faulty_db = workdir / "clean.sqlite", workdir / "faulty.sqlite"
        env_clean, env_faulty = environment(clean_db, workdir), environment(faulty_db, workdir)
        if "imports" not in fieldcrm(env_clean, "--help").stdout:
            log("`fieldcrm imports` is not installed yet: fault test skipped")
            return 0
        voter_file = write_nc_file(workdir / "ncvoter_fault.txt", ROWS)
        for env in (env_clean, env_faulty):
            fieldcrm(env, "db", "upgrade")

        log(f"clean import of {ROWS} rows…")
        started = time.monotonic()
        result = fieldcrm(env_clean, "imports", "voter-file", str(voter_file), check=False)
        if result.returncode != 0:
            log(result.stdout[-2000:] + result.stderr[-2000:])
            return 1
        log(f"clean import took {time.monotonic() - started:.1f} s")

        log("faulty import: SIGKILL at half way…")
        process = subprocess.Popen(
            [str(BIN / "fieldcrm"), "imports", "voter-file", str(voter_file)],
            env=env_faulty,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        killed_at = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            progress = batch_progress(faulty_db)
            if progress and progress[1] >= ROWS // 2:
                os.killpg(process.pid, signal.SIGKILL)
                killed_at = progress[1]
                break
            time.sleep(0.05)
        process.wait()
        if killed_at is None:
            log("the import finished (or failed) before half way: could not inject the fault")
            return 1
        batch_id, done, status = batch_progress(faulty_db)
        log(f"killed with {killed_at} rows committed (batch {batch_id} left {status!r})")
        time.sleep(3)  # let the heartbeat go stale so the batch shows as interrupted
        result = fieldcrm(env_faulty, "imports", "resume", str(batch_id), check=False)
        if result.returncode != 0:
            log(result.stdout[-2000:] + result.stderr[-2000:])
            return 1

        clean, clean_dupes, clean_problems = content_digest(clean_db)
        faulty, dupes, problems = content_digest(faulty_db)
        diff = sum(abs(clean[t][0] - faulty[t][0]) or (clean[t][1] != faulty[t][1]) for t in clean)
        log(f"clean: {clean}")
        log(f"resumed: {faulty}")
        for problem in (clean_problems + problems)[:5]:
            log(f"integrity: {problem}")
        print(f"bench fault_import_diff: {diff} rows (goal <= 0 rows)")
        print(f"bench fault_import_duplicates: {dupes + clean_dupes} count (goal <= 0 count)")
        print(
            f"bench fault_import_integrity: {len(problems) + len(clean_problems)} errors "
            "(goal <= 0 errors)"
        )
        return 0 if diff == 0 and dupes == 0 and not problems and not clean_problems else 1


if __name__ == "__main__":
    sys.exit(main())
