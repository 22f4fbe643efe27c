"""Rebuild the voter-file fixtures in this folder: ``python tests/data/build_fixtures.py``.

Florida and Ohio rows are synthetic but follow the layouts in LAYOUTS.md (the real files are
not redistributable here); the NC excerpts are byte-for-byte lines of the shared NC samples.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NC_DIR = HERE.parents[1] / ".." / "shared" / "voterfiles" / "north_carolina"


def _fl_row(**overrides: str) -> str:
    row = {
        1: "LAF",
        2: "100000001",
        3: "SMITH",
        4: "",
        5: "JOHN",
        6: "Q",
        7: "N",
        8: "258  NW LOYD ST ",
        9: "",
        10: "MAYO",
        11: " ",
        12: "320669999",
        13: "PO BOX 12",
        14: "",
        15: "",
        16: "MAYO",
        17: "FL",
        18: "32066",
        19: "",
        20: "M",
        21: "5",
        22: "04/27/1978",
        23: "10/01/1996",
        24: "DEM",
        25: "  2",
        26: "",
        27: "  2.1",
        28: "",
        29: "ACT",
        30: "2",
        31: "7",
        32: "3",
        33: "1",
        34: "1",
        35: "386",
        36: "5907782",
        37: "",
        38: "CRYBAI79@GMAIL.COM ",
    }
    for key, value in overrides.items():
        row[int(key[1:])] = value
    return "\t".join(row[i] for i in range(1, 39))


def build_fl() -> None:
    masked = {f"c{i}": "*" for i in (3, 5, 6, 8, 9, 10, 13, 16, 18, 35, 36, 37, 38)}
    rows = [
        _fl_row(),
        _fl_row(c2="100000002", c3="LEE", c5='MARIE   "MARION"', c6="", c20="F", c35="", c36=""),
        _fl_row(c2="100000003", c7="Y", c22="", **masked),
        _fl_row(
            c2="100000004",
            c3="GARCIA",
            c5="ANA",
            c8="HHC, 703D BSB UNIT #40623",
            c9="APT 104",
            c12="09312",
            c13="FOB KALSU",
            c16="APO",
            c17="AE",
            c18="09312",
            c19="",
            c35="",
            c36="2942512",
            c37="129",
        ),
        _fl_row(c2="100000005", c3="NGUYEN", c5="THI", c22="01/01/1900", c23="01/01/1900"),
        _fl_row(c2="100000006", c3="", c5="", c6=""),
        _fl_row(c2="", c3="", c5="", c6=""),
        _fl_row(c2="100000008", c3="BROWN", c18="N3Y4K6", c19="CANADA", c29="INA"),
    ]
    rows.insert(5, "\t".join(_fl_row(c2="100000099").split("\t")[:30]))
    (HERE / "fl_extract_laf.txt").write_bytes(("\r\n".join(rows) + "\r\n").encode("ascii"))


def build_oh() -> None:
    header = (
        "SOS_VOTERID,COUNTY_NUMBER,COUNTY_ID,LAST_NAME,FIRST_NAME,MIDDLE_NAME,SUFFIX,"
        "DATE_OF_BIRTH,REGISTRATION_DATE,VOTER_STATUS,PARTY_AFFILIATION,RESIDENTIAL_ADDRESS1,"
        "RESIDENTIAL_SECONDARY_ADDR,RESIDENTIAL_CITY,RESIDENTIAL_STATE,RESIDENTIAL_ZIP,"
        "RESIDENTIAL_ZIP_PLUS4,RESIDENTIAL_COUNTRY,RESIDENTIAL_POSTALCODE,MAILING_ADDRESS1,"
        "MAILING_SECONDARY_ADDRESS,MAILING_CITY,MAILING_STATE,MAILING_ZIP,MAILING_ZIP_PLUS4,"
        "MAILING_COUNTRY,MAILING_POSTAL_CODE,CONGRESSIONAL_DISTRICT,PRECINCT_NAME,PRECINCT_CODE,"
        "STATE_REPRESENTATIVE_DISTRICT,STATE_SENATE_DISTRICT,GENERAL-11/08/2016,"
        "PRIMARY-05/03/2016,SPECIAL-08/02/2016"
    )
    rows = [
        '"OH0025035358","01","1234","DOE","JANE","A","","1978-04-27","2004-10-01","ACTIVE","D",'
        '"123 MAIN ST","APT F10","WEST UNION","OH","45693","5000.0","","","","","","","","","",'
        '"","02","WEST UNION A","01AAB","090","14","X","D",""',
        '"OH0025035359","01","1235","ROE","RICHARD","","JR","1888-03-01","1900-01-01",'
        '"CONFIRMATION","","4 ELM RD","","PEEBLES","OH","45660","","","","PO BOX 9","",'
        '"PEEBLES","OH","45660","0009","","","2","PEEBLES","01AAC","90","14","","",""',
        '"OH0025035360","01","1236","O\'DONNELL","MARY","","","1990-02-30","2010-05-05",'
        '"ACTIVE","R","77 HILL ST","","PEEBLES","OH","4566","","","","","","","","","","",'
        '"","2","PEEBLES","01AAC","90","14","R","",""',
    ]
    (HERE / "oh_swvf_adams.csv").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode())


_VAN_HEADER = (
    "Voter File VANID,LastName,FirstName,MiddleName,Suffix,Address,City,State,Zip5,Zip4,"
    "Cell Phone,Home Phone,Pref Phone ,PreferredEmail,DOB,Sex,Party,PrecinctName,CountyName,"
    "CD,SD,HD,DateReg,Latitude,Longitude"
)


def build_van() -> None:
    rows = [
        _VAN_HEADER,
        '101,Muñoz,José,,,"187 Cavalier Way, Apt 4",Durham,NC,27701,1234,(919) 360-1316,,'
        "919.555.0100,Jose@Example.COM ,4/27/1978 0:00:00,M,D,Durham 05,Durham,04,20,029,"
        "10/1/2004 0:00:00,35.994,-78.8986",
        "102,Lefèvre,Zoë,B,III,3670  COVINGTON TRL,Mebane,NC,27302,,,3362291110,,not-an-email,"
        "1/1/1900 0:00:00,F,R,Melville 3,Alamance,6.0,25,064,,91.5,-79.2",
        "103,McDONALD,ROSA,,,12 Main St,Graham,NC,2725,,+1 336 555 0199,,,,,F,U,,Alamance,"
        "Congressional 6,SD 25,HD 64,1/2/2020 0:00:00,,",
    ]
    text = "\r\n".join(rows) + "\r\n"
    (HERE / "van_export.csv").write_bytes(text.encode("utf-8"))
    (HERE / "van_latin1.csv").write_bytes(text.encode("latin-1"))
    (HERE / "van_utf8_bom.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def build_pipe() -> None:
    rows = [
        "LALVOTERID|Voters_FirstName|Voters_LastName|Voters_BirthDate|Residence_Addresses_AddressLine"
        "|Residence_Addresses_City|Residence_Addresses_State|Residence_Addresses_Zip"
        "|Residence_Addresses_ZipPlus4|VoterTelephones_CellPhoneFormatted|Voters_Gender",
        "LALNC123|Ana|Ortiz|1985-07-04|64  WILLOW WAY   #A|Cary|NC|27513|0042|(919) 555-0142|F",
        "LALNC124|Bo|Chen|19800101|5 OAK AVE|Cary|NC|275134411||9195550143|M",
    ]
    (HERE / "l2_pipe.txt").write_bytes(("\n".join(rows) + "\n").encode())


def _nc_lines(name: str) -> list[bytes]:
    return (NC_DIR / name).read_bytes().splitlines(keepends=True)


def build_nc() -> None:
    current = _nc_lines("ncvoter_Statewide.txt")
    header, body = current[0], current[1:]
    (HERE / "nc_current_excerpt.txt").write_bytes(b"".join([header, *body[:40]]))
    with (
        open(HERE / "nc_current_excerpt.txt.gz", "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
    ):
        gz.write(b"".join([header, *body[:40]]))
    for name, repeat in (("nc_two_counties.zip", True), ("nc_two_parts_one_header.zip", False)):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("ncvoter01.txt", b"".join([header, *body[:25]]))
            second = [header, *body[25:40]] if repeat else body[25:40]
            zf.writestr("ncvoter02.txt", b"".join(second))
            zf.writestr("layout_ncvoter.pdf", b"%PDF-1.4 not data")
            zf.writestr("__MACOSX/._ncvoter01.txt", b"\x00\x05junk")
        (HERE / name).write_bytes(buffer.getvalue())
    old = _nc_lines("ncvoter.txt")
    (HERE / "nc_pre2022_excerpt.txt").write_bytes(b"".join(old[:60]))


def _vhis_row(
    ncid: str, day: str, desc: str, method: str = "IN-PERSON", party: str = "DEM"
) -> bytes:
    parties = {"DEM": "DEMOCRATIC", "REP": "REPUBLICAN", "UNA": "UNAFFILIATED", "": ""}
    fields = ["1", "ALAMANCE", "9205561", day, f"{day} {desc}", method, party, parties[party],
              "103", "103", ncid, "1", "ALAMANCE", "103", "103"]  # fmt: skip
    return ("\t".join(fields) + "\n").encode("ascii")


def build_nc_history() -> None:
    """A NC voter file and its ncvhis history in one zip, as the state's downloads pair them.

    The history member is the real 100-row ncvhis sample (voters not in the voter member,
    kept by voter id) plus votes of two voters of the excerpt, one row with a field missing,
    and one vote repeated (stored once).
    """
    current = _nc_lines("ncvoter_Statewide.txt")
    history = _nc_lines("ncvhis.txt")
    ours = [
        _vhis_row("AA216996", "11/08/2016", "GENERAL", "ABSENTEE ONESTOP"),
        _vhis_row("AA216996", "11/06/2018", "GENERAL"),
        _vhis_row("AA216996", "11/03/2020", "GENERAL", "ABSENTEE BY MAIL"),
        _vhis_row("AA216996", "03/03/2020", "PRIMARY", party="REP"),
        _vhis_row("AA216996", "11/05/2019", "MUNICIPAL GENERAL", party="UNA"),
        _vhis_row("AA98377", "11/03/2020", "GENERAL", party="UNA"),
        _vhis_row("AA98377", "11/03/2020", "GENERAL", party="UNA"),
        b"1\tALAMANCE\t9048723\t11/08/2022\t11/08/2022 GENERAL\tIN-PERSON\n",
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ncvoter_Statewide.txt", b"".join(current[:41]))
        zf.writestr("ncvhis_Statewide.txt", b"".join([*history, *ours]))
    (HERE / "nc_voters_with_history.zip").write_bytes(buffer.getvalue())


def build_bad() -> None:
    (HERE / "empty.txt").write_bytes(b"")
    (HERE / "binary.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (HERE / "nul_bytes.csv").write_bytes(b"voter_id,first\x00name\n1,\x00\x00\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.csv", "Voter ID,First Name\n1,A\n")
    (HERE / "renamed_zip.csv").write_bytes(buffer.getvalue())
    (HERE / "no_identity.csv").write_bytes(b"color,size\nred,9\n")


if __name__ == "__main__":
    build_fl()
    build_oh()
    build_van()
    build_pipe()
    build_nc()
    build_nc_history()
    build_bad()
