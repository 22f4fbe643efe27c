"""A MyCampaign/VoteBuilder export imported as the `van_export` layout: keyed on VANID, its
people matched to the contacts the state file already made (one person, one contact)."""

from __future__ import annotations

import sqlalchemy as sa

from fieldcrm.contacts.models import Contact, ContactPhone
from fieldcrm.extensions import db
from fieldcrm.imports import services
from fieldcrm.imports.layouts import recognise_header, resolve_mapping
from fieldcrm.van.models import SourceSetting

STATE = (
    "Voter ID,First Name,Last Name,Address,City,State,Zip,Phone\n"
    "NC100,Ann,Lee,1 Main St,Mebane,NC,27302,336-555-0101\n"
    "NC200,Bo,Day,2 Oak Ave,Mebane,NC,27302,\n"
    "NC300,Cy,Ng,3 Elm Rd,Graham,NC,27253,\n"
)
VAN_HEADER = (
    "VANID\tVoter File VANID\tStateFileID\tLastName\tFirstName\tAddress\tCity\tState\tZip5"
    "\tCell Phone\tVolunteer\n"
)
VAN = VAN_HEADER + (
    "9001\t\tNC100\tLee\tAnn\t1 Main St\tMebane\tNC\t27302\t919-555-0111\tVolunteer\n"
    "9002\t\tNC200\tDay\tBo\t2 Oak Ave\tMebane\tNC\t27302\t\t\n"
    "9003\t\tNC999\tRoe\tDi\t9 Pine Ct\tMebane\tNC\t27302\t\t\n"
    "9004\t\t\tFox\tEd\t8 Ash Ln\tGraham\tNC\t27253\t\t\n"
)


def _contacts() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(Contact.source, Contact.voter_id, Contact.van_id, Contact.first_name).order_by(
            Contact.source, Contact.voter_id
        )
    ).all()


def test_layout__recognised_by_its_two_vanid_columns():
    header = VAN_HEADER.rstrip("\n").split("\t")
    layout = recognise_header(header)
    assert layout.name == "van_export"
    mapping = resolve_mapping(layout, header)
    assert (mapping["voter_id"], mapping["voter_file_vanid"], mapping["state_voter_id"]) == (
        "VANID", "Voter File VANID", "StateFileID",
    )  # fmt: skip
    assert mapping["cell_phone"] == "Cell Phone"
    # one VANID column alone is still read through the generic aliases
    assert recognise_header(["Voter File VANID", "FirstName", "LastName"]).name == "generic"
    assert recognise_header(["VANID", "First Name", "Last Name"]).name == "generic"


def test_check__says_how_many_people_are_matched(import_file, write_file, login_as, world):
    import_file(write_file("state.csv", STATE), source="nc")
    batch = services.create_batch(None, write_file("van.txt", VAN), "van.txt", "van")
    db.session.commit()
    preview = services.preview_batch(None, batch)
    db.session.commit()
    assert preview["layout"] == "van_export"
    assert preview["van_matches"] == {
        "matched": 2, "by": {"state_voter_id": 2}, "sources": {"nc": 2},
        "ambiguous": 0, "conflict": 0,
    }  # fmt: skip
    assert preview["impact"]["insert"] == 2  # Di (unknown state id) and Ed (none)
    assert preview["impact"]["update"] + preview["impact"]["unchanged"] == 2
    assert preview["other_sources"] == {}
    # the check writes nothing
    assert db.session.scalar(sa.select(sa.func.count()).where(Contact.van_id.is_not(None))) == 0
    assert db.session.get(SourceSetting, "van") is None
    page = login_as(world.admin_dev).get(f"/imports/{batch.id}/check").get_data(True)
    assert "2 people in this VAN export are already here under another source" in page


def test_import__matched_people_stay_one_contact_with_their_vanid(import_file, write_file):
    import_file(write_file("state.csv", STATE), source="nc")
    batch = import_file(write_file("van.txt", VAN), source="van", full_file=True)
    assert batch.status == "completed"
    assert (batch.inserted, batch.rows_read) == (2, 4)
    assert _contacts() == [
        ("nc", "NC100", "9001", "Ann"),
        ("nc", "NC200", "9002", "Bo"),
        ("nc", "NC300", None, "Cy"),
        ("van", "9003", None, "Di"),
        ("van", "9004", None, "Ed"),
    ]
    assert db.session.get(SourceSetting, "van").voter_ids_are_vanids is True
    ann = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "NC100"))
    phones = sorted(p.e164 for p in db.session.scalars(
        sa.select(ContactPhone).where(ContactPhone.contact_id == ann.id)
    ))  # fmt: skip
    assert phones == ["+13365550101", "+19195550111"]  # the state file's phone is kept
    # a full VAN file marks none of the state file's people "not in latest file"
    cy = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "NC300"))
    assert cy.not_in_latest_file is False


def test_reimport__found_again_by_vanid_and_nothing_added(import_file, write_file):
    import_file(write_file("state.csv", STATE), source="nc")
    import_file(write_file("van.txt", VAN), source="van", full_file=False)
    batch = services.create_batch(None, write_file("van2.txt", VAN), "van2.txt", "van")
    db.session.commit()
    preview = services.preview_batch(None, batch)
    assert preview["van_matches"]["by"] == {"van_id": 2}
    assert preview["impact"]["insert"] == 0
    again = import_file(write_file("van3.txt", VAN), source="van", full_file=False)
    assert (again.inserted, again.duplicates) == (0, 0)
    assert len(_contacts()) == 5
    # and the state file's next delivery still finds its people, VANIDs kept
    import_file(write_file("state2.csv", STATE), source="nc")
    assert [c[2] for c in _contacts()[:2]] == ["9001", "9002"]


def test_match__ambiguous_or_taken_state_ids_become_new_contacts(
    import_file, write_file, make_contact
):
    import_file(write_file("state.csv", STATE), source="nc")
    make_contact(source="other", voter_id="NC200", first_name="Bo", last_name="Day")
    twice = VAN_HEADER + (
        "9001\t\tNC100\tLee\tAnn\t1 Main St\tMebane\tNC\t27302\t\t\n"
        "9011\t\tNC100\tLee\tAnne\t1 Main St\tMebane\tNC\t27302\t\t\n"
        "9002\t\tNC200\tDay\tBo\t2 Oak Ave\tMebane\tNC\t27302\t\t\n"
        "9005\t\tNC300\tNg\tCy\t3 Elm Rd\tGreenville\tSC\t29601\t\t\n"
    )
    batch = services.create_batch(None, write_file("van.txt", twice), "van.txt", "van")
    db.session.commit()
    van = services.preview_batch(None, batch)["van_matches"]
    # Ann once; her second VANID is "taken"; Bo's id is in two sources; Cy lives elsewhere
    assert (van["matched"], van["conflict"], van["ambiguous"]) == (1, 1, 1)
    import_file(write_file("van2.txt", twice), source="van", full_file=False)
    assert [c[1] for c in _contacts() if c[0] == "van"] == ["9002", "9005", "9011"]


def test_match__a_mycampaign_row_finds_its_voter_file_record(import_file, write_file, world):
    """A VoteBuilder export matched Ann (van_id 9001); a MyCampaign export lists her under
    its own VANID, with 9001 as her Voter File VANID: still one contact."""
    import_file(write_file("state.csv", STATE), source="nc")
    import_file(write_file("vb.txt", VAN), source="votebuilder", full_file=False)
    mycampaign = VAN_HEADER + "55501\t9001\t\tLee\tAnn\t1 Main St\tMebane\tNC\t27302\t\t\n"
    batch = import_file(write_file("myc.txt", mycampaign), source="mycampaign", full_file=False)
    assert batch.inserted == 0
    assert [c for c in _contacts() if c[0] == "mycampaign"] == []


def test_export__matched_and_van_source_people_get_their_vanids(
    import_file, write_file, world, fieldwork, make_conversation, login_as
):
    import_file(write_file("state.csv", STATE), source="nc")
    import_file(write_file("van.txt", VAN), source="van", full_file=False)
    ann = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "NC100"))
    di = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "9003"))
    cy = db.session.scalar(sa.select(Contact).where(Contact.voter_id == "NC300"))
    for person in (ann, di, cy):
        make_conversation(person, world.admin_dev, result_code="not_home", is_conversation=False)
    body = login_as(world.admin_dev).get("/van/canvass.csv").get_data(True)
    vanids = [line.split(",")[0] for line in body.splitlines()[1:]]
    assert sorted(vanids) == ["9001", "9003"]  # Cy has no VANID: left out
