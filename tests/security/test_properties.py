"""Property-based tests (hypothesis): the normalizers and guards never crash, never let through."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from fieldcrm.auth.views import safe_next
from fieldcrm.contacts.forms import _int_or_none
from fieldcrm.lib import phones
from fieldcrm.lib.phones import parse_phone
from fieldcrm.security import resubmittable_fields

URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(
                ["/", "//", "\\", "http:", "https:", "javascript:", "evil.example", "@", "%2F",
                 "?", "#", ".", "..", " ", "\t", "\n", "a", "contacts"]
            ),
            max_size=8,
        ),
    ),
)  # fmt: skip


@settings(max_examples=500)
@given(URLISH)
def test_safe_next__property_only_ever_a_path_on_this_site(target):
    result = safe_next(target)
    if result is not None:
        parts = urlsplit(result)
        assert not parts.scheme
        assert not parts.netloc
        assert result.startswith("/")
        assert not result.startswith("//")
        assert "\\" not in result


@settings(max_examples=500)
@given(st.one_of(st.none(), st.text(max_size=40)))
def test_parse_phone__property_never_crashes_and_e164_is_canonical(raw):
    result = parse_phone(raw)
    assert result.raw == (raw or "").strip()
    if result.dialable:
        assert re.fullmatch(r"\+[1-9]\d{6,14}", result.e164)
        assert result.reason is None
        assert parse_phone(result.e164).e164 == result.e164  # idempotent
    else:
        assert result.e164 is None
        reasons = {v for k, v in vars(phones).items() if k.startswith("REASON_")}
        assert result.reason in reasons


@settings(max_examples=300)
@given(st.one_of(st.none(), st.text(max_size=30), st.integers().map(str)))
def test_int_or_none__property_an_id_in_range_or_none(value):
    result = _int_or_none(value)
    assert result is None or -(2**31) <= result < 2**31


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["notes", "password", "new_password", "csrf_token", "code", "otp",
                             "pw-current_password", "first_name", "recovery"]),
            st.text(max_size=20),
        ),
        max_size=10,
    )
)  # fmt: skip
def test_resubmittable_fields__property_never_echoes_secrets(pairs):
    class Request:
        form = MultiDict(pairs)

    kept = resubmittable_fields(Request())
    secret = re.compile(r"password|csrf_token|otp|recovery", re.I)
    assert all(not secret.search(name) for name, _ in kept)
    expected = [(n, v) for n, v in pairs if not secret.search(n)]
    assert sorted(kept) == sorted(expected)
