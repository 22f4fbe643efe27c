"""Byte searches over Arrow string arrays, without a Python string per row."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa


def bytes_present(arr: pa.Array, needles: Iterable[bytes]) -> list[bytes]:
    """The needles found anywhere in the array's data buffer (memchr speed, one copy of the
    buffer). Bytes outside a sliced array and a needle spanning two values can only add a
    needle that no row holds: callers use this to skip per-row work, never to decide a row.
    """
    data = arr.buffers()[2]
    if data is None:
        return []
    raw = data.to_pybytes()
    return [needle for needle in needles if needle in raw]
