"""Benchmark: read and normalise a generated 1M-row NC voter file.

Run from the repository root: ``python bench/bench_parse.py [rows]``.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import subprocess  # noqa: E402

import pyarrow.csv as pacsv  # noqa: E402

from fieldcrm.imports.reading import detect, iter_chunks  # noqa: E402

_HERE = Path(__file__).resolve().parent


def _plain_read(path: Path) -> float:
    """Time pyarrow reading the same file into string columns, no normalisation."""
    start = time.perf_counter()
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(delimiter="\t"),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False),
    )
    rows = table.num_rows
    del table
    assert rows > 0
    return time.perf_counter() - start


def _generate(path: Path, rows: int) -> None:
    """Generate in a child process so its memory does not count towards the parse's peak."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from voterfile_gen import write_nc_file; "
        "write_nc_file(sys.argv[2], int(sys.argv[3]))"
    )
    subprocess.run([sys.executable, "-c", code, str(_HERE), str(path), str(rows)], check=True)


def main(rows: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ncvoter_bench.txt"
        start = time.perf_counter()
        _generate(path, rows)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {rows} rows ({size_mb:.0f} MB) in {time.perf_counter() - start:.1f} s")

        start = time.perf_counter()
        cpu_start = time.process_time()
        detection = detect(path)
        accepted = rejected = phones = 0
        for chunk in iter_chunks(path, detection):
            accepted += len(chunk.frame)
            rejected += len(chunk.rejects)
            phones += len(chunk.phones)
        parsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert accepted + rejected == rows, (accepted, rejected, rows)
        print(f"rows accepted {accepted}, rejected {rejected}, phones {phones}")

        plain = min(_plain_read(path) for _ in range(2))
        print(f"bench plain_pyarrow_read: {plain:.2f} s")
        print(f"bench parse_1m: {parsed:.2f} s (goal <= 8 s)")
        # CPU seconds of this process: a fairer figure when the machine is shared
        print(f"bench parse_1m_cpu: {cpu:.2f} s")
        print(f"bench parse_1m_ratio_to_plain_read: {parsed / plain:.1f} x (goal <= 20 x)")
        print(f"bench parse_peak_rss: {peak_mb:.0f} MB (goal <= 1000 MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
