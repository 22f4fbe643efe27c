"""Tests for fieldcrm.lib.phones: the scalar parser and the exactness of the vectorised path."""

from __future__ import annotations

import random

import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldcrm.lib import phones
from fieldcrm.lib.phones import PhoneResult, normalize_phones, parse_phone


def _reference(raw: str, region: str = "US") -> tuple[str | None, bool]:
    """What phonenumbers itself says, with the documented placeholder / 7-digit rules first."""
    text = raw.strip()
    digits = "".join(c for c in text if c in "0123456789")
    if text in ("", "*"):
        return None, False
    if len(digits) >= 7 and len(set(digits)) == 1:
        return None, False
    if len(digits) == 7:
        return None, False
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, False
    if not phonenumbers.is_valid_number(number):
        return None, False
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True


def _assert_vector_matches_scalar(values: list[str], region: str = "US") -> None:
    frame = normalize_phones(pd.Series(values, dtype=object), region=region)
    for value, (_, row) in zip(values, frame.iterrows(), strict=True):
        expected = parse_phone(value, region)
        assert (row["e164"], bool(row["dialable"])) == (expected.e164, expected.dialable), value
        assert _reference(value, region) == (expected.e164, expected.dialable), value
        if expected.reason == phones.REASON_BLANK:
            assert row["raw"] is None
        else:
            assert row["raw"] == expected.raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9193601316", PhoneResult("9193601316", "+19193601316", True, None)),
        ("(919) 360-1316", PhoneResult("(919) 360-1316", "+19193601316", True, None)),
        ("+1 919.360.1316", PhoneResult("+1 919.360.1316", "+19193601316", True, None)),
        ("19193601316", PhoneResult("19193601316", "+19193601316", True, None)),
        ("2228834", PhoneResult("2228834", None, False, "no_area_code")),
        ("0000000", PhoneResult("0000000", None, False, "placeholder")),
        ("999-999-9999", PhoneResult("999-999-9999", None, False, "placeholder")),
        ("919919)", PhoneResult("919919)", None, False, "invalid")),
        ("555-000-111", PhoneResult("555-000-111", None, False, "invalid")),
        ("  *  ", PhoneResult("*", None, False, "blank")),
        ("", PhoneResult("", None, False, "blank")),
        ("n/a", PhoneResult("n/a", None, False, "unparseable")),
    ],
)
def test_parse_phone__documented_cases(raw: str, expected: PhoneResult) -> None:
    assert parse_phone(raw) == expected


def test_parse_phone__none_and_nan_are_blank() -> None:
    assert parse_phone(None).reason == "blank"
    assert parse_phone(float("nan")).reason == "blank"
    assert parse_phone(pd.NA).reason == "blank"


def test_parse_phone__never_invents_an_area_code() -> None:
    result = parse_phone("542-6170")
    assert result.e164 is None
    assert not result.dialable
    assert result.raw == "542-6170"


def test_normalize_phones__documented_cases_match_scalar() -> None:
    _assert_vector_matches_scalar(
        [
            "9193601316",
            "(919) 360-1316",
            " (555) 333-2222",
            "555.987.6543",
            "555-6666-777",
            "+1 919 360 1316",
            "+919193601316",
            "+44 20 7946 0958",
            "1-800-FLOWERS",
            "8766060123",
            "8766061123",
            "2228834",
            "0000000",
            "919919)",
            "",
            "*",
            " ",
            "11111111111",
            "919-360-1316 x12",
        ]
    )


def test_normalize_phones__keeps_index_and_blank_raw_is_none() -> None:
    series = pd.Series(["", "9193601316"], index=[10, 20])
    frame = normalize_phones(series)
    assert list(frame.index) == [10, 20]
    assert frame.loc[10, "raw"] is None
    assert frame.loc[10, "e164"] is None
    assert frame.loc[20, "e164"] == "+19193601316"


def _random_number(rng: random.Random) -> str:
    npa = rng.choice(
        [
            f"{rng.randint(200, 999)}",
            f"0{rng.randint(0, 99):02d}",
            f"1{rng.randint(0, 99):02d}",
            f"{rng.randint(2, 9)}11",
            "876",
            "800",
            "888",
            "919",
            "336",
            "809",
            "246",
            "555",
        ]
    )
    nxx = rng.choice([f"{rng.randint(0, 999):03d}", "555", "606", "911", "000"])
    line = f"{rng.randint(0, 9999):04d}"
    if npa == "876" and rng.random() < 0.3:
        nxx, line = "606", f"0{rng.randint(0, 999):03d}"
    national = npa + nxx + line
    shape = rng.randrange(7)
    if shape == 0:
        return national
    if shape == 1:
        return "1" + national
    if shape == 2:
        return f"({npa}) {nxx}-{line}"
    if shape == 3:
        return f"+1 {npa}.{nxx}.{line}"
    if shape == 4:
        return f"{npa}-{nxx}-{line}"
    if shape == 5:
        return national[: rng.randint(5, 9)]
    return "+" + national


def test_normalize_phones__matches_phonenumbers_on_generated_numbers() -> None:
    rng = random.Random(20240212)
    values = [_random_number(rng) for _ in range(20_000)]
    _assert_vector_matches_scalar(values)


def test_normalize_phones__every_nanp_area_code_agrees() -> None:
    values = []
    for npa in range(0, 1000):
        for nxx in ("200", "555", "911", "606"):
            values.append(f"{npa:03d}{nxx}0123")
    _assert_vector_matches_scalar(values)


def test_nanp_prefix_depths__cover_all_area_codes() -> None:
    depths = phones._nanp_prefix_depths()
    assert set(depths) == {f"{n:03d}" for n in range(200, 1000)}
    assert all(3 <= d <= 10 for d in depths.values())
    # Jamaica has a 7-digit-deep branch (876-606-0xxx); the analysis must see it.
    assert depths["876"] >= 7


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789 ()-.+", max_size=16),
            st.from_regex(r"\A\+?1?[2-9][0-9]{9}\Z"),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_normalize_phones__agrees_with_scalar_on_arbitrary_text(values: list[str]) -> None:
    _assert_vector_matches_scalar(values)


def test_normalize_phones__non_nanp_region_uses_phonenumbers() -> None:
    _assert_vector_matches_scalar(["020 7946 0958", "9193601316", "+1 919 360 1316"], region="GB")


@pytest.mark.parametrize(
    ("number", "region", "shown"),
    [
        ("+13367520471", "US", "(336) 752-0471"),
        ("+13367520471", "GB", "+1 336-752-0471"),
        ("+442079460958", "US", "+44 20 7946 0958"),
        ("+442079460958", "GB", "020 7946 0958"),
        ("+14165550101", "US", "+1 416-555-0101"),  # Canada: same +1, another country
        ("+525512345678", "MX", "55 1234 5678"),
        ("336-752-0471", "US", "336-752-0471"),  # not E.164 (a raw, undialable value)
        ("+1234", "US", "+1234"),
        ("", "US", ""),
        (None, "US", ""),
    ],
)
def test_format_phone__national_at_home_international_elsewhere(number, region, shown):
    assert phones.format_phone(number, region) == shown
