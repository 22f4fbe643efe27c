"""The shared benchmark dataset builds a consistent program (small size here)."""

from __future__ import annotations

import sqlalchemy as sa

from bench.dataset import build_dataset
from fieldcrm.rollups import maintain


def test_build_dataset__counts_and_consistency(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    info = build_dataset(url, contacts=3000, conversations=900, commitments=150, turfs=10)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.exec_driver_sql
        assert count("SELECT COUNT(*) FROM contacts").scalar() == 3000
        assert count("SELECT COUNT(*) FROM conversations").scalar() == 900
        assert count("SELECT COUNT(*) FROM commitments").scalar() == 150
        assert count("SELECT COUNT(*) FROM contacts WHERE turf_id IS NULL").scalar() == 0
        orphans = count(
            "SELECT COUNT(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id "
            "WHERE c.last_attempt_at IS NULL"
        ).scalar()
        assert orphans == 0
        assert count("PRAGMA foreign_key_check").fetchall() == []
        # filled with the rollup triggers off, then counted once: whole, and triggers back
        assert maintain.differences(conn) == []
        assert count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").scalar() == 10
    engine.dispose()
    assert len(info.organizer_emails) == 10
    again = build_dataset(url, contacts=3000, conversations=900, commitments=150, turfs=10)
    assert again.build_seconds == info.build_seconds  # reused, not rebuilt
