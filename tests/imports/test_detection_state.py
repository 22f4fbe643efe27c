"""A batch's stored detection also carries run state; resuming must still rebuild it."""

from __future__ import annotations

from fieldcrm.imports import reading, services
from fieldcrm.imports.models import ImportBatch


def test_detection_of__ignores_run_state_saved_with_it(db):
    detection = {
        "members": ["voters.txt"],
        "encoding": "utf-8",
        "delimiter": "\t",
        "quoting": "all",
        "has_header": True,
        "layout": "nc_current",
        "header": ["ncid"],
        "mapping": {"voter_id": "ncid"},
        "field_count": 1,
        "state": "NC",
        # Run state written by a bulk first load that was then killed:
        "chunk_rows": 10_000,
        "bulk_load": True,
    }
    batch = ImportBatch(
        source="v", original_filename="v.txt", stored_path="/x", detection=detection
    )
    result = services.detection_of(batch)
    assert isinstance(result, reading.Detection)
    assert result.layout == "nc_current"
    assert result.mapping == {"voter_id": "ncid"}
