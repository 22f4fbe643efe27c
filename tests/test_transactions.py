"""Units of work that lose a lock race run again; other errors are not retried."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import exc as sa_exc

from fieldcrm.transactions import ConcurrentChange, is_retryable, retrying


def _locked() -> sa_exc.OperationalError:
    return sa_exc.OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        self.sqlstate = sqlstate


def test_is_retryable__lock_races_only():
    assert is_retryable(_locked())
    assert is_retryable(ConcurrentChange("stage"))
    assert is_retryable(sa_exc.OperationalError("UPDATE …", {}, _PgError("40P01")))
    assert is_retryable(sa_exc.OperationalError("UPDATE …", {}, _PgError("40001")))
    assert not is_retryable(sa_exc.IntegrityError("INSERT …", {}, _PgError("23505")))
    assert not is_retryable(
        sa_exc.OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: x"))
    )
    assert not is_retryable(ValueError("locked"))


def test_retrying__runs_again_after_a_lock_and_gives_up_on_anything_else(db):
    calls = []

    def busy_twice():
        calls.append(1)
        if len(calls) < 3:
            raise _locked()
        return "saved"

    assert retrying(busy_twice) == "saved"
    assert len(calls) == 3

    def broken():
        calls.append(1)
        raise ValueError("not a lock")

    calls.clear()
    with pytest.raises(ValueError):
        retrying(broken)
    assert len(calls) == 1

    def always_locked():
        calls.append(1)
        raise _locked()

    calls.clear()
    with pytest.raises(sa_exc.OperationalError):
        retrying(always_locked, attempts=3)
    assert len(calls) == 3
