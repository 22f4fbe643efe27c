"""Fixtures for the voter-file import tests: paths to sample files."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
NC_SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "voterfiles" / "north_carolina"


@pytest.fixture
def data_dir() -> Path:
    """tests/data: small committed voter-file fixtures (see build_fixtures.py)."""
    return DATA


@pytest.fixture
def nc_samples() -> Path:
    """The shared real NC samples; tests using them skip when the folder is absent."""
    if not (NC_SAMPLES / "ncvoter_Statewide.txt").is_file():
        pytest.skip("shared NC voter-file samples are not available")
    return NC_SAMPLES
