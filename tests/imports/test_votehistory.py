"""Vote-history files: alone or zipped with the voter file, stored once, linked by voter id."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import sqlalchemy as sa

from fieldcrm.contacts.models import Contact
from fieldcrm.extensions import db
from fieldcrm.imports import reading, votehistory
from fieldcrm.imports.models import ImportRowError
from fieldcrm.imports.reading import history
from fieldcrm.votes import queries
from fieldcrm.votes.models import Election, Vote

NC_HISTORY_HEADER = (
    "county_id\tcounty_desc\tvoter_reg_num\telection_lbl\telection_desc\tvoting_method\t"
    "voted_party_cd\tvoted_party_desc\tpct_label\tpct_description\tncid\tvoted_county_id\t"
    "voted_county_desc\tvtd_label\tvtd_description\n"
)


def vote_count(source: str = "NC") -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Vote).where(Vote.source == source)
    )


def votes_of(voter_id: str, source: str = "NC") -> list[tuple]:
    return list(
        db.session.execute(
            sa.select(Election.election_date, Election.name, Election.kind, Vote.method, Vote.party)
            .join(Election, Election.id == Vote.election_id)
            .where(Vote.source == source, Vote.voter_id == voter_id)
            .order_by(Election.election_date)
        )
    )


def make_zip(tmp_path, name: str, members: dict[str, bytes]):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def test_nc_voter_and_history_zip__imports_both(import_file, data_dir):
    batch = import_file(data_dir / "nc_voters_with_history.zip")
    assert batch.status == "completed", batch.error_message
    assert batch.layout == "nc_current"
    assert (batch.rows_read, batch.inserted, batch.rejected) == (40, 40, 0)
    assert [h["member"] for h in batch.detection["history"]] == ["ncvhis_Statewide.txt"]
    counts = votehistory.summary(batch.detection["votes"])
    # 100 real sample rows + 8 of ours: one repeated vote, one row missing a field
    assert counts == {"read": 108, "inserted": 106, "existing": 1, "rejected": 1, "not_votes": 0}
    assert vote_count() == 106
    error = db.session.scalar(sa.select(ImportRowError).where(ImportRowError.batch_id == batch.id))
    assert (error.member, error.line, error.kind) == ("ncvhis_Statewide.txt", 109, "rejected")
    assert "wrong number of fields" in error.reason
    assert votes_of("AA216996") == [
        (date(2016, 11, 8), "11/08/2016 GENERAL", "general", "ABSENTEE ONESTOP", "DEM"),
        (date(2018, 11, 6), "11/06/2018 GENERAL", "general", "IN-PERSON", "DEM"),
        (date(2019, 11, 5), "11/05/2019 MUNICIPAL GENERAL", "municipal", "IN-PERSON", "UNA"),
        (date(2020, 3, 3), "03/03/2020 PRIMARY", "primary", "IN-PERSON", "REP"),
        (date(2020, 11, 3), "11/03/2020 GENERAL", "general", "ABSENTEE BY MAIL", "DEM"),
    ]
    # votes of voters who are not contacts are kept by voter id
    assert votes_of("BH4502") == [
        (date(2014, 11, 4), "11/04/2014 GENERAL", "general", "IN-PERSON", "DEM")
    ]
    assert db.session.scalar(sa.select(Contact.id).where(Contact.voter_id == "BH4502")) is None


def test_nc_history_zip__reimport_adds_nothing_twice(import_file, data_dir):
    import_file(data_dir / "nc_voters_with_history.zip")
    elections = db.session.scalar(sa.select(sa.func.count(Election.id)))
    again = import_file(data_dir / "nc_voters_with_history.zip")
    assert again.status == "completed", again.error_message
    assert (again.inserted, again.unchanged) == (0, 40)
    counts = votehistory.summary(again.detection["votes"])
    assert counts == {"read": 108, "inserted": 0, "existing": 107, "rejected": 1, "not_votes": 0}
    assert vote_count() == 106
    assert db.session.scalar(sa.select(sa.func.count(Election.id))) == elections


def test_history_before_voter_file__order_does_not_matter(import_file, data_dir, tmp_path):
    with zipfile.ZipFile(data_dir / "nc_voters_with_history.zip") as zf:
        history, voters = zf.read("ncvhis_Statewide.txt"), zf.read("ncvoter_Statewide.txt")
    (tmp_path / "ncvhis_Statewide.txt").write_bytes(history)
    (tmp_path / "ncvoter_Statewide.txt").write_bytes(voters)
    first = import_file(tmp_path / "ncvhis_Statewide.txt")
    assert first.status == "completed", first.error_message
    assert (first.rows_read, first.marked_missing, first.full_file) == (0, 0, False)
    assert vote_count() == 106
    import_file(tmp_path / "ncvoter_Statewide.txt")
    contact = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "AA216996"))
    admin_votes = queries.contact_votes(_Admin(), contact)
    assert [v.name for v in admin_votes][:2] == ["11/03/2020 GENERAL", "03/03/2020 PRIMARY"]


class _Admin:
    active = True
    role = "admin"


def test_zip_with_unknown_member__refused_naming_it(import_file, data_dir, tmp_path):
    with zipfile.ZipFile(data_dir / "nc_voters_with_history.zip") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    notes = b"color,size\nred,9\n"
    after = make_zip(tmp_path, "after.zip", {**members, "notes.csv": notes})
    batch = import_file(after)
    assert batch.status == "refused"
    assert "notes.csv" in batch.error_message
    before = make_zip(tmp_path, "before.zip", {"notes.csv": notes, **members})
    batch = import_file(before)
    assert batch.status == "refused"
    assert "notes.csv" in batch.error_message
    assert vote_count() == 0


FL_HISTORY = (
    "LAF\t100000001\t11/08/2016\tGEN\tY\n"
    "LAF\t100000001\t08/30/2016\tPRI\tA\n"
    "LAF\t100000002\t11/08/2016\tGEN\tN\n"
    "LAF\t100000002\t03/15/2016\tPPP\tE\n"
    "LAF\t100000004\t11/08/2016\tGEN\tB\n"
)


def test_florida_extract_and_history_zip__history_first(import_file, data_dir, tmp_path):
    path = make_zip(
        tmp_path,
        "Voter_Extract.zip",
        {
            "LAF_H_20161201.txt": FL_HISTORY.encode(),
            "LAF_20161201.txt": (data_dir / "fl_extract_laf.txt").read_bytes(),
        },
    )
    batch = import_file(path, source="FL")
    assert batch.status == "completed", batch.error_message
    assert batch.layout == "fl_extract"
    counts = votehistory.summary(batch.detection["votes"])
    assert counts == {"read": 5, "inserted": 4, "existing": 0, "rejected": 0, "not_votes": 1}
    assert votes_of("100000001", "FL") == [
        (date(2016, 8, 30), "08/30/2016 PRIMARY", "primary", "MAIL", None),
        (date(2016, 11, 8), "11/08/2016 GENERAL", "general", "AT POLLS", None),
    ]
    assert votes_of("100000002", "FL") == [
        (
            date(2016, 3, 15),
            "03/15/2016 PRESIDENTIAL PREFERENCE PRIMARY",
            "presidential_primary",
            "EARLY",
            None,
        )
    ]


def test_detect__history_members_set_aside(data_dir, tmp_path):
    detection = reading.detect(data_dir / "nc_voters_with_history.zip")
    assert detection.members == ["ncvoter_Statewide.txt"]
    assert [(h["member"], h["layout"]) for h in detection.history] == [
        ("ncvhis_Statewide.txt", "nc_vhis")
    ]
    alone = tmp_path / "LAF_H_20161201.txt"
    alone.write_text(FL_HISTORY)
    detection = reading.detect(alone)
    assert detection.members == []
    assert detection.history[0]["layout"] == "fl_history"


def test_quoted_nc_history__read_like_the_voter_file(import_file, tmp_path):
    header = "\t".join(f'"{h}"' for h in NC_HISTORY_HEADER.rstrip("\n").split("\t"))
    row = (
        '"1"\t"ALAMANCE"\t"9005990"\t"11/08/2022"\t"11/08/2022  GENERAL"\t"IN-PERSON"\t"DEM"\t'
        '"DEMOCRATIC"\t"03"\t"03"\t"AA56273"\t"1"\t"ALAMANCE"\t"03"\t"03"'
    )
    path = tmp_path / "ncvhis1.txt"
    path.write_text(f"{header}\r\n{row}\r\n")
    batch = import_file(path)
    assert batch.status == "completed", batch.error_message
    assert votes_of("AA56273") == [
        (date(2022, 11, 8), "11/08/2022 GENERAL", "general", "IN-PERSON", "DEM")
    ]


def test_election_kind__names_seen_in_nc_and_fl():
    assert history.election_kind("11/08/2016 GENERAL") == "general"
    assert history.election_kind("11/03/2015 MUNICIPAL GENERAL/CITY OF MONROE RUNOFF") == (
        "municipal"
    )
    assert history.election_kind("06/07/2016 CONGRESSIONAL PRIMARY") == "primary"
    assert history.election_kind("07/17/2018 SECOND PRIMARY") == "runoff"
    assert history.election_kind("03/15/2016 PRESIDENTIAL PREFERENCE PRIMARY") == (
        "presidential_primary"
    )
    assert history.election_kind("09/10/2019 SPECIAL") == "special"
    assert history.election_kind("05/01/2019 OTHER") == "other"


def test_cli__voter_file_with_history_prints_vote_counts(runner, data_dir):
    result = runner.invoke(
        args=[
            "imports",
            "voter-file",
            str(data_dir / "nc_voters_with_history.zip"),
            "--source",
            "NC",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Vote history: ncvhis_Statewide.txt (nc_vhis)" in result.output
    assert "vote history: read 108, votes added 106, already on file 1, rejected 1" in result.output


@pytest.mark.usefixtures("db")
def test_history_killed_mid_way__resume_adds_nothing_twice(data_dir):
    from fieldcrm.imports import jobs, services
    from fieldcrm.imports.models import ImportBatch

    path = data_dir / "nc_voters_with_history.zip"
    batch = services.create_batch(None, path, path.name, "NC")
    db.session.commit()
    commits: list[int] = []

    def die(current):
        commits.append(current.id)
        if len(commits) == 4:  # two voter chunks, then the second history chunk
            raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        jobs.import_batch(batch.id, on_chunk=die, chunk_rows=30)
    db.session.expire_all()
    stopped = db.session.get(ImportBatch, batch.id)
    assert stopped.status == "interrupted"
    assert stopped.detection["votes"]["rows_done"] == 59  # 30 lines a chunk, header first
    services.queue_batch(None, stopped)
    db.session.commit()
    jobs.import_batch(batch.id, chunk_rows=30)
    db.session.expire_all()
    done = db.session.get(ImportBatch, batch.id)
    assert done.status == "completed", done.error_message
    counts = votehistory.summary(done.detection["votes"])
    assert counts == {"read": 108, "inserted": 106, "existing": 1, "rejected": 1, "not_votes": 0}
    assert vote_count() == 106
    rejects = db.session.scalar(
        sa.select(sa.func.count(ImportRowError.id)).where(ImportRowError.batch_id == batch.id)
    )
    assert rejects == 1


def test_import_page__shows_vote_history_counts(import_file, data_dir, login_as, world):
    batch = import_file(data_dir / "nc_voters_with_history.zip")
    page = login_as(world.admin_dev).get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Votes added" in page
    assert "<dd>106</dd>" in page


def test_web_flow__history_only_upload(client, login_as, world):
    login_as(world.admin_dev)
    data = {
        "source": "FL",
        "full_file": "y",
        "file": (io.BytesIO(FL_HISTORY.encode()), "LAF_H_20161201.txt"),
    }
    response = client.post("/imports/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    check = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "LAF_H_20161201.txt (fl_history)" in check
    batch_id = int(response.headers["Location"].split("/")[-2])
    started = client.post(f"/imports/{batch_id}/start")
    assert started.status_code == 302
    shown = client.get(f"/imports/{batch_id}").get_data(as_text=True)
    assert "completed" in shown
    assert "<dd>4</dd>" in shown
    assert vote_count("FL") == 4
    assert (
        db.session.scalar(sa.select(sa.func.count(Contact.id)).where(Contact.source == "FL")) == 0
    )
