"""Search keys: case and accent folding, name and phone keys; Arrow and scalar paths agree."""

from __future__ import annotations

import unicodedata

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldcrm.lib.search_keys import (
    fold,
    fold_array,
    name_keys,
    name_keys_arrays,
    phone_key,
    phone_key_array,
    prefix_upper,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Álvarez", "alvarez"),
        ("ALVAREZ", "alvarez"),
        ("Nuñez", "nunez"),
        ("NÚÑEZ", "nunez"),
        ("José", "jose"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),
        ("García-López", "garcia lopez"),
        ("  de la  Cruz ", "de la cruz"),
        ("Straße", "strasse"),
        ("Ødegård", "odegard"),
        ("Łukasz", "lukasz"),
        ("Nguyễn", "nguyen"),
        ("İlker", "ilker"),
        ("ΟΔΟΣ", "οδοσ"),
        ("Иван", "иван"),
        ("ﬁnn", "finn"),
        ("Jr.", "jr"),
        ("", ""),
        (None, ""),
        ("---", ""),
    ],
)
def test_fold__case_accents_punctuation(text, folded):
    assert fold(text) == folded
    assert fold_array(pa.array([text], pa.string())).to_pylist() == [folded]


def test_name_keys__last_then_first_and_the_last_surname():
    assert name_keys("José", "Álvarez") == ("alvarez jose", "jose", None)
    assert name_keys("José", "Álvarez-Núñez") == ("alvarez nunez jose", "jose", "nunez")
    assert name_keys("María", "de la Cruz") == ("de la cruz maria", "maria", "cruz")
    assert name_keys("José", None) == ("jose", "jose", None)
    assert name_keys(None, "Nuñez") == ("nunez", "", None)
    assert name_keys(None, None) == ("", "", None)


def test_name_keys__cut_to_column_length():
    name, first, surname = name_keys("A" * 150, "B " + "C" * 150)
    assert len(name) == 200
    assert len(first) == 100
    assert len(surname) == 100


def test_phone_key__reversed_digits_of_e164_else_raw():
    assert phone_key("+13365550101", "(336) 555-0101") == "10105556331"
    assert phone_key(None, "555-0101") == "1010555"
    assert phone_key(None, "n/a") is None
    assert phone_key(None, None) is None


def test_prefix_upper__is_just_above_every_extension():
    upper = prefix_upper("jose")
    assert "jose" < "jose zzz" < upper
    assert upper <= "josf"


# Characters this Python's Unicode tables know (Arrow's may be newer: a letter Python has
# never heard of is not a word character to it).
_known = st.characters(exclude_categories=("Cs",)).filter(lambda c: unicodedata.category(c) != "Cn")
_names = st.one_of(
    st.none(),
    st.text(_known, max_size=30),
    st.text(alphabet="ÁÉÍÓÚáéíóúÑñÜüßæøœłđðþıçÇ'’- .abcXYZ09ΣσςİЖж", max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_names, _names), min_size=1, max_size=8))
def test_name_keys_arrays__agree_with_name_keys(pairs):
    first = pa.array([p[0] for p in pairs], pa.string())
    last = pa.array([p[1] for p in pairs], pa.string())
    arrays = name_keys_arrays(first, last)
    expected = [name_keys(f, la) for f, la in pairs]
    assert list(zip(*(a.to_pylist() for a in arrays), strict=True)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.from_regex(r"\+[1-9][0-9]{7,12}", fullmatch=True)),
            st.one_of(st.none(), st.text(alphabet="0123456789 ()-.+x", min_size=1, max_size=25)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_phone_key_array__agrees_with_phone_key(pairs):
    keys = phone_key_array(
        pa.array([p[0] for p in pairs], pa.string()), pa.array([p[1] for p in pairs], pa.string())
    )
    assert keys.to_pylist() == [phone_key(e, r) for e, r in pairs]
