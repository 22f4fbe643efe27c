"""Reading vote-history files: recognising them by their first lines (North Carolina's
``ncvhis``, 15 tab-separated columns with a header; Florida's ``CCC_H_YYYYMMDD.txt``, 5
tab-separated columns, no header) and reading their votes in chunks, normalised with Arrow.
``split_members`` (called by ``detect``) sets such members of an upload aside; writing the
votes is fieldcrm.imports.votehistory."""

from __future__ import annotations

import collections
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from fieldcrm import programtime
from fieldcrm.imports.layouts import normalize_header
from fieldcrm.imports.reading import columns, containers, sniffing, tables
from fieldcrm.imports.reading.core import Detection, FileRefused, RowError

MAX_VOTER_ID = 64


MAX_NAME = 120


MAX_METHOD = 40


MAX_PARTY = 10


@dataclass(frozen=True)
class HistoryLayout:
    """How to recognise one state's vote-history file and where each vote field comes from."""

    name: str
    description: str
    state: str
    has_header: bool
    #: vote field -> source column (header name, or the column's name in ``columns``)
    fields: dict[str, str]
    #: normalised header names that must all be present (headered layouts)
    required: tuple[str, ...] = ()
    #: column names in order (headerless layouts)
    columns: tuple[str, ...] = ()


HISTORY_LAYOUTS: dict[str, HistoryLayout] = {
    "nc_vhis": HistoryLayout(
        name="nc_vhis",
        description="North Carolina NCSBE ncvhis vote history, 15 columns with a header",
        state="NC",
        has_header=True,
        fields={
            "voter_id": "ncid",
            "election_date": "election_lbl",
            "election_name": "election_desc",
            "method": "voting_method",
            "party": "voted_party_cd",
        },
        required=("ncid", "electionlbl", "electiondesc", "votingmethod"),
    ),
    "fl_history": HistoryLayout(
        name="fl_history",
        description="Florida voter history extract (CCC_H_YYYYMMDD.txt), 5 columns, no header",
        state="FL",
        has_header=False,
        fields={
            "voter_id": "voter_id",
            "election_date": "election_date",
            "election_type": "election_type",
            "history_code": "history_code",
        },
        columns=("county_code", "voter_id", "election_date", "election_type", "history_code"),
    ),
}


#: Florida election type codes, written as the election names North Carolina uses.
FL_ELECTION_TYPES = {
    "GEN": "GENERAL",
    "PRI": "PRIMARY",
    "RUN": "RUNOFF",
    "PPP": "PRESIDENTIAL PREFERENCE PRIMARY",
    "OTH": "OTHER",
}


#: Florida history codes; N (did not vote) is not a vote.
FL_HISTORY_CODES = {
    "A": "MAIL",
    "B": "MAIL (NOT COUNTED)",
    "E": "EARLY",
    "Y": "AT POLLS",
    "P": "PROVISIONAL (NOT COUNTED)",
    "Z": "PROVISIONAL",
    "F": "PROVISIONAL",
}


FL_NOT_VOTED = "N"


_FL_ROW = re.compile(r"^[A-Z]{3}\t[0-9]{1,10}\t[0-9]{2}/[0-9]{2}/[0-9]{4}\t[A-Z]{3}\t[A-Z]?\s*$")


def election_kind(name: str) -> str:
    """The kind of an election from its name (first match wins, in this order).

    municipal (NC's odd-year town elections, even "MUNICIPAL GENERAL"), presidential_primary,
    runoff (also NC's "SECOND PRIMARY"), primary, special, general, other. Only "general"
    elections count for "voted in N of the last M general elections".
    """
    upper = " ".join(name.upper().split())
    if "MUNICIPAL" in upper:
        return "municipal"
    if "PRESIDENTIAL PREFERENCE" in upper or "PRESIDENTIAL PRIMARY" in upper:
        return "presidential_primary"
    if "RUNOFF" in upper or "RUN-OFF" in upper or "SECOND PRIMARY" in upper:
        return "runoff"
    if "PRIMARY" in upper:
        return "primary"
    if "SPECIAL" in upper:
        return "special"
    if "GENERAL" in upper:
        return "general"
    return "other"


def sniff_history(name: str, opener: Callable[[], IO[bytes]]) -> dict[str, Any] | None:
    """How to read member ``name`` when it is a vote-history file, else None.

    The returned dict is JSON (it is stored with the batch's detection): member, layout,
    encoding, delimiter, quoting, has_header, header, field_count.
    """
    try:
        sample, complete = containers.read_sample(opener, 1 << 16)
    except FileRefused:
        return None
    if not sample.strip() or b"\x00" in sample[:65536]:
        return None
    encoding = sniffing.detect_encoding(sample)
    lines = sniffing.sample_lines(sample, complete, encoding)
    if not lines:
        return None
    first = lines[0].rstrip("\r\n")
    if "\t" in first:
        delimiter = "\t"
    else:
        try:
            delimiter = sniffing.choose_delimiter(first)
        except FileRefused:
            return None
    quoting = sniffing.choose_quoting(lines, delimiter, None)
    fields = sniffing.split_fields(first, delimiter, quoting)
    present = {normalize_header(f) for f in fields}
    nc = HISTORY_LAYOUTS["nc_vhis"]
    if all(req in present for req in nc.required):
        header = [f.strip() for f in fields]
        return _info(name, nc, encoding, delimiter, quoting, header, len(header))
    fl = HISTORY_LAYOUTS["fl_history"]
    if delimiter == "\t":
        rows = lines[:50]
        good = sum(bool(_FL_ROW.match(r.rstrip("\r\n"))) for r in rows)
        if good >= max(1, len(rows) * 0.6):
            return _info(name, fl, encoding, "\t", "none", None, len(fl.columns))
    return None


def _info(
    member: str,
    layout: HistoryLayout,
    encoding: str,
    delimiter: str,
    quoting: str,
    header: list[str] | None,
    field_count: int,
) -> dict[str, Any]:
    return {
        "member": member,
        "layout": layout.name,
        "encoding": encoding,
        "delimiter": delimiter,
        "quoting": quoting,
        "has_header": header is not None,
        "header": header,
        "field_count": field_count,
    }


def split_members(
    members: list[tuple[str, Callable[[], IO[bytes]]]],
) -> tuple[list[tuple[str, Callable[[], IO[bytes]]]], list[dict[str, Any]]]:
    """(voter-file members, vote-history members' read settings), in archive order."""
    voters: list[tuple[str, Callable[[], IO[bytes]]]] = []
    history: list[dict[str, Any]] = []
    for name, opener in members:
        info = sniff_history(name, opener)
        if info is None:
            voters.append((name, opener))
        else:
            history.append(info)
    return voters, history


def history_only_detection(history: list[dict[str, Any]]) -> Detection:
    """The detection of an upload holding vote-history files only (no voter rows)."""
    first = history[0]
    return Detection(
        members=[],
        encoding=first["encoding"],
        delimiter=first["delimiter"],
        quoting=first["quoting"],
        has_header=first["has_header"],
        layout=None,
        header=first["header"],
        mapping={},
        field_count=first["field_count"],
        state=HISTORY_LAYOUTS[first["layout"]].state,
        history=history,
    )


@dataclass
class HistoryPart:
    """Votes read from part of one history member, and where the member stands after it."""

    member_index: int
    member: str
    end_row: int  # data rows of the member done after this part
    rows_read: int
    votes: pa.Table  # voter_id, election_date (date32), election_name, method, party
    rejects: list[RowError] = field(default_factory=list)
    not_votes: int = 0


def member_detection(info: dict[str, Any]) -> Detection:
    return Detection(
        members=[info["member"]],
        encoding=info["encoding"],
        delimiter=info["delimiter"],
        quoting=info["quoting"],
        has_header=info["has_header"],
        layout=None,
        header=info["header"],
        mapping={},
        field_count=info["field_count"],
    )


def _column_names(info: dict[str, Any]) -> list[str]:
    layout = HISTORY_LAYOUTS[info["layout"]]
    return list(info["header"]) if info["header"] is not None else list(layout.columns)


def _clean(arr: pa.Array) -> pa.Array:
    """Trimmed, whitespace collapsed, blank -> null."""
    text = pc.utf8_trim_whitespace(arr)
    text = pc.replace_substring_regex(text, r"\s+", " ")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def normalise_history(
    table: pa.Table, info: dict[str, Any], needed: dict[str, int]
) -> tuple[pa.Table, np.ndarray, np.ndarray, dict[int, str]]:
    """(votes table, kept mask, not-a-vote mask, {row: reject reason}) for a parsed table."""
    layout = HISTORY_LAYOUTS[info["layout"]]
    rows = table.num_rows

    def raw(key: str) -> pa.Array:
        if key not in needed:
            return pa.nulls(rows, pa.string())
        return table.column(f"f{needed[key]}").combine_chunks()

    def col(key: str) -> pa.Array:
        return _per_value(raw(key), _clean)

    voter_id = columns.nullify(columns.trim(raw("voter_id")))
    warnings: collections.Counter = collections.Counter()
    today = (programtime.today_anywhere() - dt.date(1970, 1, 1)).days
    dates = _per_value(
        raw("election_date"),
        lambda values: columns.dates(_clean(values), "mdy", "election", 1850, warnings, today)[0],
    )
    date_text = pc.strftime(dates, format="%m/%d/%Y")
    if layout.name == "fl_history":
        kind_code = pc.utf8_upper(col("election_type"))
        label = pc.coalesce(_lookup(kind_code, FL_ELECTION_TYPES), kind_code, pa.scalar("ELECTION"))
        name = pc.binary_join_element_wise(date_text, label, " ")
        code = pc.utf8_upper(col("history_code"))
        method = pc.coalesce(_lookup(code, FL_HISTORY_CODES), code)
        party = pa.nulls(rows, pa.string())
        not_vote = _mask(pc.equal(code, FL_NOT_VOTED))
    else:
        given = pc.utf8_upper(col("election_name"))
        name = pc.coalesce(given, pc.binary_join_element_wise(date_text, "ELECTION", " "))
        method = pc.utf8_upper(col("method"))
        party = pc.utf8_upper(col("party"))
        not_vote = _mask(pc.match_substring(method, "DID NOT VOTE"))
    no_id = _mask(pc.is_null(voter_id))
    long_id = _mask(pc.greater(pc.utf8_length(voter_id), MAX_VOTER_ID))
    no_date = _mask(pc.is_null(dates))
    rejected = no_id | long_id | no_date
    reasons: dict[int, str] = {}
    for mask, reason in (
        (no_date, "no valid election date"),
        (long_id, f"voter id is longer than {MAX_VOTER_ID} characters"),
        (no_id, "no voter id"),
    ):
        reasons.update((int(i), reason) for i in np.flatnonzero(mask))
    not_vote &= ~rejected
    keep = ~rejected & ~not_vote
    votes = pa.table(
        {
            "voter_id": voter_id,
            "election_date": dates,
            "election_name": pc.utf8_slice_codeunits(name, 0, MAX_NAME),
            "method": pc.utf8_slice_codeunits(method, 0, MAX_METHOD),
            "party": pc.utf8_slice_codeunits(party, 0, MAX_PARTY),
        }
    )
    return votes, keep, not_vote, reasons


def _per_value(arr: pa.Array, func: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``func`` computed once per distinct value: history columns other than the voter id
    repeat a handful of values (elections, methods, parties) over millions of rows."""
    encoded = pc.dictionary_encode(arr)
    return func(encoded.dictionary).take(encoded.indices)


def _lookup(arr: pa.Array, table: dict[str, str]) -> pa.Array:
    keys = pa.array(list(table), pa.string())
    values = pa.array(list(table.values()), pa.string())
    return values.take(pc.index_in(arr, value_set=keys))


def _mask(arr: pa.Array) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False).copy()


def read_chunk(
    lines: list[bytes], numbers: np.ndarray, info: dict[str, Any]
) -> tuple[pa.Table, np.ndarray, np.ndarray, list[RowError]]:
    """(votes, line position of each vote, positions of not-votes, rejects) for raw lines."""
    detection = member_detection(info)
    names = [normalize_header(n) for n in _column_names(info)]
    layout = HISTORY_LAYOUTS[info["layout"]]
    needed: dict[str, int] = {}
    for key, source in layout.fields.items():
        wanted = normalize_header(source)
        if wanted in names:
            needed[key] = names.index(wanted)
    indexes = sorted(set(needed.values()))
    buf, _ = tables.to_utf8(lines, detection.encoding)
    try:
        table, bad = tables.parse_table(buf, len(lines), detection, indexes)
    except tables.InvalidUtf8Error:
        buf, _ = tables.repair_utf8(lines, detection.encoding)
        table, bad = tables.parse_table(buf, len(lines), detection, indexes)
    good_idx = np.setdiff1d(np.arange(len(lines)), np.fromiter(bad, dtype=np.int64, count=len(bad)))
    rejects = [
        RowError(
            line=int(numbers[i]),
            member=info["member"],
            reason=f"wrong number of fields: expected {detection.field_count}, found {n}",
            raw=sniffing.decode_line(lines[i], detection.encoding)[0].rstrip("\r\n"),
        )
        for i, n in sorted(bad.items())
    ]
    votes, keep, not_vote, reasons = normalise_history(table, info, needed)
    for pos, reason in sorted(reasons.items()):
        i = int(good_idx[pos])
        rejects.append(
            RowError(
                line=int(numbers[i]),
                member=info["member"],
                reason=reason,
                raw=sniffing.decode_line(lines[i], detection.encoding)[0].rstrip("\r\n"),
            )
        )
    rejects.sort(key=lambda r: r.line)
    return votes.filter(pa.array(keep)), good_idx[keep], good_idx[not_vote], rejects
